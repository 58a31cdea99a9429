// CloneSet on the real control plane, kwok acting as kubelet: scaling, ReCreate and in-place rollouts,
// partition, paused, podsToDelete, the preDelete hook and the scale subresource. A watcher checks the
// rollout invariants at every pod event.
import { CloneSetInstanceIdLabel } from '../../apis';
import { installCrds } from '../../apis/install';
import { sleep, waitFor } from '../../cluster/wait';
import type { CoreEvent } from '../../runtime/events';
import { Events, PersistentVolumeClaims } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import {
  type CloneSetObject,
  cloneSetOf,
  cloneSets,
  expectInvariantsHeld,
  getCloneSet,
  isActive,
  isReady,
  lifecycleOf,
  type PodObject,
  patchSpec,
  pods,
  podsOf,
  type RunningController,
  revisionOf,
  startController,
  waitRolledOut,
  watchRollout,
} from './cloneset-harness';

const eventsOf = async (namespace: string, name: string) =>
  (
    await e2eClient()
      .resource<CoreEvent>(Events)
      .list({ namespace, fieldSelector: `involvedObject.kind=CloneSet,involvedObject.name=${name}` })
  ).items;
const uidsOf = (list: PodObject[]) => list.map((p) => p.metadata?.uid ?? '').sort();
const image = (version: string) => ({ containers: [{ name: 'app', image: `example.com/app:${version}` }] });

