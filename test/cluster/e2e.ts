import { randomBytes } from 'node:crypto';
import { resourceOf } from '../../apis/install';
import { KIND_NAMES, KINDS } from '../../apis/kinds';
import { waitFor } from '../../cluster/wait';
import { createClient, type KubeClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import { E2E_ENV } from './globalSetup';

/** The shared e2e cluster's kubeconfig, set by globalSetup. */
export function e2eKubeconfigPath(): string {
  const path = process.env[E2E_ENV.kubeconfig];
  if (!path) throw new Error(`${E2E_ENV.kubeconfig} is not set: run e2e tests through 'npm run test:e2e'`);
  return path;
}

/** True on the embedded local cluster (kwok stages, our scheduler); false on OUTRIGGER_TEST_KUBECONFIG. */
export const onLocalCluster = () => process.env[E2E_ENV.local] === '1';

/**
 * `it` on the local cluster; on a user's cluster (OUTRIGGER_TEST_KUBECONFIG), where kwok's simulated
 * kubelet is missing, the test is reported as skipped.
 */
export const itOnLocalCluster: jest.It = (process.env[E2E_ENV.local] === '0' ? it.skip : it) as jest.It;

let sharedClient: KubeClient | undefined;
export function e2eClient(): KubeClient {
  sharedClient ??= createClient(e2eKubeconfigPath());
  return sharedClient;
}

/**
 * Creates a namespace for this test file before its tests and deletes it after them.
 * Returns a holder whose `name` is set once beforeAll has run.
 */
export function useTestNamespace(prefix: string): { name: string } {
  const holder = { name: '' };
  beforeAll(async () => {
    holder.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await e2eClient()
      .resource(Namespaces)
      .create({ metadata: { name: holder.name, labels: { 'outrigger.io/e2e': 'true' } } });
  });
  afterAll(async () => {
    if (!holder.name) return;
    const namespaces = e2eClient().resource(Namespaces);
    await deletePodsNow(holder.name);
    await deleteCustomResourcesNow(holder.name);
    await namespaces.delete({ name: holder.name });
    // Needs kube-controller-manager's namespace controller; a user's cluster has one too.
    await waitFor(
      `namespace ${holder.name} to be deleted`,
      async () => !(await exists(() => namespaces.get({ name: holder.name }))),
      120_000,
    );
    sharedClient?.close();
    sharedClient = undefined;
  });
  return holder;
}

/**
 * Deletes our custom resources in the namespace through their storage version. The namespace controller
 * deletes them through the preferred version, which needs the conversion webhook, and the process that
 * served it may be gone with the test that started it: the namespace would then never go.
 */
async function deleteCustomResourcesNow(namespace: string): Promise<void> {
  for (const kind of KIND_NAMES) {
    const info = KINDS[kind];
    const storage = info.versions.find((v) => v.storage);
    if (info.scope !== 'Namespaced' || !storage) continue;
    const resource = e2eClient().resource({ ...resourceOf(kind), version: storage.name });
    // Not found: our CRDs are not installed (a file that needs none, run alone).
    const items = await resource
      .list({ namespace })
      .then((list) => list.items)
      .catch((err) => {
        if (isNotFound(err)) return [];
        throw err;
      });
    await Promise.all(
      items.map((item) =>
        resource.delete({ namespace, name: item.metadata?.name ?? '' }).catch((err) => {
          if (!isNotFound(err)) throw err;
        }),
      ),
    );
  }
}

/**
 * Deletes the namespace's pods without a grace period: kwok honours grace periods like kubelet,
 * so namespace deletion would otherwise wait 30 s for every default pod.
 */
async function deletePodsNow(namespace: string): Promise<void> {
  const pods = e2eClient().resource(Pods);
  const { items } = await pods.list({ namespace });
  await Promise.all(
    items.map((pod) =>
      pods.delete({ namespace, name: pod.metadata?.name ?? '' }, { gracePeriodSeconds: 0 }).catch((err) => {
        if (!isNotFound(err)) throw err;
      }),
    ),
  );
}

/** false when `get` fails with 404, true when it returns. */
export async function exists(get: () => Promise<KubeObject>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Controllers running in the test process against the shared cluster. */
export interface RunningController {
  /** Graceful stop: in-flight reconciles finish. */
  stop(): Promise<void>;
  /** Abrupt stop: the connections close under in-flight requests, as if the process died. */
  kill(): Promise<void>;
}

/** A Manager (no leader election, no servers) with the controllers `setup` adds, once its caches sync. */
export async function startControllers(setup: (mgr: Manager) => void): Promise<RunningController> {
  const client = createClient(e2eKubeconfigPath());
  const mgr = new Manager({ client, leaderElection: false, healthAddress: false, logger: silentLogger() });
  setup(mgr);
  const stop = new AbortController();
  const running = mgr.start(stop.signal);
  await waitFor('the controller caches to sync', () => mgr.informers.hasSynced());
  return {
    stop: async () => {
      stop.abort();
      await running;
      client.close();
    },
    kill: async () => {
      client.close();
      stop.abort();
      await running.catch(() => undefined);
    },
  };
}
