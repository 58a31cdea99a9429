// Shared by the SidecarSet e2e files: the operator's SidecarSet parts in this process (CR webhooks, the
// pod injector, the SidecarSet controller and optionally the CloneSet controller), and helpers.

import type { Pod } from '../../apis/core-objects';
import { installCrds, resourceOf } from '../../apis/install';
import type { SidecarSet } from '../../apis/sidecarset';
import { waitFor } from '../../cluster/wait';
import { setupCloneSetController } from '../../controllers/cloneset';
import { setupSidecarSetController } from '../../controllers/sidecarset';
import { createClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { type KubeObject, Pods } from '../../runtime/meta';
import { customResourceRegistry } from '../../webhooks/custom-resources';
import { informerPodInjectionSources, registerPodWebhook } from '../../webhooks/pod';
import { removePodWebhookConfiguration, webhookRunnable } from '../../webhooks/setup';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';
import { OPERATOR_NS } from '../cluster/webhooks';

export type SidecarSetObject = SidecarSet & KubeObject;
export type PodObject = Pod & KubeObject;

export const sidecarSets = () => e2eClient().resource<SidecarSetObject>(resourceOf('SidecarSet'));
export const pods = () => e2eClient().resource<PodObject>(Pods);

export interface RunningOperator {
  mgr: Manager;
  /** Graceful stop, as on a rolling restart of the operator. */
  stop(): Promise<void>;
}

/** Starts the webhooks (registered as https://127.0.0.1:<port>) and the SidecarSet controller. */
export async function startOperator(options: { cloneSetNamespace?: string } = {}): Promise<RunningOperator> {
  const client = createClient(e2eKubeconfigPath());
  await installCrds(client);
  const mgr = new Manager({ client, leaderElection: false, healthAddress: false, logger: silentLogger() });
  const registry = customResourceRegistry(client, OPERATOR_NS);
  registerPodWebhook(registry, informerPodInjectionSources(client, mgr.informers, OPERATOR_NS), {
    operatorNamespace: OPERATOR_NS,
  });
  const webhooks = webhookRunnable({
    client,
    registry,
    mode: 'local',
    namespace: OPERATOR_NS,
    host: '127.0.0.1',
    port: 0,
    metricsRegistry: mgr.metrics.registry,
    logger: silentLogger(),
  });
  mgr.add(webhooks);
  setupSidecarSetController(mgr, { namespace: OPERATOR_NS });
  if (options.cloneSetNamespace) setupCloneSetController(mgr, { namespace: options.cloneSetNamespace });
  const stop = new AbortController();
  const running = mgr.start(stop.signal);
  await waitFor(
    'the operator to serve with synced caches',
    () => webhooks.ready() && mgr.informers.hasSynced(),
  );
  return {
    mgr,
    stop: async () => {
      stop.abort();
      await running;
      client.close();
    },
  };
}

/**
 * For a test file: the operator runs from beforeAll to afterAll; afterwards the pod injector's
 * configuration (which outlives the operator on purpose) and the file's SidecarSets are removed.
 */
export function useOperator(options: { cloneSetNamespace?: () => string } = {}) {
  const holder: { operator?: RunningOperator; created: string[] } = { created: [] };
  beforeAll(async () => {
    holder.operator = await startOperator({ cloneSetNamespace: options.cloneSetNamespace?.() });
  });
  afterAll(async () => {
    await holder.operator?.stop();
    await removePodWebhookConfiguration(e2eClient());
    for (const name of holder.created) {
      await sidecarSets()
        .delete({ name })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
  });
  return holder;
}

export async function createSidecarSet(
  holder: { created: string[] },
  sidecarSet: SidecarSetObject,
): Promise<SidecarSetObject> {
  const created = await sidecarSets().create(sidecarSet);
  holder.created.push(created.metadata?.name ?? '');
  return created;
}

/** The SidecarSet once the controller has observed its current generation. */
export async function observedSidecarSet(
  name: string,
  check: (ss: SidecarSetObject) => boolean = () => true,
) {
  let latest: SidecarSetObject | undefined;
  await waitFor(
    `SidecarSet ${name} status to be observed`,
    async () => {
      latest = await sidecarSets().get({ name });
      return latest.status?.observedGeneration === latest.metadata?.generation && check(latest);
    },
    60_000,
  );
  return latest!;
}

export const containerNames = (pod: PodObject) => pod.spec.containers.map((c) => c.name);
export const initContainerNames = (pod: PodObject) => (pod.spec.initContainers ?? []).map((c) => c.name);
export const injectedList = (pod: PodObject) =>
  pod.metadata?.annotations?.['kruise.io/sidecarset-injected-list'];