describe('CloneSet', () => {
  const ns = useTestNamespace('cloneset');
  let running: RunningController;

  beforeAll(async () => {
    await installCrds(e2eClient());
    running = await startController(ns.name);
  });

  afterAll(async () => {
    await running?.stop();
  });

  async function create(cs: CloneSetObject): Promise<PodObject[]> {
    await cloneSets().create(cs);
    return waitRolledOut(ns.name, cs.metadata?.name ?? '');
  }

  itOnLocalCluster('scales 0 → 10 → 3 with unique instance ids', async () => {
    await create(cloneSetOf('scale', ns.name, { replicas: 0 }));
    const up = await watchRollout(
      ns.name,
      'scale',
      { replicas: 10, maxUnavailable: 10, maxSurge: 0 },
      async () => {
        await patchSpec(ns.name, 'scale', { replicas: 10 });
        await waitRolledOut(ns.name, 'scale');
      },
    );
    expectInvariantsHeld(up);
    const down = await watchRollout(
      ns.name,
      'scale',
      { replicas: 10, maxUnavailable: 10, maxSurge: 0 },
      async () => {
        await patchSpec(ns.name, 'scale', { replicas: 3 });
        await waitRolledOut(ns.name, 'scale');
      },
    );
    expectInvariantsHeld(down);
    const cs = await getCloneSet(ns.name, 'scale');
    expect(cs.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
    });
    // An Event for every scale decision, on the CloneSet.
    await waitFor('ScaleUp and ScaleDown events', async () => {
      const reasons = (await eventsOf(ns.name, 'scale')).map((e) => e.reason);
      return ['ScaleUp', 'ScaleDown', 'SuccessfulCreate', 'SuccessfulDelete'].every((r) =>
        reasons.includes(r),
      );
    });
  });

  itOnLocalCluster('ReCreate replaces every pod within maxUnavailable', async () => {
    const cs = cloneSetOf('recreate', ns.name, { updateStrategy: { type: 'ReCreate', maxUnavailable: 1 } });
    const before = await create(cs);
    const watcher = await watchRollout(
      ns.name,
      'recreate',
      { replicas: 4, maxUnavailable: 1, maxSurge: 0 },
      async () => {
        await patchSpec(ns.name, 'recreate', { template: { spec: image('v2') } });
        await waitRolledOut(ns.name, 'recreate');
      },
    );
    expectInvariantsHeld(watcher);
    const after = await podsOf(ns.name, 'recreate');
    expect(after.map((p) => p.spec?.containers[0]?.image)).toEqual(Array(4).fill('example.com/app:v2'));
    expect(uidsOf(after).filter((uid) => uidsOf(before).includes(uid))).toEqual([]);
  });

  itOnLocalCluster(
    'InPlaceIfPossible changes the image in place: same pods, same nodes, restartCount+1',
    async () => {
      const cs = cloneSetOf('inplace', ns.name, {
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 },
      });
      const before = await create(cs);
      const watcher = await watchRollout(
        ns.name,
        'inplace',
        { replicas: 4, maxUnavailable: 2, maxSurge: 0 },
        async () => {
          await patchSpec(ns.name, 'inplace', { template: { spec: image('v2') } });
          await waitRolledOut(ns.name, 'inplace');
        },
      );
      expectInvariantsHeld(watcher);
      expect(watcher.deletedUids.size).toBe(0);
      const after = await podsOf(ns.name, 'inplace');
      const status = (await getCloneSet(ns.name, 'inplace')).status;
      expect(uidsOf(after)).toEqual(uidsOf(before));
      const nodeOf = (list: PodObject[]) =>
        Object.fromEntries(list.map((p) => [p.metadata?.uid, p.spec?.nodeName]));
      expect(nodeOf(after)).toEqual(nodeOf(before));
      for (const pod of after) {
        expect(revisionOf(pod)).toBe(status?.updateRevision);
        expect(pod.status?.containerStatuses?.[0]).toMatchObject({
          image: 'example.com/app:v2',
          restartCount: 1,
        });
        expect(lifecycleOf(pod)).toBe('Normal');
      }
      expect(status?.currentRevision).toBe(status?.updateRevision);
    },
  );

  itOnLocalCluster(
    'InPlaceIfPossible resizes container resources through pods/resize: same pods, no restart',
    async () => {
      const container = (cpu: string) => ({
        name: 'app',
        image: 'example.com/app:v1',
        resources: { requests: { cpu, memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      });
      const cs = cloneSetOf('resize', ns.name, {
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 },
        template: { metadata: { labels: { app: 'resize' } }, spec: { containers: [container('100m')] } },
      });
      const before = await create(cs);
      const watcher = await watchRollout(
        ns.name,
        'resize',
        { replicas: 4, maxUnavailable: 2, maxSurge: 0 },
        async () => {
          await patchSpec(ns.name, 'resize', { template: { spec: { containers: [container('250m')] } } });
          await waitRolledOut(ns.name, 'resize');
        },
      );
      expectInvariantsHeld(watcher);
      expect(watcher.deletedUids.size).toBe(0);
      const after = await podsOf(ns.name, 'resize');
      expect(uidsOf(after)).toEqual(uidsOf(before));
      const status = (await getCloneSet(ns.name, 'resize')).status;
      for (const pod of after) {
        expect(revisionOf(pod)).toBe(status?.updateRevision);
        expect(pod.spec?.containers[0]?.resources?.requests?.cpu).toBe('250m');
        expect(pod.status?.containerStatuses?.[0]).toMatchObject({
          restartCount: 0,
          resources: { requests: { cpu: '250m' } },
        });
      }
    },
  );

  itOnLocalCluster('partition 50% updates half the pods and stops; the status says so', async () => {
    const strategy = { type: 'InPlaceIfPossible', partition: '50%', maxUnavailable: 1 } as const;
    await create(cloneSetOf('partition', ns.name, { updateStrategy: strategy }));
    const watcher = await watchRollout(
      ns.name,
      'partition',
      { replicas: 4, maxUnavailable: 1, maxSurge: 0 },
      async () => {
        await patchSpec(ns.name, 'partition', { template: { spec: image('v2') } });
        await waitFor('half the pods updated and ready', async () => {
          const s = (await getCloneSet(ns.name, 'partition')).status;
          return s?.updatedReadyReplicas === 2 && s.readyReplicas === 4;
        });
        await sleep(3000); // several reconciles: nothing more may move
      },
    );
    expectInvariantsHeld(watcher);
    const cs = await getCloneSet(ns.name, 'partition');
    expect(cs.status).toMatchObject({
      replicas: 4,
      updatedReplicas: 2,
      updatedReadyReplicas: 2,
      expectedUpdatedReplicas: 2,
      readyReplicas: 4,
    });
    expect(cs.status?.currentRevision).not.toBe(cs.status?.updateRevision);
    const revisions = (await podsOf(ns.name, 'partition')).map(revisionOf);
    expect(revisions.filter((r) => r === cs.status?.updateRevision)).toHaveLength(2);
  });

  itOnLocalCluster('paused holds the rollout until resumed', async () => {
    const strategy = { type: 'InPlaceIfPossible', maxUnavailable: 2 } as const;
    await create(cloneSetOf('paused', ns.name, { updateStrategy: strategy }));
    await patchSpec(ns.name, 'paused', { updateStrategy: { paused: true }, template: { spec: image('v2') } });
    await waitFor('the new update revision', async () => {
      const cs = await getCloneSet(ns.name, 'paused');
      return (
        cs.status?.observedGeneration === cs.metadata?.generation &&
        cs.status?.updateRevision !== cs.status?.currentRevision
      );
    });
    await sleep(2000);
    const held = await getCloneSet(ns.name, 'paused');
    expect(held.status).toMatchObject({ updatedReplicas: 0, readyReplicas: 4 });
    expect((await podsOf(ns.name, 'paused')).map((p) => p.spec?.containers[0]?.image)).toEqual(
      Array(4).fill('example.com/app:v1'),
    );
    await patchSpec(ns.name, 'paused', { updateStrategy: { paused: false } });
    await waitRolledOut(ns.name, 'paused');
  });

  itOnLocalCluster('podsToDelete replaces the named pod and is then cleared', async () => {
    const before = await create(cloneSetOf('todelete', ns.name, { replicas: 3 }));
    const victim = before[0]?.metadata?.name ?? '';
    await patchSpec(ns.name, 'todelete', { scaleStrategy: { podsToDelete: [victim] } });
    const after = await waitFor('the pod to be replaced', async () => {
      const list = (await podsOf(ns.name, 'todelete')).filter(isActive);
      return (
        list.length === 3 && list.every(isReady) && !list.some((p) => p.metadata?.name === victim) && list
      );
    });
    expect(after.filter((p) => before.some((b) => b.metadata?.uid === p.metadata?.uid))).toHaveLength(2);
    await waitFor('podsToDelete to be cleared', async () => {
      const cs = await getCloneSet(ns.name, 'todelete');
      return (cs.spec?.scaleStrategy?.podsToDelete ?? []).length === 0;
    });
  });

  itOnLocalCluster('InPlaceIfPossible falls back to recreate when a non-image field changes', async () => {
    const strategy = { type: 'InPlaceIfPossible', maxUnavailable: 1 } as const;
    const before = await create(cloneSetOf('fallback', ns.name, { replicas: 3, updateStrategy: strategy }));
    const watcher = await watchRollout(
      ns.name,
      'fallback',
      { replicas: 3, maxUnavailable: 1, maxSurge: 0 },
      async () => {
        const env = [{ name: 'MODE', value: 'fast' }];
        await patchSpec(ns.name, 'fallback', {
          template: { spec: { containers: [{ name: 'app', image: 'example.com/app:v1', env }] } },
        });
        await waitRolledOut(ns.name, 'fallback');
      },
    );
    expectInvariantsHeld(watcher);
    const after = await podsOf(ns.name, 'fallback');
    expect(uidsOf(after).filter((uid) => uidsOf(before).includes(uid))).toEqual([]);
    for (const pod of after) expect(pod.spec?.containers[0]?.env).toEqual([{ name: 'MODE', value: 'fast' }]);
  });

  itOnLocalCluster('a preDelete hook holds the deletion until the hook label is removed', async () => {
    const hook = 'example.com/hold';
    const cs = cloneSetOf('predelete', ns.name, {
      replicas: 2,
      lifecycle: { preDelete: { labelsHandler: { [hook]: 'true' } } },
      template: { metadata: { labels: { app: 'predelete', [hook]: 'true' } }, spec: image('v1') },
    });
    await create(cs);
    await patchSpec(ns.name, 'predelete', { replicas: 1 });
    const held = await waitFor('a pod in PreparingDelete', async () =>
      (await podsOf(ns.name, 'predelete')).find((p) => lifecycleOf(p) === 'PreparingDelete'),
    );
    await sleep(2000);
    const still = await pods().get({ namespace: ns.name, name: held.metadata?.name ?? '' });
    expect(still.metadata?.deletionTimestamp).toBeUndefined();
    await pods().patch(
      { namespace: ns.name, name: held.metadata?.name ?? '' },
      { metadata: { labels: { [hook]: null } } },
      { type: 'merge' },
    );
    await waitFor('the held pod to go', async () =>
      (await podsOf(ns.name, 'predelete')).every((p) => p.metadata?.uid !== held.metadata?.uid),
    );
    await waitRolledOut(ns.name, 'predelete');
  });

  itOnLocalCluster(
    'volumeClaimTemplates: one owned PVC per pod, reused when the pod is recreated',
    async () => {
      // No provisioner in the local cluster: the PVCs stay Pending and so do the pods, which is enough here.
      const claim = {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      };
      await cloneSets().create(cloneSetOf('claims', ns.name, { replicas: 2, volumeClaimTemplates: [claim] }));
      const claimsOf = async () =>
        (
          await e2eClient()
            .resource(PersistentVolumeClaims)
            .list({ namespace: ns.name, labelSelector: 'app=claims' })
        ).items;
      const first = await waitFor('two pods with their PVCs', async () => {
        const list = await podsOf(ns.name, 'claims');
        return list.length === 2 && (await claimsOf()).length === 2 && list;
      });
      const cs = await getCloneSet(ns.name, 'claims');
      for (const pvc of await claimsOf()) {
        expect(pvc.metadata?.ownerReferences?.[0]).toMatchObject({
          kind: 'CloneSet',
          uid: cs.metadata?.uid,
          controller: true,
        });
      }
      const victim = first[0] as PodObject;
      const id = victim.metadata?.labels?.[CloneSetInstanceIdLabel];
      await pods().delete({ namespace: ns.name, name: victim.metadata?.name ?? '' });
      const replacement = await waitFor('the pod recreated with its instance id', async () =>
        (await podsOf(ns.name, 'claims')).find(
          (p) =>
            isActive(p) &&
            p.metadata?.uid !== victim.metadata?.uid &&
            p.metadata?.name === victim.metadata?.name,
        ),
      );
      expect(replacement.metadata?.labels?.[CloneSetInstanceIdLabel]).toBe(id);
      expect((await claimsOf()).map((c) => c.metadata?.name).sort()).toEqual(
        first.map((p) => `data-claims-${p.metadata?.labels?.[CloneSetInstanceIdLabel]}`).sort(),
      );
    },
  );

  itOnLocalCluster(
    'a pod relabelled out of the selector is released and replaced, and keeps running',
    async () => {
      const before = await create(cloneSetOf('release', ns.name));
      const victim = before[0]!;
      const name = victim.metadata?.name ?? '';
      await pods().patch(
        { namespace: ns.name, name },
        { metadata: { labels: { app: 'release-debug' } } },
        { type: 'merge' },
      );
      await waitFor('the pod to be released', async () => {
        const pod = await pods().get({ namespace: ns.name, name });
        return (pod.metadata?.ownerReferences ?? []).length === 0 ? pod : undefined;
      });
      const after = await waitRolledOut(ns.name, 'release');
      expect(after).toHaveLength(4);
      expect(uidsOf(after)).not.toContain(victim.metadata?.uid);
      const kept = await pods().get({ namespace: ns.name, name });
      expect(kept.metadata?.uid).toBe(victim.metadata?.uid);
      expect(kept.metadata?.deletionTimestamp).toBeUndefined();
      await pods().delete({ namespace: ns.name, name });
    },
  );

  itOnLocalCluster('a preNormal hook keeps new pods PreparingNormal until they carry its label', async () => {
    const hook = 'example.com/ready-to-serve';
    const before = await create(
      cloneSetOf('prenormal', ns.name, {
        replicas: 2,
        lifecycle: { preNormal: { labelsHandler: { [hook]: 'true' } } },
      }),
    );
    expect(before.map(lifecycleOf)).toEqual(['PreparingNormal', 'PreparingNormal']);
    const name = before[0]?.metadata?.name ?? '';
    await pods().patch(
      { namespace: ns.name, name },
      { metadata: { labels: { [hook]: 'true' } } },
      { type: 'merge' },
    );
    await waitFor('the hooked pod to become Normal', async () => {
      const pod = await pods().get({ namespace: ns.name, name });
      return lifecycleOf(pod) === 'Normal' ? pod : undefined;
    });
    // The status follows in a later reconcile than the label: wait for it, then check nothing else moved.
    await waitFor('one available replica in the status', async () => {
      return (await getCloneSet(ns.name, 'prenormal')).status?.availableReplicas === 1;
    });
    const other = await pods().get({ namespace: ns.name, name: before[1]?.metadata?.name ?? '' });
    expect(lifecycleOf(other)).toBe('PreparingNormal');
    expect((await getCloneSet(ns.name, 'prenormal')).status?.availableReplicas).toBe(1);
  });

  itOnLocalCluster(
    'an inPlaceUpdate hook holds each pod in PreparingUpdate until its label is removed',
    async () => {
      const hook = 'example.com/hold-update';
      const cs = cloneSetOf('hooked', ns.name, {
        replicas: 2,
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 },
        lifecycle: { inPlaceUpdate: { labelsHandler: { [hook]: 'true' } } },
        template: { metadata: { labels: { app: 'hooked', [hook]: 'true' } }, spec: image('v1') },
      });
      const before = await create(cs);
      await patchSpec(ns.name, 'hooked', { template: { spec: image('v2') } });
      const held = await waitFor('both pods to wait in PreparingUpdate', async () => {
        const list = await podsOf(ns.name, 'hooked');
        return list.every((p) => lifecycleOf(p) === 'PreparingUpdate') ? list : undefined;
      });
      await sleep(1000);
      for (const pod of await podsOf(ns.name, 'hooked')) {
        expect(pod.spec?.containers[0]?.image).toBe('example.com/app:v1');
      }
      const name = held[0]?.metadata?.name ?? '';
      const label = (value: string | null) =>
        pods().patch(
          { namespace: ns.name, name },
          { metadata: { labels: { [hook]: value } } },
          { type: 'merge' },
        );
      await label(null);
      const updated = await waitFor('the released pod to be updated in place', async () => {
        const pod = await pods().get({ namespace: ns.name, name });
        return lifecycleOf(pod) === 'Updated' &&
          pod.status?.containerStatuses?.[0]?.image === 'example.com/app:v2'
          ? pod
          : undefined;
      });
      expect(uidsOf(before)).toContain(updated.metadata?.uid);
      const other = await pods().get({ namespace: ns.name, name: held[1]?.metadata?.name ?? '' });
      expect(lifecycleOf(other)).toBe('PreparingUpdate');
      expect(other.spec?.containers[0]?.image).toBe('example.com/app:v1');
      // The hook is back: the pod is Normal again.
      await label('true');
      await waitFor('the re-hooked pod to be Normal', async () => {
        const pod = await pods().get({ namespace: ns.name, name });
        return lifecycleOf(pod) === 'Normal' ? pod : undefined;
      });
    },
  );

  itOnLocalCluster('the scale subresource scales (kubectl scale)', async () => {
    await create(cloneSetOf('scaled', ns.name, { replicas: 2 }));
    await cloneSets().scale({ namespace: ns.name, name: 'scaled' }, 5);
    const scaledPods = await waitRolledOut(ns.name, 'scaled');
    expect(scaledPods).toHaveLength(5);
    const scale = await cloneSets().getScale({ namespace: ns.name, name: 'scaled' });
    expect(scale.spec?.replicas).toBe(5);
    expect(scale.status?.replicas).toBe(5);
    expect(scale.status?.selector).toBe('app=scaled');
  });
});
