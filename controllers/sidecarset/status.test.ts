import type { Pod } from '../../apis/core-objects';
import type { SidecarSet } from '../../apis/sidecarset';
import {
  SidecarSetBaseAnnotation,
  SidecarSetCanaryAnnotation,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { injectSidecars } from './inject';
import { carriesSidecars, computeStatus } from './status';
import { pod, sidecarSet } from './testing/fixtures';

const created = (ss: SidecarSet, at: string): SidecarSet => ({
  ...ss,
  metadata: { ...ss.metadata, creationTimestamp: at, generation: 4 },
});
const mesh = created(sidecarSet('mesh'), '2026-01-01T00:00:00Z');

function podAt(name: string, at: string, status: Pod['status'] = { phase: 'Pending' }): Pod {
  return { ...pod({}, { name, creationTimestamp: at }), status };
}
function injectedPod(name: string, at: string, status?: Pod['status'], set = mesh): Pod {
  const result = injectSidecars(podAt(name, at, status), [set]);
  if (result.type !== 'injected') throw new Error(result.type);
  const injected = result.pod;
  if (injected.status?.phase !== 'Running') return injected;
  // The kubelet reports every container it runs.
  const containerStatuses = injected.spec.containers.map((c) => ({
    name: c.name,
    image: c.image,
    imageID: `${c.image}-id`,
    ready: true,
  }));
  return { ...injected, status: { ...injected.status, containerStatuses } };
}
const ready: Pod['status'] = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

describe('SidecarSet status', () => {
  it('counts injected pods, their hashes and readiness; reports pods created since without sidecars', () => {
    const pods = [
      injectedPod('a', '2026-01-02T00:00:00Z', ready),
      injectedPod('b', '2026-01-02T00:00:00Z'),
      injectedPod(
        'c',
        '2026-01-02T00:00:00Z',
        ready,
        created(
          sidecarSet('mesh', { containers: [{ name: 'mesh-sidecar', image: 'mesh:0' }] }),
          '2026-01-01T00:00:00Z',
        ),
      ),
      podAt('missed', '2026-01-03T00:00:00Z'),
      podAt('older', '2025-12-31T00:00:00Z'),
      { ...injectedPod('done', '2026-01-02T00:00:00Z'), status: { phase: 'Succeeded' } },
      { ...podAt('gone', '2026-01-03T00:00:00Z'), status: { phase: 'Failed' } },
    ];
    const result = computeStatus({
      sidecarSet: mesh,
      pods,
      sidecarSets: [mesh],
      latestRevision: 'mesh-x',
      collisionCount: 0,
    });
    expect(result).toEqual({
      status: {
        observedGeneration: 4,
        matchedPods: 3,
        updatedPods: 2,
        readyPods: 2,
        updatedReadyPods: 1,
        latestRevision: 'mesh-x',
        collisionCount: 0,
        missingSidecarPods: 1,
      },
      missing: ['team-a/missed'],
    });
  });

  it('does not count a listed pod whose sidecar container is gone as matched', () => {
    const p = injectedPod('a', '2026-01-02T00:00:00Z');
    p.spec.containers = p.spec.containers.filter((c) => c.name !== 'mesh-sidecar');
    expect(computeStatus({ sidecarSet: mesh, pods: [p], sidecarSets: [mesh] }).status).toMatchObject({
      matchedPods: 0,
      missingSidecarPods: 1,
    });
  });

  it('reports nothing missing while injection is paused, or for pods a canary injected instead', () => {
    const paused = created(
      sidecarSet('mesh', { injectionStrategy: { paused: true } }),
      '2026-01-01T00:00:00Z',
    );
    const late = podAt('late', '2026-01-03T00:00:00Z');
    expect(computeStatus({ sidecarSet: paused, pods: [late], sidecarSets: [paused] }).missing).toEqual([]);
    const canary = created(
      sidecarSet(
        'mesh-canary',
        {},
        { [SidecarSetCanaryAnnotation]: 'true', [SidecarSetBaseAnnotation]: 'mesh' },
      ),
      '2026-01-01T00:00:00Z',
    );
    const byCanary = injectedPod('c', '2026-01-03T00:00:00Z', undefined, canary);
    expect(
      computeStatus({ sidecarSet: mesh, pods: [byCanary], sidecarSets: [mesh, canary] }).missing,
    ).toEqual([]);
  });

  it('does not report pods in namespaces the pod webhook never sees', () => {
    const late = podAt('late', '2026-01-03T00:00:00Z');
    const injectable = (namespace: string) => namespace !== 'team-a';
    expect(
      computeStatus({ sidecarSet: mesh, pods: [late], sidecarSets: [mesh], injectable }).missing,
    ).toEqual([]);
  });

  it('matches a HotUpgrade pod only with both twins and the annotation naming the working one', () => {
    const hot = created(
      sidecarSet('mesh', {
        containers: [
          {
            name: 'proxy',
            image: 'proxy:1',
            upgradeStrategy: { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: 'empty:1' },
          },
        ],
      }),
      '2026-01-01T00:00:00Z',
    );
    const p = injectedPod('h', '2026-01-02T00:00:00Z', ready, hot);
    expect(carriesSidecars(p, hot)).toBe(true);
    const annotations = { ...p.metadata.annotations };
    delete annotations[SidecarSetWorkingHotUpgradeContainerAnnotation];
    expect(carriesSidecars({ ...p, metadata: { ...p.metadata, annotations } }, hot)).toBe(false);
  });
});
