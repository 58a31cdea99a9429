// Test builders for SidecarSets, pods and revisions.

import type { ControllerRevision, Pod } from '../../../apis/core-objects';
import type { SidecarSet, SidecarSetSpec } from '../../../apis/sidecarset';
import { SidecarSetNameLabel } from '../../../apis/well-known';
import { revisionData, withHashes } from '../revisions';

export function sidecarSet(name: string, spec: Partial<SidecarSetSpec> = {}, annotations = {}): SidecarSet {
  return withHashes({
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name, annotations, generation: 1, uid: `uid-${name}` },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      containers: [{ name: `${name}-sidecar`, image: `${name}:1`, podInjectPolicy: 'BeforeAppContainer' }],
      ...spec,
    },
  });
}

export function pod(overrides: Partial<Pod['spec']> = {}, metadata: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'team-a', labels: { app: 'web' }, ...metadata },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: [
            { name: 'TZ', value: 'UTC' },
            { name: 'LOG_DIR', value: 'web' },
          ],
          volumeMounts: [{ name: 'data', mountPath: '/data', subPathExpr: '$(LOG_DIR)/x' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      ...overrides,
    },
  };
}

export function revisionOf(
  set: SidecarSet,
  name: string,
  revision: number,
  labels: Record<string, string> = {},
): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: 'outrigger-system',
      labels: { [SidecarSetNameLabel]: set.metadata?.name ?? '', ...labels },
      annotations: { ...set.metadata?.annotations },
    },
    data: revisionData(set),
    revision,
  };
}
