// BroadcastJob on the real control plane, kwok as kubelet: which nodes get a pod (all, a nodeSelector
// subset, taints, a taint removed later, free resources, a node added later), parallelism, TTL and the
// deadline. A watcher checks parallelism and one pod per node at every pod event of every job.

import { pinnedNode } from '../../apis/node-fit';
import { waitFor } from '../../cluster/wait';
import { exists, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { nodes, removeTaint, useNodePools } from '../cluster/node-pools';
import { useCustomResourceWebhooks } from '../cluster/webhooks';
import {
  conditionOf,
  expectInvariantsHeld,
  getJob,
  type JobObject,
  jobEventReasons,
  jobOf,
  jobs,
  type PodObject,
  pods,
  podsOfJob,
  type RunningController,
  startController,
  waitForJob,
  watchJob,
} from './broadcastjob-harness';

const completed = (job: JobObject) =>
  job.status?.phase === 'completed' && Boolean(conditionOf(job, 'Complete'));
const nodesOf = async (namespace: string, name: string) =>
  (await podsOfJob(namespace, name)).map((p) => pinnedNode(p) ?? '').sort();

describe('BroadcastJob nodes', () => {
  const ns = useTestNamespace('bcj-nodes');
  useCustomResourceWebhooks();
  const { nodePool } = useNodePools();
  let running: RunningController | undefined;

  beforeAll(async () => {
    running = await startController(ns.name);
  });

  afterAll(async () => {
    await running?.stop();
  });

  itOnLocalCluster('runs one pod to completion on every node of the cluster', async () => {
    const everyNode = { tolerations: [{ operator: 'Exists' }] };
    const watcher = await watchJob(ns.name, 'all', undefined, async () => {
      await jobs().create(jobOf('all', ns.name, { placement: everyNode, runTime: '1s' }));
      await waitForJob(ns.name, 'all', 'to complete', completed);
    });
    expectInvariantsHeld(watcher);
    const names = (await nodes().list()).items.map((n) => n.metadata?.name ?? '').sort();
    const job = await getJob(ns.name, 'all');
    expect(job.status).toMatchObject({
      desired: names.length,
      succeeded: names.length,
      failed: 0,
      active: 0,
    });
    expect(job.status?.startTime).toBeDefined();
    expect(job.status?.completionTime).toBeDefined();
    expect(await nodesOf(ns.name, 'all')).toEqual(names);
    expect(watcher.nodesWithSeveralPods()).toEqual([]);
    const pods = await podsOfJob(ns.name, 'all');
    // Placed by kube-scheduler on the node its affinity names.
    expect(pods.every((p) => p.spec.nodeName === pinnedNode(p) && p.status?.phase === 'Succeeded')).toBe(
      true,
    );
    expect(await jobEventReasons(ns.name, 'all')).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'JobComplete']),
    );
  });

  itOnLocalCluster('a nodeSelector picks a subset of the nodes', async () => {
    const { placement, nodeName } = await nodePool([
      { name: 'a', labels: { role: 'scan' } },
      { name: 'b' },
      { name: 'c', labels: { role: 'scan' } },
      { name: 'd' },
    ]);
    const subset = { ...placement, nodeSelector: { ...placement.nodeSelector, role: 'scan' } };
    await jobs().create(jobOf('subset', ns.name, { placement: subset, runTime: '1s' }));
    const job = await waitForJob(ns.name, 'subset', 'to complete', completed);
    expect(job.status).toMatchObject({ desired: 2, succeeded: 2, failed: 0 });
    expect(await nodesOf(ns.name, 'subset')).toEqual([nodeName('a'), nodeName('c')]);
  });

  itOnLocalCluster('parallelism is never exceeded, checked at every pod event', async () => {
    const { placement } = await nodePool(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => ({ name })));
    // 30% of 7 nodes rounds up to 3.
    const watcher = await watchJob(ns.name, 'paced', 3, async () => {
      await jobs().create(
        jobOf('paced', ns.name, { placement, runTime: '2s', spec: { parallelism: '30%' } }),
      );
      await waitForJob(ns.name, 'paced', 'to complete', completed);
    });
    expectInvariantsHeld(watcher);
    expect(watcher.peakActive).toBe(3);
    expect(watcher.nodesWithSeveralPods()).toEqual([]);
    expect((await getJob(ns.name, 'paced')).status).toMatchObject({ desired: 7, succeeded: 7 });
  });

  itOnLocalCluster(
    'a tainted node is skipped, NoSchedule and NoExecute alike, and included when tolerated',
    async () => {
      const { placement, nodeName } = await nodePool([
        { name: 'plain' },
        { name: 'gpu', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
        { name: 'draining', taints: [{ key: 'maintenance', effect: 'NoExecute' }] },
      ]);
      await jobs().create(jobOf('intolerant', ns.name, { placement, runTime: '1s' }));
      const tolerant = {
        ...placement,
        tolerations: [
          ...placement.tolerations,
          { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
          { key: 'maintenance', operator: 'Exists', effect: 'NoExecute' },
        ],
      };
      await jobs().create(jobOf('tolerant', ns.name, { placement: tolerant, runTime: '1s' }));
      const intolerant = await waitForJob(ns.name, 'intolerant', 'to complete', completed);
      expect(intolerant.status).toMatchObject({ desired: 1, succeeded: 1 });
      expect(await nodesOf(ns.name, 'intolerant')).toEqual([nodeName('plain')]);
      const all = await waitForJob(ns.name, 'tolerant', 'to complete', completed);
      expect(all.status).toMatchObject({ desired: 3, succeeded: 3 });
      expect(await nodesOf(ns.name, 'tolerant')).toEqual([
        nodeName('draining'),
        nodeName('gpu'),
        nodeName('plain'),
      ]);
    },
  );

  itOnLocalCluster(
    "a node whose free resources cannot fit the pod gets none, and the job's desired count excludes it",
    async () => {
      const capacity = { cpu: '4', memory: '8Gi', pods: '110' };
      const { placement, nodeName } = await nodePool([
        { name: 'free', capacity },
        { name: 'busy', capacity },
      ]);
      // Another workload's pod holds 3 of busy's 4 CPUs: a 2-CPU pod fits busy's allocatable, not what is left.
      const filler = {
        metadata: { name: 'filler', namespace: ns.name },
        spec: {
          nodeName: nodeName('busy'),
          tolerations: placement.tolerations,
          containers: [{ name: 'hold', image: 'example.com/hold:v1', resources: { requests: { cpu: '3' } } }],
          terminationGracePeriodSeconds: 0,
        },
      } as PodObject;
      await pods().create(filler);
      await waitFor('the filler pod to run', async () => {
        const pod = await pods().get({ namespace: ns.name, name: 'filler' });
        return pod.status?.phase === 'Running';
      });
      const twoCpus = (name: string) => {
        const job = jobOf(name, ns.name, { placement, runTime: '1s' });
        const container = job.spec!.template.spec.containers[0]!;
        container.resources = { requests: { cpu: '2' } };
        return job;
      };
      const watcher = await watchJob(ns.name, 'fits', undefined, async () => {
        await jobs().create(twoCpus('fits'));
        await waitForJob(ns.name, 'fits', 'to complete', completed);
      });
      expectInvariantsHeld(watcher);
      expect((await getJob(ns.name, 'fits')).status).toMatchObject({ desired: 1, succeeded: 1, failed: 0 });
      expect(await nodesOf(ns.name, 'fits')).toEqual([nodeName('free')]);
      expect([...watcher.uidsByNode.keys()]).toEqual([nodeName('free')]);

      // Only the filler kept it out: with busy's CPUs free again, a second job takes both nodes.
      await pods().delete({ namespace: ns.name, name: 'filler' });
      await waitFor(
        'the filler pod to be gone',
        async () => !(await exists(() => pods().get({ namespace: ns.name, name: 'filler' }))),
      );
      await jobs().create(twoCpus('fits-later'));
      const later = await waitForJob(ns.name, 'fits-later', 'to complete', completed);
      expect(later.status).toMatchObject({ desired: 2, succeeded: 2 });
      expect(await nodesOf(ns.name, 'fits-later')).toEqual([nodeName('busy'), nodeName('free')]);
    },
  );

  itOnLocalCluster('a node whose taint is removed later gets its pod (OpenKruise #1199)', async () => {
    const { placement, nodeName } = await nodePool([
      { name: 'a' },
      { name: 'b', taints: [{ key: 'not-ready-yet', effect: 'NoSchedule' }] },
    ]);
    const job = jobOf('untaint', ns.name, {
      placement,
      runTime: '1s',
      spec: { completionPolicy: { type: 'Never' } },
    });
    await jobs().create(job);
    await waitForJob(
      ns.name,
      'untaint',
      'to run its pod on the untainted node',
      (j) => j.status?.succeeded === 1,
    );
    expect((await getJob(ns.name, 'untaint')).status).toMatchObject({ desired: 1, phase: 'running' });
    await removeTaint(nodeName('b'), 'not-ready-yet');
    const after = await waitForJob(
      ns.name,
      'untaint',
      'to run a pod on the node untainted',
      (j) => j.status?.succeeded === 2,
    );
    expect(after.status).toMatchObject({ desired: 2, phase: 'running' });
    expect(await nodesOf(ns.name, 'untaint')).toEqual([nodeName('a'), nodeName('b')]);
  });

  itOnLocalCluster('completionPolicy Never picks up a node added later', async () => {
    const pool = await nodePool([{ name: 'a' }, { name: 'b' }]);
    await jobs().create(
      jobOf('follow', ns.name, {
        placement: pool.placement,
        runTime: '1s',
        spec: { completionPolicy: { type: 'Never' } },
      }),
    );
    await waitForJob(ns.name, 'follow', 'to finish on the first nodes', (j) => j.status?.succeeded === 2);
    await pool.add([{ name: 'late' }]);
    const job = await waitForJob(
      ns.name,
      'follow',
      'to finish on the new node',
      (j) => j.status?.succeeded === 3,
    );
    expect(job.status).toMatchObject({ desired: 3, active: 0, phase: 'running' });
    expect(conditionOf(job, 'Complete')).toBeUndefined();
    expect(await nodesOf(ns.name, 'follow')).toEqual([
      pool.nodeName('a'),
      pool.nodeName('b'),
      pool.nodeName('late'),
    ]);
  });

  itOnLocalCluster('ttlSecondsAfterFinished deletes the finished job and its pods', async () => {
    const { placement } = await nodePool([{ name: 'a' }, { name: 'b' }]);
    await jobs().create(
      jobOf('ttl', ns.name, {
        placement,
        runTime: '1s',
        spec: { completionPolicy: { ttlSecondsAfterFinished: 2 } },
      }),
    );
    const done = await waitForJob(ns.name, 'ttl', 'to complete', completed);
    expect(done.status?.succeeded).toBe(2);
    await waitFor('the job to be deleted', async () => !(await exists(() => getJob(ns.name, 'ttl'))), 60_000);
    // Its pods go by garbage collection (kube-controller-manager).
    await waitFor(
      'its pods to be deleted',
      async () => (await podsOfJob(ns.name, 'ttl')).length === 0,
      60_000,
    );
  });

  itOnLocalCluster('activeDeadlineSeconds fails the job and deletes its running pods', async () => {
    const { placement } = await nodePool([{ name: 'a' }, { name: 'b' }]);
    await jobs().create(
      jobOf('deadline', ns.name, {
        placement,
        runTime: '10m',
        spec: { completionPolicy: { activeDeadlineSeconds: 3 } },
      }),
    );
    await waitForJob(ns.name, 'deadline', 'to run its pods', (j) => j.status?.active === 2);
    const job = await waitForJob(ns.name, 'deadline', 'to fail', (j) => j.status?.phase === 'failed', 60_000);
    expect(conditionOf(job, 'Failed')?.message).toMatch(/active longer than specified deadline/);
    expect(job.status).toMatchObject({ active: 0, failed: 2, succeeded: 0 });
    expect(job.status?.completionTime).toBeDefined();
    await waitFor(
      'its pods to be gone',
      async () => (await podsOfJob(ns.name, 'deadline')).length === 0,
      60_000,
    );
    expect(await jobEventReasons(ns.name, 'deadline')).toContain('DeadlineExceeded');
  });
});
