// `npm start`: the embedded default. Builds the control-plane binaries if needed, starts a local
// cluster with kwok nodes, then runs the Outrigger manager against it until Ctrl-C.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CONVERSION_PATH } from '../apis/gen-crds';
import { installCrds } from '../apis/install';
import { REPO_ROOT } from '../cluster/binaries';
import { type LocalCluster, startLocalCluster } from '../cluster/cluster';
import { assertPortFree, freePort } from '../cluster/net';
import { fakeNodes } from '../cluster/nodes';
import { parseConfig as parseExtenderConfig } from '../scheduler/config';
import { schedulerSettings } from '../scheduler/kubescheduler';

const USAGE = `usage: npm start [-- --nodes N] [--health-port PORT]
  --nodes N          kwok nodes to create (default 3, at least 1)
  --health-port P    where the manager serves /healthz, /readyz and /metrics on 127.0.0.1 (default 8080)`;

interface StartOptions {
  nodes: number;
  healthPort: number;
}

function parseOptions(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: { nodes: { type: 'string', default: '3' }, 'health-port': { type: 'string', default: '8080' } },
  });
  const nodes = Number(values.nodes);
  const healthPort = Number(values['health-port']);
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`--nodes must be a whole number >= 1, got "${values.nodes}"`);
  if (!Number.isInteger(healthPort) || healthPort < 1 || healthPort > 65535) {
    throw new Error(`--health-port must be a port number, got "${values['health-port']}"`);
  }
  return { nodes, healthPort };
}

function buildBinaries(): void {
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'tools', 'build-control-plane.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error('building the control-plane binaries failed (see above)');
}

function startManager(
  kubeconfigPath: string,
  healthPort: number,
  extenderPort: number,
  webhookPort: number,
): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'cmd', 'manager.ts'),
      '--kubeconfig',
      kubeconfigPath,
      '--health-addr',
      `127.0.0.1:${healthPort}`,
      '--webhook=local',
      `--webhook-port=${webhookPort}`,
      `--extender-addr=127.0.0.1:${extenderPort}`,
    ],
    // Its own process group: Ctrl-C reaches it once, as start.ts's SIGTERM, after which it drains.
    { stdio: 'inherit', detached: true, env: { ...process.env, OUTRIGGER_EXIT_WITH_PARENT: '1' } },
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await assertPortFree(options.healthPort, 'outrigger manager --health-port');
  buildBinaries();
  log(`starting the local control plane with ${options.nodes} kwok node(s)…`);
  // The manager serves the resource-angle extender; the local kube-scheduler calls it as configured in
  // config/scheduler/kube-scheduler-config.yaml (ignorable, so scheduling works before the manager is up).
  const extenderPort = await freePort();
  const extenderUrl = `http://127.0.0.1:${extenderPort}${parseExtenderConfig('').server.prefix}`;
  const cluster = await startLocalCluster({
    nodes: fakeNodes(options.nodes),
    handleSignals: false,
    ...schedulerSettings(extenderUrl),
  });
  let manager: ChildProcess | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await stopManager(manager);
    await cluster.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  // The CRDs point their conversion webhook at the port the manager is about to serve on: until it does,
  // reads of a non-storage version fail clearly rather than returning unconverted objects.
  const webhookPort = await freePort();
  await installCrds(cluster.client, {
    conversion: { url: `https://127.0.0.1:${webhookPort}${CONVERSION_PATH}` },
  });
  manager = startManager(cluster.kubeconfigPath, options.healthPort, extenderPort, webhookPort);
  manager.on('exit', (code, signal) => {
    if (stopping) return;
    log(`the manager exited (${signal ?? `code ${code}`}); stopping the cluster`);
    void shutdown(code || 1);
  });
  printReady(cluster, options, extenderUrl);
}

function printReady(cluster: LocalCluster, options: StartOptions, extenderUrl: string): void {
  log(
    [
      'ready.',
      `  kubeconfig:  ${cluster.kubeconfigPath}`,
      `  try:         kubectl --kubeconfig ${cluster.kubeconfigPath} get nodes`,
      `  manager:     http://127.0.0.1:${options.healthPort}/healthz  /readyz  /metrics`,
      `  extender:    ${extenderUrl}/{filter,prioritize}, used by the local kube-scheduler`,
      `  logs:        ${cluster.logDir}`,
      '  Ctrl-C stops everything.',
    ].join('\n'),
  );
}

async function stopManager(manager: ChildProcess | undefined): Promise<void> {
  if (!manager || manager.exitCode !== null || manager.signalCode !== null) return;
  const exited = new Promise((resolve) => manager.once('exit', resolve));
  manager.kill('SIGTERM');
  const timer = setTimeout(() => manager.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function log(message: string): void {
  process.stderr.write(`outrigger start: ${message}\n`);
}

main().catch((err: Error) => {
  log(`error: ${err.message}`);
  if (err.message.startsWith('--')) log(USAGE);
  process.exit(1);
});
