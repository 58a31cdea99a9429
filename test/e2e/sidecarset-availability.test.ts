// Availability of injection: while the operator restarts, no pod a SidecarSet selects may start without
// its sidecar (the mTLS hole of openkruise/charts#54). And a pod that slipped through anyway (the pod
// injector unregistered) is reported: status.missingSidecarPods, a Warning Event and a metric.
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { MissingSidecarsMetric, MissingSidecarsReason } from '../../controllers/sidecarset/controller';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import {
  Deployments,
  Events,
  type KubeObject,
  MutatingWebhookConfigurations,
  ReplicaSets,
} from '../../runtime/meta';
import { POD_MUTATING_CONFIGURATION_NAME } from '../../webhooks/configurations';
import { removePodWebhookConfiguration } from '../../webhooks/setup';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import {
  containerNames,
  deleteSidecarSet,
  type PodObject,
  pods,
  type RunningOperator,
  type SidecarSetObject,
  sidecarSets,
  startOperator,
} from './sidecarset-harness';

interface Workload extends KubeObject {
  spec?: { replicas?: number };
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

const hasSidecar = (pod: PodObject) => containerNames(pod).includes('mtls-proxy');

describe('SidecarSet injection across an operator restart', () => {
  const ns = useTestNamespace('sidecar-outage');
  let operator: RunningOperator | undefined;
  let name = '';
  const violations: string[] = [];
  const watching = new AbortController();

  beforeAll(async () => {
    name = `${ns.name}-mtls`;
    operator = await startOperator();
    const sidecarSet: SidecarSetObject = {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'SidecarSet',
      metadata: { name },
      spec: {
        namespace: ns.name,
        selector: { matchLabels: { app: 'payments' } },
        containers: [
          { name: 'mtls-proxy', image: 'example.com/envoy:1.30', podInjectPolicy: 'BeforeAppContainer' },
        ],
      },
    };
    await sidecarSets().create(sidecarSet);
    // The invariant, checked at every pod event: a selected pod never exists without its sidecar.
    const informer = new Informer<PodObject>(pods(), { namespace: ns.name, logger: silentLogger() });
    const check = (pod: PodObject) => {
      if (pod.metadata?.labels?.app === 'payments' && !pod.metadata.labels.unguarded && !hasSidecar(pod))
        violations.push(pod.metadata.name ?? '');
    };
    informer.addEventHandler({ onAdd: check, onUpdate: (_old, pod) => check(pod) });
    void informer.start(watching.signal);
    await informer.waitForSync();
  });

  afterAll(async () => {
    watching.abort();
    await operator?.stop();
    await removePodWebhookConfiguration(e2eClient());
    await deleteSidecarSet(name);
  });

  const paymentsPods = async () =>
    (await pods().list({ namespace: ns.name, labelSelector: 'app=payments' })).items.filter(
      (p) => !p.metadata?.labels?.unguarded,
    );

  itOnLocalCluster(
    'creates no selected pod while the operator is down, and injects all once it is back',
    async () => {
      const deployments = e2eClient().resource<Workload>(Deployments);
      await deployments.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'payments', namespace: ns.name },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'payments' } },
          template: {
            metadata: { labels: { app: 'payments' } },
            spec: {
              containers: [{ name: 'app', image: 'example.com/payments:1' }],
              tolerations: [KWOK_TOLERATION],
              terminationGracePeriodSeconds: 0,
            },
          },
        },
      } as Workload);
      await waitFor(
        '2 injected payments pods',
        async () => (await paymentsPods()).filter(hasSidecar).length === 2,
      );

      await operator?.stop();
      operator = undefined;
      // The injector stays registered while nobody serves it: pod creation fails closed.
      await e2eClient()
        .resource(MutatingWebhookConfigurations)
        .get({ name: POD_MUTATING_CONFIGURATION_NAME });
      await expect(
        pods().create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'direct', namespace: ns.name, labels: { app: 'payments' } },
          spec: {
            containers: [{ name: 'app', image: 'example.com/payments:1' }],
            tolerations: [KWOK_TOLERATION],
          },
        } as PodObject),
      ).rejects.toThrow(/mpod\.kb\.io/);
      await deployments.patch(
        { namespace: ns.name, name: 'payments' },
        { spec: { replicas: 5 } },
        { type: 'merge' },
      );
      await waitFor(
        'the ReplicaSet to report that it cannot create pods',
        async () => {
          const { items } = await e2eClient().resource<Workload>(ReplicaSets).list({ namespace: ns.name });
          return items.some((rs) =>
            rs.status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True'),
          );
        },
        120_000,
      );
      expect(await paymentsPods()).toHaveLength(2);

      operator = await startOperator();
      await waitFor(
        '5 injected payments pods after the restart',
        async () =>
          (await paymentsPods()).filter((p) => !p.metadata?.deletionTimestamp && hasSidecar(p)).length === 5,
        180_000,
      );
      expect(violations).toEqual([]);
    },
  );

  itOnLocalCluster(
    'reports a selected pod that runs without its sidecar: status, Event, metric',
    async () => {
      await operator?.stop();
      operator = undefined;
      // As if someone deleted the configuration or set failurePolicy Ignore during an outage.
      await removePodWebhookConfiguration(e2eClient());
      const unguardedPod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'slipped', namespace: ns.name, labels: { app: 'payments', unguarded: 'true' } },
        spec: {
          containers: [{ name: 'app', image: 'example.com/payments:1' }],
          tolerations: [KWOK_TOLERATION],
        },
      } as PodObject;
      // The apiserver's webhook cache lags the deletion: until it catches up, it still calls the injector
      // (the create fails, and waitFor tries again).
      const slipped = await waitFor('the apiserver to stop calling the removed pod injector', () =>
        pods().create(unguardedPod),
      );
      expect(hasSidecar(slipped)).toBe(false);

      operator = await startOperator();
      await waitFor(
        'status.missingSidecarPods = 1',
        async () => (await sidecarSets().get({ name })).status?.missingSidecarPods === 1,
      );
      await waitFor('a PodsWithoutSidecars Event on the SidecarSet', async () => {
        const { items } = await e2eClient()
          .resource<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>(
            Events,
          )
          .list({ namespace: 'default' });
        return items.some(
          (e) =>
            e.reason === MissingSidecarsReason &&
            e.involvedObject?.name === name &&
            e.message?.includes(`${ns.name}/slipped`),
        );
      });
      const metric = await operator.mgr.metrics.registry.getSingleMetric(MissingSidecarsMetric)?.get();
      expect(metric?.values).toContainEqual(
        expect.objectContaining({ labels: { sidecarset: name }, value: 1 }),
      );

      await pods().delete({ namespace: ns.name, name: 'slipped' }, { gracePeriodSeconds: 0 });
      await waitFor(
        'status.missingSidecarPods = 0',
        async () => (await sidecarSets().get({ name })).status?.missingSidecarPods === 0,
      );
    },
  );
});
