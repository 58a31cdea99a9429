// The local control plane behaves like a real cluster where Outrigger depends on it: kube-controller-manager
// creates pods, kube-scheduler binds them, and kwok's stages act as kubelet.

import * as path from 'node:path';
import {
  CONTAINER_RESTART_DELAY_ANNOTATION,
  POD_COMPLETE_DELAY_ANNOTATION,
  POD_EXIT_DELAY_ANNOTATION,
  POD_FAILING_NODES_ANNOTATION,
  POD_FAILURES_ANNOTATION,
  POD_START_DELAY_ANNOTATION,
} from '../../cluster/kwok/delays';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { sleep, waitFor } from '../../cluster/wait';
import { createClient } from '../../runtime/client';
import { Deployments, type KubeObject, Nodes, Pods, type ResourceType } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath, exists, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { E2E_NODE_COUNT } from '../cluster/globalSetup';

const Jobs: ResourceType = { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true };

interface Condition {
  type: string;
  status: string;
}
interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  restartCount: number;
}
interface Pod extends KubeObject {
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] };
}
interface Workload extends KubeObject {
  status?: { readyReplicas?: number; succeeded?: number; conditions?: Condition[] };
}

const conditionOf = (obj: { status?: { conditions?: Condition[] } }, type: string) =>
  obj.status?.conditions?.find((c) => c.type === type)?.status;

const podTemplate = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: {
    tolerations: [KWOK_TOLERATION],
    containers: [{ name: 'app', image: 'registry.example/app:v1' }],
    ...extra,
  },
});

