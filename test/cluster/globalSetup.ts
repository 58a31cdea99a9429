import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { freePort } from '../../cluster/net';
import { fakeNodes } from '../../cluster/nodes';

/** Where e2e test files find the shared cluster (jest workers inherit the environment). */
export const E2E_ENV = {
  kubeconfig: 'OUTRIGGER_E2E_KUBECONFIG',
  logDir: 'OUTRIGGER_E2E_LOG_DIR',
  local: 'OUTRIGGER_E2E_LOCAL_CLUSTER',
  webhookPort: 'OUTRIGGER_E2E_WEBHOOK_PORT',
} as const;

export const E2E_NODE_COUNT = 4;

/** jest globalSetup: one shared control plane per run, or the user's cluster. */
export default async function globalSetup(): Promise<void> {
  // Every file serves our webhooks on this one port, so the CRDs' conversion URL never changes: a
  // changed URL makes the apiserver swap the CRD's storage, and watches it opened just before keep
  // calling the old, stopped endpoint for up to a minute.
  process.env[E2E_ENV.webhookPort] = String(await freePort());
  const existing = process.env.OUTRIGGER_TEST_KUBECONFIG;
  if (existing) {
    if (!fs.existsSync(existing)) throw new Error(`OUTRIGGER_TEST_KUBECONFIG=${existing} does not exist`);
    process.env[E2E_ENV.kubeconfig] = existing;
    process.env[E2E_ENV.logDir] = os.tmpdir();
    process.env[E2E_ENV.local] = '0';
    return;
  }
  const cluster = await startLocalCluster({
    // Tainted, as kwok's nodes usually are: test pods tolerate the taint, so they also run on a real
    // cluster (OUTRIGGER_TEST_KUBECONFIG) beside real nodes.
    nodes: fakeNodes(E2E_NODE_COUNT, {
      capacity: { cpu: '16', memory: '64Gi', pods: '110', 'nvidia.com/gpu': '2' },
      kwokTaint: true,
    }),
  });
  (globalThis as { __outriggerCluster?: LocalCluster }).__outriggerCluster = cluster;
  process.env[E2E_ENV.kubeconfig] = cluster.kubeconfigPath;
  process.env[E2E_ENV.logDir] = cluster.logDir;
  process.env[E2E_ENV.local] = '1';
  process.stdout.write(
    `\ne2e: local cluster up; kubeconfig ${cluster.kubeconfigPath}, logs in ${path.dirname(cluster.logFile('etcd'))}\n`,
  );
}
