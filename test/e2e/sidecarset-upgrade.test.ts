// SidecarSet in-place upgrades on the real control plane (kwok as kubelet: an image change restarts
// that container; images from unpullable.invalid never start). Every upgrade runs under a watcher that
// checks, at every pod event, that no more pods than maxUnavailable are unavailable or in upgrade,
// that no app container restarts, and that no pod is replaced.
import type { PodCondition } from '../../apis/core-objects';
import type { SidecarSetSpec } from '../../apis/sidecarset';
import {
  SidecarSetInplaceUpdateStateAnnotation,
  SidecarSetUpgradableCondition,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { Events, type KubeObject } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import {
  createObservedSidecarSet,
  expectUpgradeInvariantsHeld,
  observedSidecarSet,
  type PodObject,
  pods,
  type SidecarSetObject,
  sidecarSets,
  type UpgradeLimits,
  useOperator,
  watchUpgrade,
} from './sidecarset-harness';

const ns = useTestNamespace('sidecar-upgrade');
const operator = useOperator();

const APP_IMAGE = 'example.com/app:v1';
const BROKEN = 'unpullable.invalid/envoy:broken';

/** `count` bare pods labelled group=<group>, Running and Ready with their sidecars injected. */
async function podsOf(
  group: string,
  count: number,
  labels: (i: number) => Record<string, string> = () => ({}),
) {
  const created: PodObject[] = [];
  for (let i = 0; i < count; i++) {
    created.push(
      await pods().create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${group}-${i}`, namespace: ns.name, labels: { group, ...labels(i) } },
        spec: {
          containers: [{ name: 'app', image: APP_IMAGE }],
          tolerations: [KWOK_TOLERATION],
          terminationGracePeriodSeconds: 0,
        },
      } as PodObject),
    );
  }
  await waitFor(`pods of ${group} to be Ready`, async () => {
    const list = await groupPods(group);
    return (
      list.length === count &&
      list.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    );
  });
  return created;
}

const groupPods = async (group: string) =>
  (await pods().list({ namespace: ns.name, labelSelector: `group=${group}` })).items;

const imageOf = (pod: PodObject, name: string) => pod.spec.containers.find((c) => c.name === name)?.image;

function envoySet(
  name: string,
  group: string,
  image: string,
  spec: Partial<SidecarSetSpec> = {},
): SidecarSetObject {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { group } },
      namespace: ns.name,
      containers: [{ name: 'envoy', image, podInjectPolicy: 'BeforeAppContainer' }],
      ...spec,
    },
  };
}

/** Merge-patches the SidecarSet's spec. */
const patchSpec = (name: string, spec: Record<string, unknown>) =>
  sidecarSets().patch({ name }, { spec }, { type: 'merge' });

/** Waits for the status to show `updated` pods at the current hash, all of them ready. */
const settled = (name: string, matched: number, updated: number) =>
  observedSidecarSet(
    name,
    (s) =>
      s.status?.matchedPods === matched &&
      s.status?.updatedPods === updated &&
      s.status?.updatedReadyPods === updated &&
      s.status?.readyPods === matched,
  );

/** Waits a while and checks the SidecarSet still has exactly `updated` pods at its hash. */
async function staysAt(name: string, updated: number, ms = 3000) {
  await new Promise((r) => setTimeout(r, ms));
  const current = await sidecarSets().get({ name });
  expect(current.status?.updatedPods).toBe(updated);
}

const limits = (maxInUpgrade: number, sidecars = ['envoy']): UpgradeLimits => ({ maxInUpgrade, sidecars });

async function eventsOf(name: string) {
  type Event = KubeObject & { reason?: string; involvedObject?: { name?: string } };
  const list = await e2eClient().resource<Event>(Events).list({});
  return list.items.filter((e) => e.involvedObject?.name === name).map((e) => e.reason);
}

/** How many times each object (by uid) got an Event with this reason, in the test namespace. */
async function eventsAbout(reason: string): Promise<Map<string, number>> {
  type Event = KubeObject & { reason?: string; count?: number; involvedObject?: { uid?: string } };
  const list = await e2eClient().resource<Event>(Events).list({ namespace: ns.name });
  const counts = new Map<string, number>();
  for (const e of list.items) {
    if (e.reason !== reason) continue;
    const uid = e.involvedObject?.uid ?? '';
    counts.set(uid, (counts.get(uid) ?? 0) + (e.count ?? 1));
  }
  return counts;
}

describe('SidecarSet in-place upgrade', () => {
  itOnLocalCluster(
    'upgrades the image of every pod in place, maxUnavailable at a time, app containers untouched',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('roll', 'roll', 'example.com/envoy:1', { updateStrategy: { maxUnavailable: 2 } }),
      );
      await podsOf('roll', 5);
      expect((await groupPods('roll')).every((p) => imageOf(p, 'envoy') === 'example.com/envoy:1')).toBe(
        true,
      );
      await settled('roll', 5, 5);

      const watcher = await watchUpgrade(ns.name, 'group=roll', limits(2), async () => {
        await patchSpec('roll', {
          containers: [
            { name: 'envoy', image: 'example.com/envoy:2', podInjectPolicy: 'BeforeAppContainer' },
          ],
        });
        await settled('roll', 5, 5);
      });
      expectUpgradeInvariantsHeld(watcher);
      expect(watcher.peak).toBeGreaterThan(0);
      const after = await groupPods('roll');
      expect(after.map((p) => imageOf(p, 'envoy'))).toEqual(Array(5).fill('example.com/envoy:2'));
      for (const p of after) {
        const envoy = p.status?.containerStatuses?.find((s) => s.name === 'envoy');
        expect(envoy?.restartCount).toBe(1);
        expect(
          JSON.parse(p.metadata?.annotations?.[SidecarSetInplaceUpdateStateAnnotation] ?? '{}'),
        ).toHaveProperty('roll');
      }
      await waitFor('upgrade events', async () =>
        (await eventsOf('roll')).includes('SuccessfulUpdatePodInPlace'),
      );
    },
    180_000,
  );

  itOnLocalCluster(
    'partition leaves pods behind until lowered; paused stops and resume continues',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('part', 'part', 'example.com/envoy:1', {
          updateStrategy: { maxUnavailable: 1, partition: 3 },
        }),
      );
      await podsOf('part', 4);
      await settled('part', 4, 4);

      let watcher = await watchUpgrade(ns.name, 'group=part', limits(1), async () => {
        await patchSpec('part', {
          containers: [
            { name: 'envoy', image: 'example.com/envoy:2', podInjectPolicy: 'BeforeAppContainer' },
          ],
        });
        await settled('part', 4, 1);
        await staysAt('part', 1);
      });
      expectUpgradeInvariantsHeld(watcher);

      // Paused: lowering the partition upgrades nothing more.
      await patchSpec('part', { updateStrategy: { paused: true, partition: 0 } });
      await observedSidecarSet('part');
      await staysAt('part', 1);

      watcher = await watchUpgrade(ns.name, 'group=part', limits(1), async () => {
        await patchSpec('part', { updateStrategy: { paused: false } });
        await settled('part', 4, 4);
      });
      expectUpgradeInvariantsHeld(watcher);
    },
    180_000,
  );

  itOnLocalCluster(
    'a selector canary upgrades only the pods it selects',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('canary', 'canary', 'example.com/envoy:1', { updateStrategy: { maxUnavailable: 3 } }),
      );
      await podsOf('canary', 4, (i) => (i < 2 ? { track: 'canary' } : ({} as Record<string, string>)));
      await settled('canary', 4, 4);
      const watcher = await watchUpgrade(ns.name, 'group=canary', limits(3), async () => {
        await patchSpec('canary', {
          containers: [
            { name: 'envoy', image: 'example.com/envoy:2', podInjectPolicy: 'BeforeAppContainer' },
          ],
          updateStrategy: { selector: { matchLabels: { track: 'canary' } } },
        });
        await settled('canary', 4, 2);
        await staysAt('canary', 2);
      });
      expectUpgradeInvariantsHeld(watcher);
      const upgraded = (await groupPods('canary')).filter(
        (p) => imageOf(p, 'envoy') === 'example.com/envoy:2',
      );
      expect(upgraded.map((p) => p.metadata?.labels?.track)).toEqual(['canary', 'canary']);
    },
    180_000,
  );

  itOnLocalCluster(
    'a failing image stops the rollout at maxUnavailable; fixing it finishes the rollout',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('broken', 'broken', 'example.com/envoy:1', { updateStrategy: { maxUnavailable: 1 } }),
      );
      await podsOf('broken', 4);
      await settled('broken', 4, 4);
      let watcher = await watchUpgrade(ns.name, 'group=broken', limits(1), async () => {
        await patchSpec('broken', {
          containers: [{ name: 'envoy', image: BROKEN, podInjectPolicy: 'BeforeAppContainer' }],
        });
        await observedSidecarSet(
          'broken',
          (s) => s.status?.updatedPods === 1 && s.status.updatedReadyPods === 0,
        );
        await staysAt('broken', 1);
      });
      expectUpgradeInvariantsHeld(watcher);
      expect((await sidecarSets().get({ name: 'broken' })).status).toMatchObject({
        readyPods: 3,
        updatedReadyPods: 0,
      });

      // The failed pod is unavailable already, so OpenKruise upgrades it without using the budget: one
      // more pod than maxUnavailable may be in upgrade while it recovers.
      watcher = await watchUpgrade(ns.name, 'group=broken', limits(2), async () => {
        await patchSpec('broken', {
          containers: [
            { name: 'envoy', image: 'example.com/envoy:2', podInjectPolicy: 'BeforeAppContainer' },
          ],
        });
        await settled('broken', 4, 4);
      });
      expectUpgradeInvariantsHeld(watcher);
    },
    180_000,
  );

  itOnLocalCluster(
    'a change besides images marks pods SidecarSetUpgradable=False and restarts nothing',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('immutable', 'immutable', 'example.com/envoy:1', { updateStrategy: { maxUnavailable: 4 } }),
      );
      await podsOf('immutable', 3);
      await settled('immutable', 3, 3);
      const condition = (p: PodObject): PodCondition | undefined =>
        p.status?.conditions?.find((c) => c.type === SidecarSetUpgradableCondition);
      const watcher = await watchUpgrade(ns.name, 'group=immutable', limits(0), async () => {
        await patchSpec('immutable', {
          containers: [
            {
              name: 'envoy',
              image: 'example.com/envoy:2',
              podInjectPolicy: 'BeforeAppContainer',
              env: [{ name: 'LOG_LEVEL', value: 'debug' }],
            },
          ],
        });
        await waitFor('pods marked not upgradable', async () =>
          (await groupPods('immutable')).every((p) => condition(p)?.status === 'False'),
        );
        await staysAt('immutable', 0);
      });
      expectUpgradeInvariantsHeld(watcher);
      for (const p of await groupPods('immutable')) {
        expect(condition(p)).toMatchObject({
          reason: 'UpdateImmutableField',
          message: '{"immutable":false}',
        });
        expect(imageOf(p, 'envoy')).toBe('example.com/envoy:1');
      }
      await waitFor('NotUpgradablePods event', async () =>
        (await eventsOf('immutable')).includes('NotUpgradablePods'),
      );
    },
    180_000,
  );

  itOnLocalCluster(
    'two SidecarSets on one pod are upgraded each on its own',
    async () => {
      await createObservedSidecarSet(
        operator,
        envoySet('two-mesh', 'two', 'example.com/envoy:1', { updateStrategy: { maxUnavailable: 1 } }),
      );
      await createObservedSidecarSet(operator, {
        ...envoySet('two-log', 'two', 'example.com/log:1', { updateStrategy: { maxUnavailable: 1 } }),
        spec: {
          selector: { matchLabels: { group: 'two' } },
          namespace: ns.name,
          containers: [{ name: 'log', image: 'example.com/log:1', podInjectPolicy: 'AfterAppContainer' }],
          updateStrategy: { maxUnavailable: 1 },
        },
      });
      await podsOf('two', 3);
      await settled('two-mesh', 3, 3);
      await settled('two-log', 3, 3);
      const watcher = await watchUpgrade(ns.name, 'group=two', limits(1, ['envoy', 'log']), async () => {
        await patchSpec('two-log', {
          containers: [{ name: 'log', image: 'example.com/log:2', podInjectPolicy: 'AfterAppContainer' }],
        });
        await settled('two-log', 3, 3);
      });
      expectUpgradeInvariantsHeld(watcher);
      const after = await groupPods('two');
      expect(after.map((p) => [imageOf(p, 'envoy'), imageOf(p, 'log')])).toEqual(
        Array(3).fill(['example.com/envoy:1', 'example.com/log:2']),
      );
      expect((await sidecarSets().get({ name: 'two-mesh' })).status).toMatchObject({
        matchedPods: 3,
        updatedPods: 3,
      });
    },
    180_000,
  );
});

describe('SidecarSet hot upgrade', () => {
  const EMPTY = 'example.com/empty:1';
  const hotEnvoy = (image: string) => [
    {
      name: 'envoy',
      image,
      podInjectPolicy: 'BeforeAppContainer',
      upgradeStrategy: { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: EMPTY },
    },
  ];
  const hotLimits: UpgradeLimits = {
    maxInUpgrade: 1,
    sidecars: ['envoy-1', 'envoy-2'],
    hot: [{ twins: ['envoy-1', 'envoy-2'], emptyImage: EMPTY }],
  };
  const working = (p: PodObject) =>
    JSON.parse(p.metadata?.annotations?.[SidecarSetWorkingHotUpgradeContainerAnnotation] ?? '{}').envoy;
  const twins = (p: PodObject) => [imageOf(p, 'envoy-1'), imageOf(p, 'envoy-2')];

  itOnLocalCluster(
    'alternates the working twin on each upgrade; a failing image never takes over',
    async () => {
      await createObservedSidecarSet(operator, {
        ...envoySet('hot', 'hot', 'example.com/envoy:1'),
        spec: {
          selector: { matchLabels: { group: 'hot' } },
          namespace: ns.name,
          containers: hotEnvoy('example.com/envoy:1') as SidecarSetSpec['containers'],
          updateStrategy: { maxUnavailable: 1 },
        },
      });
      await podsOf('hot', 3);
      await settled('hot', 3, 3);
      let list = await groupPods('hot');
      expect(list.map(twins)).toEqual(Array(3).fill(['example.com/envoy:1', EMPTY]));
      expect(list.map(working)).toEqual(['envoy-1', 'envoy-1', 'envoy-1']);

      for (const [image, expected] of [
        ['example.com/envoy:2', ['envoy-2', [EMPTY, 'example.com/envoy:2']]],
        ['example.com/envoy:3', ['envoy-1', ['example.com/envoy:3', EMPTY]]],
      ] as const) {
        const watcher = await watchUpgrade(ns.name, 'group=hot', hotLimits, async () => {
          await patchSpec('hot', { containers: hotEnvoy(image) });
          await settled('hot', 3, 3);
          await waitFor('old twins emptied', async () =>
            (await groupPods('hot')).every((p) => twins(p).includes(EMPTY)),
          );
        });
        expectUpgradeInvariantsHeld(watcher);
        list = await groupPods('hot');
        expect(list.map(working)).toEqual(Array(3).fill(expected[0]));
        expect(list.map(twins)).toEqual(Array(3).fill(expected[1]));
        expect(
          list.map((p) => p.metadata?.annotations?.[`version.sidecarset.kruise.io/${expected[0]}`]),
        ).not.toContain('0');
      }
      // Each pod's twin was emptied twice, and kubectl describe pod shows it.
      await waitFor('reset events on every pod', async () => {
        const resets = await eventsAbout('ResetContainerSucceed');
        return list.every((p) => (resets.get(p.metadata?.uid ?? '') ?? 0) >= 2);
      });

      // A failing image goes into the idle twin; the working one keeps serving and is never emptied.
      const watcher = await watchUpgrade(ns.name, 'group=hot', hotLimits, async () => {
        await patchSpec('hot', { containers: hotEnvoy(BROKEN) });
        await observedSidecarSet('hot', (s) => s.status?.updatedPods === 1);
        await staysAt('hot', 1);
      });
      expectUpgradeInvariantsHeld(watcher);
      list = await groupPods('hot');
      const failed = list.filter((p) => twins(p).includes(BROKEN));
      expect(failed).toHaveLength(1);
      expect(twins(failed[0]!)).toEqual(['example.com/envoy:3', BROKEN]);
      const served = failed[0]!.status?.containerStatuses?.find((s) => s.name === 'envoy-1');
      expect(served).toMatchObject({ image: 'example.com/envoy:3', ready: true });
    },
    240_000,
  );
});
