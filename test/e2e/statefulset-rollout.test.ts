// Advanced StatefulSet on the real control plane, kwok acting as kubelet: identity, OrderedReady and
// Parallel scaling, rolling updates (reverse order, partition, OnDelete, in place, the maxUnavailable
// window). A watcher checks the invariants at every pod event.
import { installCrds } from '../../apis/install';
import { POD_START_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { sleep, waitFor } from '../../cluster/wait';
import { setupStatefulSetController } from '../../controllers/statefulset';
import { PersistentVolumeClaims, type ResourceType } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import {
  expectInvariantsHeld,
  getStatefulSet,
  image,
  namesOf,
  patchSpec,
  podsOf,
  type StatefulSetObject,
  statefulSetOf,
  statefulSets,
  upTo,
  waitRolledOut,
  watchRollout,
} from './statefulset-harness';
import {
  isActive,
  isReady,
  lifecycleOf,
  type PodObject,
  pods,
  type RunningController,
  revisionOf,
  startController,
} from './workload-harness';

const PersistentVolumes: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
};
const uidsOf = (list: PodObject[]) => list.map((p) => p.metadata?.uid ?? '').sort();
const GATE = 'example.com/warm';
/** Pods of the set stay unready until the test sets their GATE condition. */
const gated = { readinessGates: [{ conditionType: GATE }] };

