// CloneSet across an operator crash, and InPlaceOnly through the admission webhooks: on the real control
// plane with kwok acting as kubelet.

import { waitFor } from '../../cluster/wait';
import { itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useCustomResourceWebhooks } from '../cluster/webhooks';
import {
  cloneSetOf,
  cloneSets,
  expectInvariantsHeld,
  getCloneSet,
  type PodObject,
  patchSpec,
  podsOf,
  type RunningController,
  revisionOf,
  startController,
  waitRolledOut,
  watchRollout,
} from './cloneset-harness';

const uidsOf = (list: PodObject[]) => list.map((p) => p.metadata?.uid ?? '').sort();

describe('CloneSet operator', () => {
  const ns = useTestNamespace('cloneset-op');
  useCustomResourceWebhooks();
  let running: RunningController | undefined;

  beforeAll(async () => {
    running = await startController(ns.name);
  });

  afterAll(async () => {
    await running?.stop();
  });

  itOnLocalCluster('a rollout interrupted by an operator crash finishes with no duplicate pods', async () => {
    const strategy = { type: 'ReCreate', maxUnavailable: 1, maxSurge: 1 } as const;
    // minReadySeconds slows each step down so the crash lands mid-rollout.
    await cloneSets().create(
      cloneSetOf('crash', ns.name, { replicas: 6, minReadySeconds: 1, updateStrategy: strategy }),
    );
    await waitRolledOut(ns.name, 'crash');
    const watcher = await watchRollout(
      ns.name,
      'crash',
      { replicas: 6, maxUnavailable: 1, maxSurge: 1 },
      async () => {
        await patchSpec(ns.name, 'crash', {
          template: { spec: { containers: [{ name: 'app', image: 'example.com/app:v2' }] } },
        });
        await waitFor(
          'the rollout to be under way',
          async () => {
            const cs = await getCloneSet(ns.name, 'crash');
            const updated = (await podsOf(ns.name, 'crash')).filter(
              (p) => revisionOf(p) === cs.status?.updateRevision,
            );
            return updated.length >= 1 && updated.length < 6;
          },
          60_000,
          50,
        );
        await running?.kill();
        running = await startController(ns.name);
        await waitRolledOut(ns.name, 'crash');
      },
    );
    expectInvariantsHeld(watcher);
    const after = await podsOf(ns.name, 'crash');
    expect(after).toHaveLength(6);
    expect(after.map((p) => p.spec?.containers[0]?.image)).toEqual(Array(6).fill('example.com/app:v2'));
  });

  itOnLocalCluster(
    'InPlaceOnly: the webhook rejects a non-image change; an image change goes in place',
    async () => {
      const strategy = { type: 'InPlaceOnly', maxUnavailable: 1 } as const;
      await cloneSets().create(cloneSetOf('inplaceonly', ns.name, { replicas: 2, updateStrategy: strategy }));
      const before = await waitRolledOut(ns.name, 'inplaceonly');
      const env = [{ name: 'MODE', value: 'fast' }];
      await expect(
        patchSpec(ns.name, 'inplaceonly', {
          template: { spec: { containers: [{ name: 'app', image: 'example.com/app:v1', env }] } },
        }),
      ).rejects.toThrow(/InPlaceOnly/);
      const watcher = await watchRollout(
        ns.name,
        'inplaceonly',
        { replicas: 2, maxUnavailable: 1, maxSurge: 0 },
        async () => {
          await patchSpec(ns.name, 'inplaceonly', {
            template: { spec: { containers: [{ name: 'app', image: 'example.com/app:v2' }] } },
          });
          await waitRolledOut(ns.name, 'inplaceonly');
        },
      );
      expectInvariantsHeld(watcher);
      expect(watcher.deletedUids.size).toBe(0);
      expect(uidsOf(await podsOf(ns.name, 'inplaceonly'))).toEqual(uidsOf(before));
    },
  );
});
