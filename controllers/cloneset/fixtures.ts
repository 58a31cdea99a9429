// Test fixtures for CloneSet plans: a defaulted CloneSet and pods in any state. Used by *.test.ts only.
import {
  applyDefaults,
  type CloneSet,
  CloneSetInstanceIdLabel,
  ControllerRevisionHashLabel,
  InPlaceUpdateReadyCondition,
  type LifecycleState,
  LifecycleStateLabel,
} from '../../apis';
import type { ControllerRevision, Pod, PodCondition } from '../inplace';
import { newRevision } from './revisions';

export const NOW = new Date('2026-01-01T12:00:00Z');
export const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

export function cloneSet(spec: Partial<NonNullable<CloneSet['spec']>> = {}, image = 'nginx:1'): CloneSet {
  const cs: CloneSet = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'cs-uid', generation: 3 },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image }] } },
      ...spec,
    },
  };
  return applyDefaults('CloneSet', cs);
}

/** The CloneSet with another image: the same object at a newer template. */
export function withImage(cs: CloneSet, image: string): CloneSet {
  const next = structuredClone(cs);
  next.spec!.template.spec.containers[0]!.image = image;
  return next;
}

export function revisionOf(cs: CloneSet, number = 1): ControllerRevision {
  return newRevision(cs, number, 0);
}

export interface PodOptions {
  ready?: boolean;
  phase?: string;
  node?: string;
  state?: LifecycleState;
  readyMinutesAgo?: number;
  createdMinutesAgo?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  conditions?: PodCondition[];
  gate?: boolean;
  image?: string;
  imageID?: string;
  /** The image the kubelet reports (defaults to the spec image). */
  statusImage?: string;
  restarts?: number;
}

let counter = 0;

/** A pod of `cs` at `revision`, Running and Ready (for 10 minutes) unless told otherwise. */
export function pod(name: string, revision: ControllerRevision, o: PodOptions = {}): Pod {
  const ready = o.ready ?? true;
  const image = o.image ?? revision.data.spec?.template?.spec.containers[0]?.image ?? 'nginx:1';
  const conditions: PodCondition[] = [
    {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      lastTransitionTime: minutesAgo(o.readyMinutesAgo ?? 10),
    },
    ...(o.conditions ?? []),
  ];
  counter++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: String(100 + counter),
      creationTimestamp: minutesAgo(o.createdMinutesAgo ?? 60),
      labels: {
        app: 'web',
        [ControllerRevisionHashLabel]: revision.metadata.name!,
        [CloneSetInstanceIdLabel]: name.slice(name.lastIndexOf('-') + 1),
        [LifecycleStateLabel]: o.state ?? 'Normal',
        ...o.labels,
      },
      annotations: o.annotations,
    },
    spec: {
      nodeName: o.node ?? 'node-1',
      containers: [{ name: 'main', image }],
      ...(o.gate ? { readinessGates: [{ conditionType: InPlaceUpdateReadyCondition }] } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions,
      containerStatuses: [
        {
          name: 'main',
          image: o.statusImage ?? image,
          imageID: o.imageID ?? `sha-${o.statusImage ?? image}`,
          ready,
          restartCount: o.restarts ?? 0,
        },
      ],
    },
  };
}

/** Deterministic instance ids: a, b, c, … prefixed so they never collide with fixture pods. */
export function idSource(prefix = 'n'): () => string {
  let i = 0;
  return () => `${prefix}${i++}`;
}
