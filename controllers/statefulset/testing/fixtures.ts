// Advanced StatefulSet fixtures for plan tests: a defaulted set, its revisions, and pods at ordinals built
// on the kit's pod fixtures. Test-only.
import {
  applyDefaults,
  type ControllerRevision,
  type Pod,
  PodIndexLabel,
  type StatefulSet,
  StatefulSetPodNameLabel,
} from '../../../apis';
import { newRevision } from '../../workload';
import { type PodOptions, pod } from '../../workload/testing/pods';
import { revisionSource } from '../kind';

export { minutesAgo, NOW, type PodOptions } from '../../workload/testing/pods';

export type StatefulSetSpec = NonNullable<StatefulSet['spec']>;

export function statefulSet(spec: Partial<StatefulSetSpec> = {}, image = 'nginx:1'): StatefulSet {
  const sts: StatefulSet = {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'sts-uid', generation: 2 },
    spec: {
      replicas: 5,
      serviceName: 'web-headless',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image }] } },
      ...spec,
    },
  };
  return applyDefaults('StatefulSet', sts);
}

/** The set with another image: the same object at a newer template. */
export function withImage(sts: StatefulSet, image: string): StatefulSet {
  const next = structuredClone(sts);
  next.spec!.template.spec.containers[0]!.image = image;
  return next;
}

export function revisionOf(sts: StatefulSet, number = 1): ControllerRevision {
  return newRevision(revisionSource(sts), number, 0);
}

/** The pod `web-<ordinal>` at `revision`, with its identity labels; Running and Ready unless told otherwise. */
export function podAt(ordinal: number, revision: ControllerRevision, o: PodOptions = {}): Pod {
  const name = `web-${ordinal}`;
  const p = pod(name, revision, o);
  p.metadata.labels = {
    ...p.metadata.labels,
    [StatefulSetPodNameLabel]: name,
    [PodIndexLabel]: String(ordinal),
  };
  p.metadata.ownerReferences = [
    {
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'StatefulSet',
      name: 'web',
      uid: 'sts-uid',
      controller: true,
    },
  ];
  return p;
}

export function podsAt(ordinals: number[], revision: ControllerRevision, o: PodOptions = {}): Pod[] {
  return ordinals.map((ordinal) => podAt(ordinal, revision, o));
}
