import { KruisePodReadyCondition, PodTemplateHashLabel } from '../../apis';
import { waitFor } from '../../cluster/wait';
import { type KubeObject, Nodes, type ResourceType, Services } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useNodePools } from '../cluster/node-pools';
import { useCustomResourceWebhooks } from '../cluster/webhooks';
import {
  type CloneSetObject,
  cloneSetOf,
  cloneSets,
  expectInvariantsHeld,
  isActive,
  isReady,
  type Limits,
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

const EndpointSlices: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
};
interface EndpointSlice extends KubeObject {
  endpoints?: { targetRef?: { name?: string }; conditions?: { ready?: boolean } }[];
}

const uidsOf = (list: PodObject[]) => list.map((p) => p.metadata?.uid ?? '').sort();
const conditionOf = (pod: PodObject, type: string) => pod.status?.conditions?.find((c) => c.type === type);
const imageOf = (pod: PodObject) => pod.spec?.containers[0]?.image;
const runningImageOf = (pod: PodObject) => pod.status?.containerStatuses?.[0]?.image;
const image = (version: string) => `example.com/app:${version}`;

describe('CloneSet behaviours', () => {
  const ns = useTestNamespace('cloneset-kruise');
  useCustomResourceWebhooks();
  let running: RunningController;
  /** Each test's pods go only to nodes of its own pool. */
  const { nodePool } = useNodePools();

  beforeAll(async () => {
    running = await startController(ns.name);
  });

  afterAll(async () => {
    await running?.stop();
  });

  /** Patches the spec and waits for the rollout, the invariant watcher checking every pod event. */
  async function rollOut(
    name: string,
    limits: Limits,
    spec: Record<string, unknown>,
    observe?: (pod: PodObject) => void,
  ) {
    const rollout = async () => {
      await patchSpec(ns.name, name, spec);
      await waitRolledOut(ns.name, name);
    };
    const watcher = await watchRollout(ns.name, name, limits, rollout, observe);
    expectInvariantsHeld(watcher);
    return watcher;
  }

  async function create(cs: CloneSetObject): Promise<PodObject[]> {
    await cloneSets().create(cs);
    return waitRolledOut(ns.name, cs.metadata?.name ?? '');
  }

  itOnLocalCluster(
    'a gpu or ephemeral-storage change recreates the pods: pods/resize takes cpu and memory only',
    async () => {
      const { placement } = await nodePool([
        { name: 'g1', capacity: { 'nvidia.com/gpu': '8', 'ephemeral-storage': '100Gi' } },
        { name: 'g2', capacity: { 'nvidia.com/gpu': '8', 'ephemeral-storage': '100Gi' } },
      ]);
      const container = (gpus: string, storage: string) => ({
        name: 'app',
        image: image('v1'),
        resources: {
          requests: { cpu: '100m', 'nvidia.com/gpu': gpus, 'ephemeral-storage': storage },
          limits: { 'nvidia.com/gpu': gpus },
        },
      });
      const before = await create(
        cloneSetOf('gpu', ns.name, {
          replicas: 3,
          updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
          template: {
            metadata: { labels: { app: 'gpu' } },
            spec: { containers: [container('1', '1Gi')], ...placement },
          },
        }),
      );
      await rollOut(
        'gpu',
        { replicas: 3, maxUnavailable: 1, maxSurge: 0 },
        { template: { spec: { containers: [container('2', '2Gi')] } } },
      );
      const after = await podsOf(ns.name, 'gpu');
      expect(uidsOf(after).filter((uid) => uidsOf(before).includes(uid))).toEqual([]);
      for (const pod of after) {
        expect(pod.spec?.containers[0]?.resources?.requests).toMatchObject({
          'nvidia.com/gpu': '2',
          'ephemeral-storage': '2Gi',
        });
      }
    },
  );

  itOnLocalCluster(
    'maxUnavailable "12.5%" passes admission and the controller rolls out within it',
    async () => {
      const strategy = { type: 'InPlaceIfPossible', maxUnavailable: '12.5%' } as const;
      await create(cloneSetOf('fraction', ns.name, { replicas: 8, updateStrategy: strategy }));
      // 12.5% of 8 = 1, rounded up as Kruise does without surge.
      const watcher = await rollOut(
        'fraction',
        { replicas: 8, maxUnavailable: 1, maxSurge: 0 },
        {
          template: { spec: { containers: [{ name: 'app', image: image('v2') }] } },
        },
      );
      expect(watcher.deletedUids.size).toBe(0);
      const cs = (await cloneSets().get({ namespace: ns.name, name: 'fraction' })) as CloneSetObject;
      expect(cs.status).toMatchObject({ replicas: 8, updatedReadyReplicas: 8 });
      expect(cs.status?.conditions?.some((c) => c.type === 'FailedUpdate')).toBeFalsy();
    },
  );

  itOnLocalCluster('a pod created under ReCreate and later updated in place is drained first', async () => {
    const before = await create(
      cloneSetOf('gated', ns.name, { replicas: 3, updateStrategy: { type: 'ReCreate', maxUnavailable: 1 } }),
    );
    /** Per pod: was it seen drained (InPlaceUpdateReady and Ready False) before it ran the new image? */
    const drained = new Map<string, boolean>();
    const drainedBeforeRestart = new Map<string, boolean>();
    const watcher = await rollOut(
      'gated',
      { replicas: 3, maxUnavailable: 1, maxSurge: 0 },
      {
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
        template: { spec: { containers: [{ name: 'app', image: image('v2') }] } },
      },
      (pod) => {
        const uid = pod.metadata?.uid ?? '';
        const out =
          conditionOf(pod, 'InPlaceUpdateReady')?.status === 'False' &&
          conditionOf(pod, 'Ready')?.status === 'False';
        if (out) drained.set(uid, true);
        if (runningImageOf(pod) === image('v2') && !drainedBeforeRestart.has(uid)) {
          drainedBeforeRestart.set(uid, drained.get(uid) ?? false);
        }
      },
    );
    expect(watcher.deletedUids.size).toBe(0);
    expect([...drainedBeforeRestart.keys()].sort()).toEqual(uidsOf(before));
    expect([...drainedBeforeRestart.values()]).toEqual([true, true, true]);
  });

  itOnLocalCluster(
    'InPlaceOnly changes a label read by env in place, and the container restarts',
    async () => {
      const env = [{ name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }];
      const before = await create(
        cloneSetOf('envmeta', ns.name, {
          replicas: 2,
          updateStrategy: { type: 'InPlaceOnly', maxUnavailable: 1 },
          template: {
            metadata: { labels: { app: 'envmeta', tier: 'a' } },
            spec: { containers: [{ name: 'app', image: image('v1'), env }] },
          },
        }),
      );
      const watcher = await rollOut(
        'envmeta',
        { replicas: 2, maxUnavailable: 1, maxSurge: 0 },
        { template: { metadata: { labels: { tier: 'b' } } } },
      );
      expect(watcher.deletedUids.size).toBe(0);
      const after = await podsOf(ns.name, 'envmeta');
      expect(uidsOf(after)).toEqual(uidsOf(before));
      for (const pod of after) {
        expect(pod.metadata?.labels?.tier).toBe('b');
        expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(1);
        expect(lifecycleOf(pod)).toBe('Normal');
      }
    },
  );

  itOnLocalCluster(
    'markPodNotReady: a pod waiting for its preDelete hook leaves Service endpoints first',
    async () => {
      const hold = { 'example.com/hold': 'true' };
      await create(
        cloneSetOf('marked', ns.name, {
          replicas: 3,
          lifecycle: { preDelete: { labelsHandler: hold, markPodNotReady: true } },
          template: {
            metadata: { labels: { app: 'marked', ...hold } },
            spec: { containers: [{ name: 'app', image: image('v1') }] },
          },
        }),
      );
      await e2eClient()
        .resource(Services)
        .create({
          metadata: { name: 'marked', namespace: ns.name },
          spec: { selector: { app: 'marked' }, ports: [{ port: 80 }] },
        } as KubeObject);
      const slices = () =>
        e2eClient()
          .resource<EndpointSlice>(EndpointSlices)
          .list({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=marked' });
      const readyIn = async (name: string) =>
        (await slices()).items.flatMap((s) => s.endpoints ?? []).find((e) => e.targetRef?.name === name)
          ?.conditions?.ready;
      await waitFor('three ready endpoints', async () => {
        const names = (await podsOf(ns.name, 'marked')).map((p) => p.metadata?.name ?? '');
        const ready = await Promise.all(names.map(readyIn));
        return ready.length === 3 && ready.every((r) => r === true);
      });
      await patchSpec(ns.name, 'marked', { replicas: 2 });
      const held = await waitFor('a pod in PreparingDelete', async () =>
        (await podsOf(ns.name, 'marked')).find((p) => lifecycleOf(p) === 'PreparingDelete'),
      );
      const name = held.metadata?.name ?? '';
      const notReady = await waitFor('the held pod out of Ready', async () => {
        const pod = await pods().get({ namespace: ns.name, name });
        return conditionOf(pod, KruisePodReadyCondition)?.status === 'False' &&
          conditionOf(pod, 'Ready')?.status === 'False'
          ? pod
          : undefined;
      });
      // Still there, hook held: the pod is not deleted, but Service traffic no longer reaches it.
      expect(notReady.metadata?.deletionTimestamp).toBeUndefined();
      await waitFor('its endpoint to be not ready', async () => (await readyIn(name)) === false);
      await pods().patch(
        { namespace: ns.name, name },
        { metadata: { labels: { 'example.com/hold': null } } },
        { type: 'merge' },
      );
      await waitFor('the held pod to go', async () =>
        (await podsOf(ns.name, 'marked')).every(
          (p) => p.metadata?.uid !== held.metadata?.uid || !isActive(p),
        ),
      );
      await waitRolledOut(ns.name, 'marked');
    },
  );

  itOnLocalCluster("scale-in ranks pods by the template's topologySpreadConstraints", async () => {
    const { placement, nodeName, pool } = await nodePool([
      { name: 'a1', capacity: { pods: '1' }, labels: { zone: 'a' } },
      { name: 'a2', capacity: { pods: '1' }, labels: { zone: 'a' } },
      { name: 'a3', capacity: { pods: '1' }, labels: { zone: 'a' } },
      { name: 'b1', capacity: { pods: '1' }, labels: { zone: 'b' } },
    ]);
    const nodeClient = e2eClient().resource(Nodes);
    const cordon = (unschedulable: boolean) =>
      nodeClient.patch({ name: nodeName('b1') }, { spec: { unschedulable } }, { type: 'merge' });
    await cordon(true);
    const spread = [
      {
        maxSkew: 3,
        topologyKey: 'zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'spread' } },
      },
    ];
    const zoneA = await create(
      cloneSetOf('spread', ns.name, {
        replicas: 3,
        template: {
          metadata: { labels: { app: 'spread' } },
          spec: {
            containers: [{ name: 'app', image: image('v1') }],
            topologySpreadConstraints: spread,
            ...placement,
          },
        },
      }),
    );
    // The zone-b pod must be the newest ready, so that without the spread ranker it would go first.
    const lastReady = Math.max(
      ...zoneA.map((p) => Date.parse(conditionOf(p, 'Ready')?.lastTransitionTime ?? '')),
    );
    // Condition times have second precision: wait for the next second before the fourth pod starts.
    await waitFor('the clock to pass the last Ready second', async () => Date.now() > lastReady + 1000);
    await cordon(false);
    await patchSpec(ns.name, 'spread', { replicas: 4 });
    const four = await waitRolledOut(ns.name, 'spread');
    const inZoneB = four.find((p) => p.spec?.nodeName === nodeName('b1'));
    expect(inZoneB).toBeDefined();
    await rollOut('spread', { replicas: 4, maxUnavailable: 2, maxSurge: 0 }, { replicas: 2 });
    const kept = await podsOf(ns.name, 'spread');
    // Zone a held three pods, zone b one: both deletions come from zone a.
    expect(kept.map((p) => p.metadata?.uid)).toContain(inZoneB?.metadata?.uid);
    expect(kept.filter((p) => p.spec?.nodeName?.startsWith(`${pool}-a`))).toHaveLength(1);
  });

  itOnLocalCluster('scatterStrategy spreads the pods it names through the update order', async () => {
    await create(
      cloneSetOf('scatter', ns.name, {
        replicas: 6,
        updateStrategy: {
          type: 'InPlaceIfPossible',
          maxUnavailable: 1,
          // The priority puts the group=x pods first; the scatter term pulls them apart.
          priorityStrategy: {
            weightPriority: [{ weight: 50, matchSelector: { matchLabels: { group: 'x' } } }],
          },
          scatterStrategy: [{ key: 'group', value: 'x' }],
        },
      }),
    );
    for (const pod of (await podsOf(ns.name, 'scatter')).slice(0, 3)) {
      const ref = { namespace: ns.name, name: pod.metadata?.name ?? '' };
      await pods().patch(ref, { metadata: { labels: { group: 'x' } } }, { type: 'merge' });
    }
    const order: string[] = [];
    const v2 = { containers: [{ name: 'app', image: image('v2') }] };
    await rollOut(
      'scatter',
      { replicas: 6, maxUnavailable: 1, maxSurge: 0 },
      { template: { spec: v2 } },
      (pod) => {
        const name = pod.metadata?.name ?? '';
        if (imageOf(pod) === image('v2') && !order.includes(name)) order.push(name);
      },
    );
    const groups = new Map(
      (await podsOf(ns.name, 'scatter')).map((p) => [p.metadata?.name, p.metadata?.labels?.group]),
    );
    // Kruise scatterSort, recomputed each reconcile over the pods left (priority alone: x x x u u u).
    expect(order.map((name) => groups.get(name) ?? 'u')).toEqual(['x', 'u', 'x', 'x', 'u', 'u']);
  });

  itOnLocalCluster('pod-deletion-cost decides which pod a scale-in removes', async () => {
    const three = await create(cloneSetOf('cost', ns.name, { replicas: 3 }));
    const cost = (value: string) => ({
      metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': value } },
    });
    const [cheap, ...others] = three;
    await pods().patch({ namespace: ns.name, name: cheap?.metadata?.name ?? '' }, cost('-10'), {
      type: 'merge',
    });
    for (const pod of others)
      await pods().patch({ namespace: ns.name, name: pod.metadata?.name ?? '' }, cost('10'), {
        type: 'merge',
      });
    const watcher = await rollOut('cost', { replicas: 3, maxUnavailable: 1, maxSurge: 0 }, { replicas: 2 });
    expect([...watcher.deletedUids]).toEqual([cheap?.metadata?.uid]);
  });

  itOnLocalCluster('a missing pod-template-hash label is put back', async () => {
    const [only] = await create(cloneSetOf('hash', ns.name, { replicas: 1 }));
    const name = only?.metadata?.name ?? '';
    await pods().patch(
      { namespace: ns.name, name },
      { metadata: { labels: { [PodTemplateHashLabel]: null } } },
      { type: 'merge' },
    );
    const fixed = await waitFor('the label to be back', async () => {
      const pod = await pods().get({ namespace: ns.name, name });
      return pod.metadata?.labels?.[PodTemplateHashLabel] ? pod : undefined;
    });
    const revision = revisionOf(fixed) ?? '';
    expect(fixed.metadata?.labels?.[PodTemplateHashLabel]).toBe(
      revision.slice(revision.lastIndexOf('-') + 1),
    );
    expect(isReady(fixed)).toBe(true);
  });
});
