// Pod fixtures for workload plans and their tests: pods in any state at any revision. Test-only.
import {
  CloneSetInstanceIdLabel,
  type ControllerRevision,
  ControllerRevisionHashLabel,
  InPlaceUpdateReadyCondition,
  type LifecycleState,
  LifecycleStateLabel,
  type Pod,
  type PodCondition,
  PodTemplateHashLabel,
} from '../../../apis';

export const NOW = new Date('2026-01-01T12:00:00Z');
export const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

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

/** A pod `web-…` at `revision`, Running and Ready (for 10 minutes) unless told otherwise. */
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
        [PodTemplateHashLabel]: revision.metadata.name!.slice(revision.metadata.name!.lastIndexOf('-') + 1),
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