describe('Advanced StatefulSet', () => {
  const ns = useTestNamespace('asts');
  let running: RunningController;

  beforeAll(async () => {
    await installCrds(e2eClient());
    running = await startController(ns.name, setupStatefulSetController);
  });

  afterAll(async () => {
    await running?.stop();
  });

  async function create(sts: StatefulSetObject, ordinals?: number[]): Promise<PodObject[]> {
    await statefulSets().create(sts);
    return waitRolledOut(ns.name, sts.metadata?.name ?? '', { ordinals });
  }

  /** Updates the image to `version` and returns the revision the pods were at. */
  async function updateImage(name: string, version: string): Promise<string> {
    const before = await getStatefulSet(ns.name, name);
    await patchSpec(ns.name, name, { template: { spec: image(version) } });
    return before.status?.updateRevision ?? '';
  }

  async function warm(name: string): Promise<void> {
    await pods().patch(
      { namespace: ns.name, name },
      { status: { conditions: [{ type: GATE, status: 'True' }] } },
      { type: 'strategic', subresource: 'status' },
    );
  }

  async function podNamed(name: string): Promise<PodObject | undefined> {
    return (await pods().list({ namespace: ns.name, fieldSelector: `metadata.name=${name}` })).items[0];
  }

  itOnLocalCluster(
    'stable identity: a deleted pod comes back with its name, hostname and claim',
    async () => {
      const claim = {
        metadata: { name: 'data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: '',
          resources: { requests: { storage: '1Gi' } },
        },
      };
      // Pre-bound volumes: the local cluster has no provisioner, and OrderedReady needs running pods.
      const volumes = upTo(3).map((i) => ({
        metadata: { name: `${ns.name}-ident-${i}` },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: '',
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path: `/tmp/outrigger-e2e/${ns.name}/${i}` },
          claimRef: { namespace: ns.name, name: `data-ident-${i}` },
        },
      }));
      for (const pv of volumes) await e2eClient().resource(PersistentVolumes).create(pv);
      try {
        const before = await create(statefulSetOf('ident', ns.name, { volumeClaimTemplates: [claim] }));
        expect(namesOf(before)).toEqual(['ident-0', 'ident-1', 'ident-2']);
        for (const [i, pod] of before.entries()) {
          expect(pod.metadata?.labels).toMatchObject({
            'statefulset.kubernetes.io/pod-name': `ident-${i}`,
            'apps.kubernetes.io/pod-index': String(i),
          });
          const spec = pod.spec as unknown as { hostname: string; subdomain: string; volumes: unknown[] };
          expect(spec).toMatchObject({ hostname: `ident-${i}`, subdomain: 'ident' });
          expect(spec.volumes).toContainEqual({
            name: 'data',
            persistentVolumeClaim: { claimName: `data-ident-${i}` },
          });
        }
        const claims = e2eClient().resource(PersistentVolumeClaims);
        const claimBefore = await claims.get({ namespace: ns.name, name: 'data-ident-1' });
        await pods().delete({ namespace: ns.name, name: 'ident-1' });
        const back = await waitFor('ident-1 to come back', async () => {
          const pod = await podNamed('ident-1');
          return (
            pod && pod.metadata?.uid !== before[1]?.metadata?.uid && isActive(pod) && isReady(pod) && pod
          );
        });
        expect(back.metadata?.labels?.['apps.kubernetes.io/pod-index']).toBe('1');
        const claimAfter = await claims.get({ namespace: ns.name, name: 'data-ident-1' });
        expect(claimAfter.metadata?.uid).toBe(claimBefore.metadata?.uid);
        await waitRolledOut(ns.name, 'ident');
      } finally {
        await statefulSets().delete({ namespace: ns.name, name: 'ident' });
        for (const pv of volumes)
          await e2eClient().resource(PersistentVolumes).delete({ name: pv.metadata.name });
      }
    },
  );

  itOnLocalCluster(
    'OrderedReady: scale-up halts on an unready pod; scale-down goes from the top',
    async () => {
      const sts = statefulSetOf('ordered', ns.name, { replicas: 3, template: { spec: gated } as never });
      const up = await watchRollout(
        ns.name,
        'ordered',
        { maxUnavailable: 3, ordinals: upTo(3) },
        async () => {
          await statefulSets().create(sts);
          await waitFor('ordered-0', () => podNamed('ordered-0'));
          await warm('ordered-0');
          await waitFor('ordered-1', () => podNamed('ordered-1'));
          // ordered-1 stays unready: the set must not go on to ordered-2.
          await waitFor('the status to show one ready pod of two', async () => {
            const s = (await getStatefulSet(ns.name, 'ordered')).status;
            return s?.replicas === 2 && s.readyReplicas === 1;
          });
          await sleep(3000);
          expect(await podNamed('ordered-2')).toBeUndefined();
          await warm('ordered-1');
          await waitFor('ordered-2', () => podNamed('ordered-2'));
          await warm('ordered-2');
          await waitRolledOut(ns.name, 'ordered');
        },
        (w) => w.expectOrderedScaling(),
      );
      expectInvariantsHeld(up);
      const down = await watchRollout(
        ns.name,
        'ordered',
        { maxUnavailable: 3, ordinals: upTo(1) },
        async () => {
          await patchSpec(ns.name, 'ordered', { replicas: 1 });
          await waitRolledOut(ns.name, 'ordered');
        },
        (w) => w.expectOrderedScaling(),
      );
      expectInvariantsHeld(down);
      expect(down.deletedUids.size).toBe(2);
    },
  );

  itOnLocalCluster('Parallel creates every pod at once, not waiting for any to be ready', async () => {
    const sts = statefulSetOf('burst', ns.name, {
      replicas: 5,
      podManagementPolicy: 'Parallel',
      template: { spec: gated } as never,
    });
    await statefulSets().create(sts);
    const unready = await waitFor('five pods, none ready', async () => {
      const list = await podsOf(ns.name, 'burst');
      return list.length === 5 && list.every((p) => !isReady(p)) && list;
    });
    expect(namesOf(unready)).toEqual(upTo(5).map((i) => `burst-${i}`));
    for (const pod of unready) await warm(pod.metadata?.name ?? '');
    await waitRolledOut(ns.name, 'burst');
  });

  itOnLocalCluster(
    'OrderedReady rolling update recreates pods one at a time, highest ordinal first',
    async () => {
      const before = await create(statefulSetOf('reverse', ns.name, { replicas: 4 }));
      const watcher = await watchRollout(
        ns.name,
        'reverse',
        { maxUnavailable: 1, ordinals: upTo(4) },
        async (w) => {
          w.expectUpdateOrder(await updateImage('reverse', 'v2'));
          await waitRolledOut(ns.name, 'reverse');
        },
      );
      expectInvariantsHeld(watcher);
      const after = await podsOf(ns.name, 'reverse');
      expect(after.map((p) => p.spec?.containers[0]?.image)).toEqual(Array(4).fill('example.com/app:v2'));
      expect(uidsOf(after).filter((uid) => uidsOf(before).includes(uid))).toEqual([]);
    },
  );

  itOnLocalCluster(
    'partition keeps that many pods at the old revision (a canary), then releases them',
    async () => {
      const rolling = { maxUnavailable: 2, partition: 2 };
      await create(
        statefulSetOf('canary', ns.name, {
          replicas: 5,
          podManagementPolicy: 'Parallel',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: rolling },
        }),
      );
      let old = '';
      const watcher = await watchRollout(
        ns.name,
        'canary',
        { maxUnavailable: 2, ordinals: upTo(5) },
        async (w) => {
          old = await updateImage('canary', 'v2');
          w.expectUpdateOrder(old);
          await waitFor('three pods updated and ready', async () => {
            const s = (await getStatefulSet(ns.name, 'canary')).status;
            return s?.updatedReadyReplicas === 3 && s.readyReplicas === 5;
          });
          await sleep(3000); // several reconciles: nothing more may move
        },
      );
      expectInvariantsHeld(watcher);
      const sts = await getStatefulSet(ns.name, 'canary');
      expect(sts.status).toMatchObject({
        replicas: 5,
        updatedReplicas: 3,
        currentReplicas: 2,
        currentRevision: old,
      });
      const oldPods = (await podsOf(ns.name, 'canary')).filter((p) => revisionOf(p) === old);
      expect(namesOf(oldPods)).toEqual(['canary-0', 'canary-1']);
      await patchSpec(ns.name, 'canary', { updateStrategy: { rollingUpdate: { partition: 0 } } });
      await waitRolledOut(ns.name, 'canary');
    },
  );

  itOnLocalCluster('OnDelete updates a pod only when it is deleted', async () => {
    await create(statefulSetOf('ondelete', ns.name, { updateStrategy: { type: 'OnDelete' } }));
    const old = await updateImage('ondelete', 'v2');
    await waitFor('the new update revision', async () => {
      const s = await getStatefulSet(ns.name, 'ondelete');
      return s.status?.observedGeneration === s.metadata?.generation && s.status?.updateRevision !== old;
    });
    await sleep(2000);
    expect((await podsOf(ns.name, 'ondelete')).map(revisionOf)).toEqual([old, old, old]);
    await pods().delete({ namespace: ns.name, name: 'ondelete-1' });
    const update = (await getStatefulSet(ns.name, 'ondelete')).status?.updateRevision;
    await waitFor('ondelete-1 at the new revision', async () => {
      const pod = await podNamed('ondelete-1');
      return pod && revisionOf(pod) === update && isReady(pod);
    });
    const revisions = Object.fromEntries(
      (await podsOf(ns.name, 'ondelete')).map((p) => [p.metadata?.name, revisionOf(p)]),
    );
    expect(revisions).toEqual({ 'ondelete-0': old, 'ondelete-1': update, 'ondelete-2': old });
  });

  itOnLocalCluster('InPlaceIfPossible changes the image in place: same pods, restartCount+1', async () => {
    const before = await create(
      statefulSetOf('inplace', ns.name, {
        replicas: 4,
        podManagementPolicy: 'Parallel',
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 2, podUpdatePolicy: 'InPlaceIfPossible' },
        },
        template: { spec: { readinessGates: [{ conditionType: 'InPlaceUpdateReady' }] } } as never,
      }),
    );
    const watcher = await watchRollout(
      ns.name,
      'inplace',
      { maxUnavailable: 2, ordinals: upTo(4) },
      async (w) => {
        w.expectUpdateOrder(await updateImage('inplace', 'v2'));
        await waitRolledOut(ns.name, 'inplace');
      },
    );
    expectInvariantsHeld(watcher);
    expect(watcher.deletedUids.size).toBe(0);
    const after = await podsOf(ns.name, 'inplace');
    expect(uidsOf(after)).toEqual(uidsOf(before));
    for (const pod of after) {
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({
        image: 'example.com/app:v2',
        restartCount: 1,
      });
      expect(lifecycleOf(pod)).toBe('Normal');
    }
  });

  itOnLocalCluster('Parallel with maxUnavailable 3 over 10 pods keeps the window full', async () => {
    const sts = statefulSetOf('window', ns.name, {
      replicas: 10,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } },
      // Each new pod takes 2 s to start, so the pods of a window are unavailable together.
      template: { metadata: { annotations: { [POD_START_DELAY_ANNOTATION]: '2s' } } } as never,
    });
    await create(sts);
    /** Times the unavailable count rose to the full window. */
    let fullWindows = 0;
    let last = 0;
    let old = '';
    const watcher = await watchRollout(
      ns.name,
      'window',
      { maxUnavailable: 3, ordinals: upTo(10) },
      async (w) => {
        old = await updateImage('window', 'v2');
        w.expectUpdateOrder(old);
        await waitRolledOut(ns.name, 'window');
      },
      (w) =>
        w.observe((unavailable) => {
          if (unavailable === 3 && last < 3) fullWindows++;
          last = unavailable;
        }),
    );
    expectInvariantsHeld(watcher);
    expect(watcher.peakUnavailable).toBe(3);
    expect(fullWindows).toBeGreaterThanOrEqual(3);
    // Each pod is recreated once: only pods at the old revision are ever deleted.
    expect([...watcher.deletedPods].sort()).toEqual(
      upTo(10)
        .map((o) => `window-${o}@${old}`)
        .sort(),
    );
  });
});
