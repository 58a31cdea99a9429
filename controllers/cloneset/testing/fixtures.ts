// CloneSet fixtures for plan tests: a defaulted CloneSet, its revisions, and the kit's pod fixtures.
import { applyDefaults, type CloneSet, type ControllerRevision } from '../../../apis';
import { newRevision } from '../../workload';
import { revisionSource } from '../kind';

export { idSource, minutesAgo, NOW, type PodOptions, pod } from '../../workload/testing/pods';

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
  return newRevision(revisionSource(cs), number, 0);
}
