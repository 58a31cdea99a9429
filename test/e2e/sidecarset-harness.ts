// Shared by the SidecarSet e2e files: the operator's SidecarSet parts in this process (CR webhooks, the
// pod injector, the SidecarSet controller and optionally the CloneSet controller), and helpers.

import type { Pod } from '../../apis/core-objects';
import { installCrds, resourceOf } from '../../apis/install';
import { KINDS } from '../../apis/kinds';
import type { SidecarSet } from '../../apis/sidecarset';
import { waitFor } from '../../cluster/wait';
import { setupCloneSetController } from '../../controllers/cloneset';
import { setupSidecarSetController } from '../../controllers/sidecarset';
import { createClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { type KubeObject, Pods } from '../../runtime/meta';
import { operatorWebhooks, removePodWebhookConfiguration } from '../../webhooks/setup';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';
import { e2eWebhookPort, OPERATOR_NS } from '../cluster/webhooks';

export type SidecarSetObject = SidecarSet & KubeObject;
export type PodObject = Pod & KubeObject;

export const sidecarSets = () => e2eClient().resource<SidecarSetObject>(resourceOf('SidecarSet'));
/** Deletes through the storage version: it needs no conversion, so it works while the operator is down. */
export async function deleteSidecarSet(name: string): Promise<void> {
  const storage = KINDS.SidecarSet.versions.find((v) => v.storage)!.name;
  await e2eClient()
    .resource({ ...resourceOf('SidecarSet'), version: storage })
    .delete({ name })
    .catch((err) => {
      if (!isNotFound(err)) throw err;
    });
}
export const pods = () => e2eClient().resource<PodObject>(Pods);

export interface RunningOperator {
  mgr: Manager;
  /** Graceful stop, as on a rolling restart of the operator. */
  stop(): Promise<void>;
}

/** Starts the webhooks (registered as https://127.0.0.1:<the run's webhook port>) and the SidecarSet controller. */
export async function startOperator(options: { cloneSetNamespace?: string } = {}): Promise<RunningOperator> {
  const client = createClient(e2eKubeconfigPath());
  await installCrds(client);
  const mgr = new Manager({ client, leaderElection: false, healthAddress: false, logger: silentLogger() });
  const webhooks = operatorWebhooks(mgr, {
    mode: 'local',
    namespace: OPERATOR_NS,
    host: '127.0.0.1',
    port: e2eWebhookPort(),
  });
  // Serve first: the informers read SidecarSets through our conversion webhook.
  const serving = new AbortController();
  const served = webhooks.start(serving.signal);
  await waitFor('the webhooks to serve', () => webhooks.ready());
  setupSidecarSetController(mgr, { namespace: OPERATOR_NS });
  if (options.cloneSetNamespace) setupCloneSetController(mgr, { namespace: options.cloneSetNamespace });
  const stop = new AbortController();
  const running = mgr.start(stop.signal);
  await waitFor('the operator caches to sync', () => mgr.informers.hasSynced());
  return {
    mgr,
    stop: async () => {
      // Webhooks first: they unregister through the client the manager closes when it stops.
      serving.abort();
      await served;
      stop.abort();
      await running;
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
    // SidecarSets are cluster-scoped: they must go even when a step before fails, or they would
    // select the next files' pods.
    try {
      await holder.operator?.stop();
      await removePodWebhookConfiguration(e2eClient());
    } finally {
      for (const name of holder.created) await deleteSidecarSet(name);
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

/** Creates the SidecarSet and waits until the operator, whose caches the pod webhook reads, has observed it. */
export async function createObservedSidecarSet(
  holder: { created: string[] },
  sidecarSet: SidecarSetObject,
): Promise<SidecarSetObject> {
  const created = await createSidecarSet(holder, sidecarSet);
  await observedSidecarSet(created.metadata?.name ?? '');
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

/** What an upgrade may never exceed, and which containers are the SidecarSets' (the rest are the app's). */
export interface UpgradeLimits {
  /** Pods unavailable or in upgrade at any moment. */
  maxInUpgrade: number;
  sidecars: string[];
  /** HotUpgrade sidecars: a pod whose twins both run a real image is mid-upgrade. */
  hot?: { twins: [string, string]; emptyImage: string }[];
}

const statusImage = (pod: PodObject, name: string) =>
  pod.status?.containerStatuses?.find((s) => s.name === name)?.image;

/** A pod not Ready, restarting a sidecar (spec and status images differ), or with both hot twins busy. */
export function inUpgrade(pod: PodObject, limits: UpgradeLimits): boolean {
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return true;
  const restarting = pod.spec.containers.some(
    (c) => limits.sidecars.includes(c.name) && statusImage(pod, c.name) !== c.image,
  );
  const image = (name: string) => pod.spec.containers.find((c) => c.name === name)?.image;
  const bothBusy = (limits.hot ?? []).some((h) => h.twins.every((t) => image(t) !== h.emptyImage));
  return restarting || bothBusy;
}

/**
 * Watches the pods of an upgrade and checks, at every pod event: at most maxInUpgrade pods unavailable
 * or in upgrade; no app container ever restarted; no pod deleted or added (the upgrade is in place, so
 * the pod UIDs it started with are the ones it ends with).
 */
export class SidecarUpgradeWatcher {
  readonly violations: string[] = [];
  /** Pod events checked; a watcher that saw nothing proves nothing. */
  checked = 0;
  /** The most pods seen in upgrade at once. */
  peak = 0;
  private uids = new Set<string>();
  private readonly informer: Informer<PodObject>;
  private readonly stop = new AbortController();
  private readonly client = createClient(e2eKubeconfigPath());

  constructor(
    namespace: string,
    labelSelector: string,
    private readonly limits: UpgradeLimits,
  ) {
    this.informer = new Informer<PodObject>(this.client.resource<PodObject>(Pods), {
      namespace,
      labelSelector,
      logger: silentLogger(),
    });
    this.informer.addEventHandler({
      onAdd: (pod) => this.check(pod),
      onUpdate: (_old, pod) => this.check(pod),
      onDelete: (pod) => {
        this.violations.push(`pod ${pod.metadata?.name} (${pod.metadata?.uid}) was deleted`);
        this.check(pod);
      },
    });
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await waitFor('the upgrade watcher to sync', () => this.informer.hasSynced());
    this.uids = new Set(this.informer.lister.list().map((p) => p.metadata?.uid ?? ''));
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.client.close();
  }

  private check(pod: PodObject): void {
    if (this.uids.size === 0) return; // still syncing: the initial list is the baseline
    this.checked++;
    const at = `event ${this.checked} (pod ${pod.metadata?.name})`;
    if (!this.uids.has(pod.metadata?.uid ?? '')) this.violations.push(`${at}: a new pod appeared`);
    const busy = this.informer.lister.list().filter((p) => inUpgrade(p, this.limits));
    this.peak = Math.max(this.peak, busy.length);
    if (busy.length > this.limits.maxInUpgrade) {
      const names = busy.map((p) => p.metadata?.name).sort();
      this.violations.push(
        `${at}: ${busy.length} pods unavailable or in upgrade > ${this.limits.maxInUpgrade}: ${names}`,
      );
    }
    for (const status of pod.status?.containerStatuses ?? []) {
      if (!this.limits.sidecars.includes(status.name) && (status.restartCount ?? 0) > 0) {
        this.violations.push(`${at}: app container ${status.name} restarted ${status.restartCount} time(s)`);
      }
    }
  }
}

/** Runs `upgrade` under a watcher with these limits; returns the watcher once it is done. */
export async function watchUpgrade(
  namespace: string,
  labelSelector: string,
  limits: UpgradeLimits,
  upgrade: () => Promise<void>,
): Promise<SidecarUpgradeWatcher> {
  const watcher = new SidecarUpgradeWatcher(namespace, labelSelector, limits);
  await watcher.start();
  try {
    await upgrade();
  } finally {
    await watcher.close();
  }
  return watcher;
}

/** The upgrade kept every invariant, and the watcher did see it. */
export function expectUpgradeInvariantsHeld(watcher: SidecarUpgradeWatcher): void {
  expect(watcher.violations).toEqual([]);
  expect(watcher.checked).toBeGreaterThan(0);
}