describe('local control plane', () => {
  const ns = useTestNamespace('harness');
  const pods = () => e2eClient().resource<Pod>(Pods);

  itOnLocalCluster('kwok nodes are Ready with the capacity they were given', async () => {
    const nodes = await e2eClient()
      .resource<KubeObject & { status: { conditions: Condition[]; allocatable: Record<string, string> } }>(
        Nodes,
      )
      .list({ labelSelector: 'type=kwok' });
    const workers = nodes.items.filter((n) => n.metadata?.name?.startsWith('kwok-node-'));
    expect(workers).toHaveLength(E2E_NODE_COUNT);
    for (const node of workers) {
      expect(conditionOf(node, 'Ready')).toBe('True');
      expect(node.status.allocatable['nvidia.com/gpu']).toBe('2');
      expect(node.status.allocatable.cpu).toBe('16');
    }
  });

  itOnLocalCluster(
    'a Deployment gets pods from KCM, bound by the scheduler, Running and Ready via kwok',
    async () => {
      const labels = { app: 'web' };
      await e2eClient()
        .resource<Workload>(Deployments)
        .create({
          metadata: { name: 'web', namespace: ns.name },
          spec: { replicas: 3, selector: { matchLabels: labels }, template: podTemplate(labels) },
        } as Workload);
      const ready = await waitFor('3 ready replicas', async () => {
        const d = await e2eClient().resource<Workload>(Deployments).get({ namespace: ns.name, name: 'web' });
        return d.status?.readyReplicas === 3 ? d : undefined;
      });
      expect(ready.status?.readyReplicas).toBe(3);
      const list = await pods().list({ namespace: ns.name, labelSelector: 'app=web' });
      expect(list.items).toHaveLength(3);
      for (const pod of list.items) {
        expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
        expect(pod.spec.nodeName).toMatch(/^kwok-/);
        expect(pod.status?.phase).toBe('Running');
        expect(conditionOf(pod, 'Ready')).toBe('True');
      }
    },
  );

  itOnLocalCluster('a pod with a readiness gate is Ready only while the gate condition is True', async () => {
    const gate = 'outrigger.io/test-gate';
    const { spec } = podTemplate({ app: 'gated' }, { readinessGates: [{ conditionType: gate }] });
    await pods().create({ metadata: { name: 'gated', namespace: ns.name }, spec } as Pod);
    const ref = { namespace: ns.name, name: 'gated' };
    const running = await waitFor('the gated pod to run', async () => {
      const pod = await pods().get(ref);
      return pod.status?.phase === 'Running' ? pod : undefined;
    });
    expect(conditionOf(running, 'ContainersReady')).toBe('True');
    expect(conditionOf(running, 'Ready')).toBe('False');

    const setGate = (status: string) =>
      pods().patch(
        ref,
        { status: { conditions: [{ type: gate, status }] } },
        { type: 'strategic', subresource: 'status' },
      );
    await setGate('True');
    await waitFor(
      'Ready=True after the gate turns True',
      async () => conditionOf(await pods().get(ref), 'Ready') === 'True',
    );
    await setGate('False');
    await waitFor(
      'Ready=False after the gate turns False',
      async () => conditionOf(await pods().get(ref), 'Ready') === 'False',
    );
  });

  itOnLocalCluster(
    'an in-place image change restarts the container like kubelet, keeping the pod',
    async () => {
      const { spec } = podTemplate({ app: 'inplace' });
      await pods().create({ metadata: { name: 'inplace', namespace: ns.name }, spec } as Pod);
      const ref = { namespace: ns.name, name: 'inplace' };
      const before = await waitFor('the pod to be Ready', async () => {
        const pod = await pods().get(ref);
        return conditionOf(pod, 'Ready') === 'True' ? pod : undefined;
      });
      const oldStatus = before.status?.containerStatuses?.[0];
      expect(oldStatus?.image).toBe('registry.example/app:v1');

      await pods().patch(
        ref,
        { spec: { containers: [{ name: 'app', image: 'registry.example/app:v2' }] } },
        { type: 'strategic' },
      );
      const after = await waitFor('the new image in containerStatuses', async () => {
        const pod = await pods().get(ref);
        return pod.status?.containerStatuses?.[0]?.image === 'registry.example/app:v2' ? pod : undefined;
      });
      const newStatus = after.status?.containerStatuses?.[0];
      expect(after.metadata?.uid).toBe(before.metadata?.uid);
      expect(after.spec.nodeName).toBe(before.spec.nodeName);
      expect(newStatus?.imageID).not.toBe(oldStatus?.imageID);
      expect(newStatus?.restartCount).toBe((oldStatus?.restartCount ?? 0) + 1);
      expect(conditionOf(after, 'Ready')).toBe('True');
    },
  );

  itOnLocalCluster('a Job runs its pods to completion and succeeds', async () => {
    const labels = { app: 'batch' };
    await e2eClient()
      .resource<Workload>(Jobs)
      .create({
        metadata: { name: 'batch', namespace: ns.name },
        spec: {
          completions: 2,
          parallelism: 2,
          template: podTemplate(labels, { restartPolicy: 'Never' }),
        },
      } as Workload);
    const job = await waitFor('the Job to complete', async () => {
      const j = await e2eClient().resource<Workload>(Jobs).get({ namespace: ns.name, name: 'batch' });
      return conditionOf(j, 'Complete') === 'True' ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(2);
  });

  itOnLocalCluster(
    'pods with restartPolicy Never or OnFailure run to completion whoever owns them; Always pods keep running',
    async () => {
      const bare = (
        name: string,
        restartPolicy: string,
        annotations: Record<string, string> = {},
        nodeName?: string,
      ) =>
        pods().create({
          metadata: { name, namespace: ns.name, annotations },
          spec: podTemplate({ app: name }, { restartPolicy, ...(nodeName ? { nodeName } : {}) }).spec,
        } as Pod);
      await Promise.all([
        bare('run-once', 'Never'),
        bare('run-on-failure', 'OnFailure'),
        bare('serve', 'Always'),
        bare('fails', 'Never', { [POD_FAILURES_ANNOTATION]: '1' }),
        // Failures limited to nodes: kwok-node-0 only (the pod is pinned there), then another node only.
        bare(
          'fails-on-its-node',
          'Never',
          { [POD_FAILURES_ANNOTATION]: '1', [POD_FAILING_NODES_ANNOTATION]: 'kwok-node-9,kwok-node-0' },
          'kwok-node-0',
        ),
        bare(
          'fails-elsewhere',
          'Never',
          { [POD_FAILURES_ANNOTATION]: '1', [POD_FAILING_NODES_ANNOTATION]: 'kwok-node-9' },
          'kwok-node-0',
        ),
        bare('fails-twice', 'OnFailure', {
          [POD_FAILURES_ANNOTATION]: '2',
          [POD_COMPLETE_DELAY_ANNOTATION]: '1s',
        }),
      ]);
      const phaseOf = async (name: string) => (await pods().get({ namespace: ns.name, name })).status?.phase;
      const ended = (name: string, phase: string) =>
        waitFor(`pod ${name} to be ${phase}`, async () => (await phaseOf(name)) === phase, 60_000);
      await Promise.all([
        ended('run-once', 'Succeeded'),
        ended('run-on-failure', 'Succeeded'),
        ended('fails', 'Failed'),
        ended('fails-on-its-node', 'Failed'),
        ended('fails-elsewhere', 'Succeeded'),
        ended('fails-twice', 'Succeeded'),
      ]);
      const failed = await pods().get({ namespace: ns.name, name: 'fails' });
      expect(failed.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0 });
      expect(JSON.stringify(failed.status?.containerStatuses?.[0])).toContain('"exitCode":1');
      // Each failed run restarted the container once; the third run succeeded and kept the count.
      const restarted = await pods().get({ namespace: ns.name, name: 'fails-twice' });
      expect(restarted.status?.containerStatuses?.[0]?.restartCount).toBe(2);
      expect(await phaseOf('serve')).toBe('Running');
    },
  );

  itOnLocalCluster('kwok, like a kubelet, may only finish the deletion of a terminating pod', async () => {
    // kwok deletes by name; a replacement pod of the same name must survive a late second delete.
    const asKwok = createClient(path.join(path.dirname(e2eKubeconfigPath()), 'kwok.kubeconfig'));
    try {
      const { spec } = podTemplate({ app: 'kept' }, { terminationGracePeriodSeconds: 30 });
      await pods().create({ metadata: { name: 'kept', namespace: ns.name }, spec } as Pod);
      const ref = { namespace: ns.name, name: 'kept' };
      await expect(asKwok.resource(Pods).delete(ref)).rejects.toThrow(
        /only finishes the deletion of terminating pods/,
      );
      expect((await pods().get(ref)).metadata?.deletionTimestamp).toBeUndefined();
      await pods().delete(ref);
      await asKwok.resource(Pods).delete(ref, { gracePeriodSeconds: 0 });
      await waitFor('the pod to be gone', async () => !(await exists(() => pods().get(ref))), 10_000);
    } finally {
      asKwok.close();
    }
  });

  itOnLocalCluster('a deleted pod stays Terminating for its grace period, then goes away', async () => {
    const { spec } = podTemplate({ app: 'graceful' }, { terminationGracePeriodSeconds: 3 });
    await pods().create({ metadata: { name: 'graceful', namespace: ns.name }, spec } as Pod);
    const ref = { namespace: ns.name, name: 'graceful' };
    await waitFor('the pod to run', async () => (await pods().get(ref)).status?.phase === 'Running');

    await pods().delete(ref);
    const terminating = await pods().get(ref);
    const deadline = Date.parse(terminating.metadata?.deletionTimestamp ?? '');
    expect(Number.isNaN(deadline)).toBe(false);
    await waitFor('the pod to be gone', async () => !(await exists(() => pods().get(ref))), 30_000);
    // deletionTimestamp = delete time + grace period (RFC 3339, whole seconds, so allow 1 s of rounding).
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 1000);
  });

  itOnLocalCluster(
    'a deleted pod whose containers exit on SIGTERM goes away before its grace period ends',
    async () => {
      const { spec } = podTemplate({ app: 'quick-exit' }, { terminationGracePeriodSeconds: 30 });
      const annotations = { [POD_EXIT_DELAY_ANNOTATION]: '1500ms' };
      await pods().create({ metadata: { name: 'quick-exit', namespace: ns.name, annotations }, spec } as Pod);
      const ref = { namespace: ns.name, name: 'quick-exit' };
      await waitFor('the pod to run', async () => (await pods().get(ref)).status?.phase === 'Running');

      const deletedAt = Date.now();
      await pods().delete(ref);
      expect((await pods().get(ref)).metadata?.deletionTimestamp).toBeDefined();
      // Gone within 20 s, well before the 30 s grace period, but not before its containers exited.
      await waitFor('the pod to be gone', async () => !(await exists(() => pods().get(ref))), 20_000);
      expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(1400);
    },
  );

  itOnLocalCluster(
    'annotations set how long the simulated kubelet takes to start a pod and restart a container',
    async () => {
      const { spec } = podTemplate({ app: 'slow' });
      const annotations = { [POD_START_DELAY_ANNOTATION]: '2s', [CONTAINER_RESTART_DELAY_ANNOTATION]: '2s' };
      await pods().create({ metadata: { name: 'slow', namespace: ns.name, annotations }, spec } as Pod);
      const ref = { namespace: ns.name, name: 'slow' };
      await waitFor('the pod to be scheduled', async () => Boolean((await pods().get(ref)).spec.nodeName));
      const scheduledAt = Date.now();
      const running = async () => (await pods().get(ref)).status?.phase === 'Running';
      expect(await running()).toBe(false);
      await waitFor('the pod to run', running);
      expect(Date.now() - scheduledAt).toBeGreaterThanOrEqual(1500);

      const patchedAt = Date.now();
      await pods().patch(
        ref,
        { spec: { containers: [{ name: 'app', image: 'registry.example/app:v2' }] } },
        { type: 'strategic' },
      );
      const restarted = async () =>
        (await pods().get(ref)).status?.containerStatuses?.[0]?.image === 'registry.example/app:v2';
      expect(await restarted()).toBe(false);
      await waitFor('the container to restart', restarted);
      expect(Date.now() - patchedAt).toBeGreaterThanOrEqual(1500);
    },
  );

  itOnLocalCluster(
    "a status write while the pod starts does not start it over (kwok's pending stage keeps its time)",
    async () => {
      const { spec } = podTemplate(
        { app: 'status-written' },
        { readinessGates: [{ conditionType: 'example.com/gate' }] },
      );
      const annotations = { [POD_START_DELAY_ANNOTATION]: '3s' };
      await pods().create({
        metadata: { name: 'status-written', namespace: ns.name, annotations },
        spec,
      } as Pod);
      const ref = { namespace: ns.name, name: 'status-written' };
      await waitFor('the pod to be scheduled', async () => Boolean((await pods().get(ref)).spec.nodeName));
      await sleep(1500);
      const gate = { type: 'example.com/gate', status: 'True' };
      await pods().patch(
        ref,
        { status: { conditions: [gate] } },
        { type: 'strategic', subresource: 'status' },
      );
      const writtenAt = Date.now();
      const running = async () => (await pods().get(ref)).status?.phase === 'Running';
      expect(await running()).toBe(false);
      await waitFor('the pod to run', running);
      // Due 3 s after the binding, so about 1.5 s after the write; started over, it would take 3 s.
      expect(Date.now() - writtenAt).toBeLessThan(2500);
      expect(conditionOf(await pods().get(ref), 'Ready')).toBe('True');
    },
  );
});
