import { Registry } from 'prom-client';
import type { KubeObject } from '../../runtime/meta';
import { type Action, RECREATE_FOR_UPDATE } from './actions';
import { podUpdateMethod, registerWorkloadStatus, WorkloadStatusMetric } from './metrics';

const cloneSet = (name: string, updated: number): KubeObject =>
  ({
    metadata: { namespace: 'shop', name },
    spec: { replicas: 4 },
    status: { observedGeneration: 3, replicas: 4, updatedReplicas: updated, updateRevision: 'web-2' },
  }) as KubeObject;

async function values(registry: Registry): Promise<Record<string, string | number>[]> {
  const metric = await registry.getSingleMetric(WorkloadStatusMetric)?.get();
  return (metric?.values ?? []).map((v) => ({ ...v.labels, value: v.value }));
}

describe('the workload status metric', () => {
  it('reports desired replicas and every numeric status field, per workload, at scrape time', async () => {
    const registry = new Registry();
    const cloneSets = [cloneSet('web', 1)];
    registerWorkloadStatus(registry, 'CloneSet', () => cloneSets);
    registerWorkloadStatus(registry, 'SidecarSet', () => [
      { metadata: { name: 'envoy' }, status: { matchedPods: 6, updatedPods: 2 } } as KubeObject,
    ]);
    const web = { kind: 'CloneSet', namespace: 'shop', name: 'web' };
    expect(await values(registry)).toEqual([
      { ...web, field: 'desired', value: 4 },
      { ...web, field: 'replicas', value: 4 },
      { ...web, field: 'updatedReplicas', value: 1 },
      { kind: 'SidecarSet', namespace: '', name: 'envoy', field: 'matchedPods', value: 6 },
      { kind: 'SidecarSet', namespace: '', name: 'envoy', field: 'updatedPods', value: 2 },
    ]);
    // The next scrape sees the cache as it is then: progress, and deleted workloads gone.
    cloneSets[0] = cloneSet('web', 3);
    expect(await values(registry)).toContainEqual({ ...web, field: 'updatedReplicas', value: 3 });
    cloneSets.length = 0;
    expect((await values(registry)).filter((v) => v.kind === 'CloneSet')).toEqual([]);
  });
});

describe('podUpdateMethod', () => {
  it('names in-place updates and recreations for an update, nothing else', () => {
    const inPlace = { type: 'inPlaceUpdate', name: 'a', revision: 'r2', patch: {} } as unknown as Action;
    expect(podUpdateMethod(inPlace)).toBe('in_place');
    expect(podUpdateMethod({ type: 'deletePod', name: 'a', pvcs: [], reason: RECREATE_FOR_UPDATE })).toBe(
      'recreate',
    );
    expect(podUpdateMethod({ type: 'deletePod', name: 'a', pvcs: [], reason: 'scale in' })).toBeUndefined();
    expect(
      podUpdateMethod({ type: 'patchPodMetadata', name: 'a', patch: { metadata: {} }, reason: 'relabel' }),
    ).toBeUndefined();
  });
});
