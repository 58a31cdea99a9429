// Advanced StatefulSet on the real control plane: reserveOrdinals and ordinals.start, PVC retention when
// scaled in and when deleted, the scale subresource, and a rollout surviving an operator crash.
import type { Pod } from '../../apis';
import { installCrds } from '../../apis/install';
import { POD_START_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { waitFor } from '../../cluster/wait';
import { setupStatefulSetController } from '../../controllers/statefulset';
import { type KubeObject, PersistentVolumeClaims, Pods } from '../../runtime/meta';
import { e2eClient, exists, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import {
  expectInvariantsHeld,
  getStatefulSet,
  image,
  namesOf,
  patchSpec,
  podsOf,
  statefulSetOf,
  statefulSets,
  upTo,
  waitRolledOut,
  watchRollout,
} from './statefulset-harness';
import { type RunningController, revisionOf, startController } from './workload-harness';

const claimTemplate = {
  metadata: { name: 'data' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};

describe('Advanced StatefulSet operator', () => {
  const ns = useTestNamespace('asts-op');
  let running: RunningController | undefined;

  beforeAll(async () => {
    await installCrds(e2eClient());
    running = await startController(ns.name, setupStatefulSetController);
  });

  afterAll(async () => {
    await running?.stop();
  });

  const claims = () => e2eClient().resource(PersistentVolumeClaims);
  async function claimNames(app: string): Promise<string[]> {
    const list = await claims().list({ namespace: ns.name, labelSelector: `app=${app}` });
    return list.items
      .filter((c) => !c.metadata?.deletionTimestamp)
      .map((c) => c.metadata?.name ?? '')
      .sort();
  }

  itOnLocalCluster('reserveOrdinals (integers and ranges) and ordinals.start move the pods', async () => {
    const parallel = { podManagementPolicy: 'Parallel' as const };
    await statefulSets().create(statefulSetOf('sparse', ns.name, { replicas: 3, ...parallel }));
    await waitRolledOut(ns.name, 'sparse');
    const steps: [Record<string, unknown>, number[]][] = [
      [{ reserveOrdinals: [1] }, [0, 2, 3]],
      [{ ordinals: { start: 2 } }, [2, 3, 4]],
      [{ reserveOrdinals: ['3-4'] }, [2, 5, 6]],
      [{ reserveOrdinals: null, ordinals: { start: 0 } }, [0, 1, 2]],
    ];
    // Ordinals are swapped one for another: never two pods of one ordinal, never a pod lost.
    const watcher = await watchRollout(ns.name, 'sparse', { maxUnavailable: 3, ordinals: [] }, async () => {
      for (const [spec, ordinals] of steps) {
        await patchSpec(ns.name, 'sparse', spec);
        const now = await waitRolledOut(ns.name, 'sparse', { ordinals });
        expect(namesOf(now)).toEqual(ordinals.map((o) => `sparse-${o}`).sort());
      }
    });
    expectInvariantsHeld(watcher);
  });

  itOnLocalCluster(
    'whenScaled Delete: claims of scaled-in ordinals go with their pods, the rest stay',
    async () => {
      // No provisioner: claims and pods stay Pending, which Parallel does not wait for.
      await statefulSets().create(
        statefulSetOf('shrink', ns.name, {
          replicas: 3,
          podManagementPolicy: 'Parallel',
          volumeClaimTemplates: [claimTemplate],
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
        }),
      );
      await waitFor('three claims', async () => (await claimNames('shrink')).length === 3);
      await patchSpec(ns.name, 'shrink', { replicas: 1 });
      await waitFor('the scaled-in claims to be collected', async () => {
        const names = await claimNames('shrink');
        return names.join() === 'data-shrink-0' && (await podsOf(ns.name, 'shrink')).length === 1;
      });
      // whenDeleted Retain: the last claim outlives the set.
      await statefulSets().delete({ namespace: ns.name, name: 'shrink' });
      await waitFor(
        'the set and its pods to be gone',
        async () => (await podsOf(ns.name, 'shrink')).length === 0,
      );
      const kept = await claims().get({ namespace: ns.name, name: 'data-shrink-0' });
      expect(kept.metadata?.deletionTimestamp).toBeUndefined();
      expect(kept.metadata?.ownerReferences ?? []).toEqual([]);
    },
  );

  itOnLocalCluster(
    'whenDeleted Delete: the claims go with the set; whenScaled Retain keeps them on scale-in',
    async () => {
      await statefulSets().create(
        statefulSetOf('gone', ns.name, {
          replicas: 2,
          podManagementPolicy: 'Parallel',
          volumeClaimTemplates: [claimTemplate],
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
        }),
      );
      await waitFor('two claims', async () => (await claimNames('gone')).length === 2);
      const set = await getStatefulSet(ns.name, 'gone');
      const owned = await claims().get({ namespace: ns.name, name: 'data-gone-1' });
      expect(owned.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'StatefulSet', uid: set.metadata?.uid, controller: true }),
      ]);
      await patchSpec(ns.name, 'gone', { replicas: 1 });
      await waitFor('one pod', async () => (await podsOf(ns.name, 'gone')).length === 1);
      expect(await claimNames('gone')).toEqual(['data-gone-0', 'data-gone-1']);
      await statefulSets().delete({ namespace: ns.name, name: 'gone' });
      await waitFor('the claims to be collected with the set', async () => {
        const left = await Promise.all(
          ['data-gone-0', 'data-gone-1'].map((name) =>
            exists(() => claims().get({ namespace: ns.name, name })),
          ),
        );
        return left.every((present) => !present);
      });
    },
  );

  itOnLocalCluster('the scale subresource scales (kubectl scale) and reports the selector', async () => {
    await statefulSets().create(
      statefulSetOf('scaled', ns.name, { replicas: 1, podManagementPolicy: 'Parallel' }),
    );
    await waitRolledOut(ns.name, 'scaled');
    await statefulSets().scale({ namespace: ns.name, name: 'scaled' }, 4);
    expect(await waitRolledOut(ns.name, 'scaled')).toHaveLength(4);
    const scale = await statefulSets().getScale({ namespace: ns.name, name: 'scaled' });
    expect(scale.spec?.replicas).toBe(4);
    expect(scale.status?.replicas).toBe(4);
    expect(scale.status?.selector).toBe('app=scaled');
  });

  itOnLocalCluster('a pod no node fits still gets its KruisePodReady condition, as in Kruise', async () => {
    const template = { spec: { nodeSelector: { 'example.com/no-such-node': 'true' } } };
    await statefulSets().create(
      statefulSetOf('nowhere', ns.name, { replicas: 1, template: template as never }),
    );
    const pod = await waitFor('nowhere-0 unschedulable with KruisePodReady True', async () => {
      const p = await e2eClient()
        .resource<Pod & KubeObject>(Pods)
        .get({ namespace: ns.name, name: 'nowhere-0' });
      const condition = (type: string) => p.status?.conditions?.find((c) => c.type === type);
      const unschedulable = condition('PodScheduled')?.reason === 'Unschedulable';
      return unschedulable && condition('KruisePodReady')?.status === 'True' ? p : undefined;
    });
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.spec?.readinessGates).toContainEqual({ conditionType: 'KruisePodReady' });
  });

  itOnLocalCluster(
    'an operator killed mid-rollout: the next one finishes it within every invariant',
    async () => {
      await statefulSets().create(
        statefulSetOf('crash', ns.name, {
          replicas: 6,
          podManagementPolicy: 'Parallel',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
          // A pod start of 1 s keeps the rollout going long enough for the crash to land in it.
          template: { metadata: { annotations: { [POD_START_DELAY_ANNOTATION]: '1s' } } } as never,
        }),
      );
      await waitRolledOut(ns.name, 'crash');
      const old = (await getStatefulSet(ns.name, 'crash')).status?.updateRevision ?? '';
      const watcher = await watchRollout(
        ns.name,
        'crash',
        { maxUnavailable: 2, ordinals: upTo(6) },
        async (w) => {
          w.expectUpdateOrder(old);
          await patchSpec(ns.name, 'crash', { template: { spec: image('v2') } });
          await waitFor('the rollout to be under way', async () => {
            const moved = (await podsOf(ns.name, 'crash')).filter((p) => revisionOf(p) !== old);
            return moved.length >= 1 && moved.length < 6;
          });
          await running?.kill();
          running = await startController(ns.name, setupStatefulSetController);
          await waitRolledOut(ns.name, 'crash');
        },
      );
      expectInvariantsHeld(watcher);
      expect((await podsOf(ns.name, 'crash')).map((p) => p.spec?.containers[0]?.image)).toEqual(
        Array(6).fill('example.com/app:v2'),
      );
    },
  );
});
