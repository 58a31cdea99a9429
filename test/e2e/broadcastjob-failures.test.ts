// BroadcastJob failure handling on the real control plane: FailFast, Continue and Pause on a pod kwok
// makes fail, restartLimit for OnFailure pods, spec.paused, and an operator killed mid-job. Pods are
// created in node-name order, so with parallelism 1 the failing node `a` runs first.
import { POD_FAILING_NODES_ANNOTATION, POD_FAILURES_ANNOTATION } from '../../cluster/kwok/delays';
import { sleep } from '../../cluster/wait';
import { itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { type NodePool, useNodePools } from '../cluster/node-pools';
import { useCustomResourceWebhooks } from '../cluster/webhooks';
import {
  conditionOf,
  expectInvariantsHeld,
  getJob,
  type JobObject,
  jobEventReasons,
  jobOf,
  jobs,
  podsOfJob,
  type RunningController,
  startController,
  waitForJob,
  watchJob,
} from './broadcastjob-harness';

const completed = (job: JobObject) =>
  job.status?.phase === 'completed' && Boolean(conditionOf(job, 'Complete'));

describe('BroadcastJob failures', () => {
  const ns = useTestNamespace('bcj-fail');
  useCustomResourceWebhooks();
  const { nodePool } = useNodePools();
  let running: RunningController | undefined;

  beforeAll(async () => {
    running = await startController(ns.name);
  });

  afterAll(async () => {
    await running?.stop();
  });

  /** Three nodes; the pod on `a` fails `failures` runs. */
  async function failingPool(failures = 1) {
    const pool = await nodePool([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const annotations = {
      [POD_FAILURES_ANNOTATION]: String(failures),
      [POD_FAILING_NODES_ANNOTATION]: pool.nodeName('a'),
    };
    return { pool, annotations };
  }

  const oneAtATime = (pool: NodePool, annotations: Record<string, string>, type: string) => ({
    placement: pool.placement,
    annotations,
    runTime: '1s',
    spec: { parallelism: 1, failurePolicy: { type } } as JobObject['spec'],
  });

  itOnLocalCluster('FailFast: the first failed pod fails the job; no node gets a pod after it', async () => {
    const { pool, annotations } = await failingPool();
    await jobs().create(jobOf('fast', ns.name, oneAtATime(pool, annotations, 'FailFast')));
    const job = await waitForJob(ns.name, 'fast', 'to fail', (j) => j.status?.phase === 'failed');
    expect(conditionOf(job, 'Failed')?.message).toMatch(/failed pod is found/);
    expect(job.status).toMatchObject({ desired: 3, failed: 1, succeeded: 0, active: 0 });
    await sleep(2000);
    expect((await podsOfJob(ns.name, 'fast')).map((p) => p.spec.nodeName)).toEqual([pool.nodeName('a')]);
    expect(await jobEventReasons(ns.name, 'fast')).toContain('PodFailed');
  });

  itOnLocalCluster('Continue: the job goes on past a failed pod and completes', async () => {
    const { pool, annotations } = await failingPool();
    await jobs().create(jobOf('onward', ns.name, oneAtATime(pool, annotations, 'Continue')));
    const job = await waitForJob(ns.name, 'onward', 'to complete', completed);
    expect(job.status).toMatchObject({ desired: 3, failed: 1, succeeded: 2, active: 0 });
  });

  itOnLocalCluster('Pause: a failed pod pauses the job; it creates nothing more', async () => {
    const { pool, annotations } = await failingPool();
    await jobs().create(jobOf('halt', ns.name, oneAtATime(pool, annotations, 'Pause')));
    const job = await waitForJob(ns.name, 'halt', 'to pause', (j) => j.status?.phase === 'paused');
    expect(job.status).toMatchObject({ failed: 1, succeeded: 0 });
    await sleep(3000);
    expect((await podsOfJob(ns.name, 'halt')).map((p) => p.spec.nodeName)).toEqual([pool.nodeName('a')]);
    expect((await getJob(ns.name, 'halt')).status?.phase).toBe('paused');
    expect(await jobEventReasons(ns.name, 'halt')).toContain('Paused');
  });

  itOnLocalCluster('restartLimit: an OnFailure pod restarted past it counts as failed', async () => {
    // The pod on `a` would fail 10 runs; after 3 restarts (> restartLimit 2) the job gives up on it.
    const { pool, annotations } = await failingPool(10);
    let restartsOnA = 0;
    const watcher = await watchJob(
      ns.name,
      'limit',
      undefined,
      async () => {
        await jobs().create(
          jobOf('limit', ns.name, {
            placement: pool.placement,
            annotations,
            runTime: '1s',
            restartPolicy: 'OnFailure',
            spec: { failurePolicy: { type: 'Continue', restartLimit: 2 } },
          }),
        );
        await waitForJob(ns.name, 'limit', 'to complete', completed);
      },
      (pod) => {
        if (pod.spec.nodeName !== pool.nodeName('a')) return;
        restartsOnA = Math.max(restartsOnA, pod.status?.containerStatuses?.[0]?.restartCount ?? 0);
      },
    );
    expectInvariantsHeld(watcher);
    const job = await getJob(ns.name, 'limit');
    expect(job.status).toMatchObject({ desired: 3, failed: 1, succeeded: 2, active: 0 });
    // Counted failed only once past the limit; the finished job then deleted the pod still restarting.
    expect(restartsOnA).toBeGreaterThanOrEqual(3);
    const left = (await podsOfJob(ns.name, 'limit')).filter((p) => p.spec.nodeName === pool.nodeName('a'));
    expect(left.every((p) => p.metadata?.deletionTimestamp)).toBe(true);
  });

  itOnLocalCluster('spec.paused holds the job until it is unpaused', async () => {
    const pool = await nodePool([{ name: 'a' }, { name: 'b' }]);
    await jobs().create(
      jobOf('held', ns.name, { placement: pool.placement, runTime: '1s', spec: { paused: true } }),
    );
    await waitForJob(ns.name, 'held', 'to be paused', (j) => j.status?.phase === 'paused');
    await sleep(2000);
    expect(await podsOfJob(ns.name, 'held')).toEqual([]);
    await jobs().patch({ namespace: ns.name, name: 'held' }, { spec: { paused: false } }, { type: 'merge' });
    const job = await waitForJob(ns.name, 'held', 'to complete', completed);
    expect(job.status).toMatchObject({ desired: 2, succeeded: 2 });
  });

  itOnLocalCluster('an operator killed mid-job finishes it with no duplicate pod on any node', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const { placement } = await nodePool(names.map((name) => ({ name })));
    const watcher = await watchJob(ns.name, 'crash', 2, async () => {
      await jobs().create(jobOf('crash', ns.name, { placement, runTime: '2s', spec: { parallelism: 2 } }));
      await waitForJob(ns.name, 'crash', 'to be under way', (j) => (j.status?.succeeded ?? 0) >= 2);
      await running?.kill();
      running = await startController(ns.name);
      await waitForJob(ns.name, 'crash', 'to complete', completed);
    });
    expectInvariantsHeld(watcher);
    expect(watcher.nodesWithSeveralPods()).toEqual([]);
    expect(watcher.uidsByNode.size).toBe(8);
    expect((await getJob(ns.name, 'crash')).status).toMatchObject({ desired: 8, succeeded: 8, failed: 0 });
  });
});
