// `npm start`: the embedded default. Builds the control-plane binaries if needed, starts a local
// cluster with kwok nodes, then runs the Outrigger manager against it until Ctrl-C.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CONVERSION_PATH } from '../apis/gen-crds';
import { installCrds } from '../apis/install';
import { REPO_ROOT } from '../cluster/binaries';
import { type LocalCluster, startLocalCluster } from '../cluster/cluster';
import { assertPortFree, freePort, probe } from '../cluster/net';
import { fakeNodes } from '../cluster/nodes';
import { waitFor } from '../cluster/wait';
import { CONTROLLER_NAMES, type ControllerSelection, selectControllers } from '../controllers/catalog';
import { parseConfig as parseExtenderConfig } from '../scheduler/config';
import { schedulerSettings } from '../scheduler/kubescheduler';
import { webhookSummary } from '../webhooks/configurations';

const USAGE = `usage: npm start [-- --nodes N] [--health-port PORT] [--controllers LIST]
  --nodes N          kwok nodes to create (default 3, at least 1)
  --health-port P    where the manager serves /healthz, /readyz and /metrics on 127.0.0.1 (default 8080)
  --controllers L    which controllers run (default *): * for all, a name to run one, -name to switch one
                     off, e.g. *,-sidecarset. Names: ${CONTROLLER_NAMES.join(', ')}`;

interface StartOptions {
  nodes: number;
  healthPort: number;
  /** The --controllers value, passed on to the manager. */
  controllers: string;
  selection: ControllerSelection;
}

/** How long the manager may take to become ready before start says so (it keeps waiting). */
const MANAGER_READY_HINT_MS = 60_000;

function parseOptions(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '3' },
      'health-port': { type: 'string', default: '8080' },
      controllers: { type: 'string', default: '*' },
    },
  });
  const nodes = Number(values.nodes);
  const healthPort = Number(values['health-port']);
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`--nodes must be a whole number >= 1, got "${values.nodes}"`);
  if (!Number.isInteger(healthPort) || healthPort < 1 || healthPort > 65535) {
    throw new Error(`--health-port must be a port number, got "${values['health-port']}"`);
  }
  return {
    nodes,
    healthPort,
    controllers: values.controllers,
    selection: selectControllers(values.controllers),
  };
}

function buildBinaries(): void {
  const result = spawnSync('bash', [path.join(REPO_ROOT, 'tools', 'build-control-plane.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error('building the control-plane binaries failed (see above)');
}

function startManager(
  kubeconfigPath: string,
  options: StartOptions,
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
      `127.0.0.1:${options.healthPort}`,
      `--controllers=${options.controllers}`,
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
  manager = startManager(cluster.kubeconfigPath, options, extenderPort, webhookPort);
  manager.on('exit', (code, signal) => {
    if (stopping) return;
    log(`the manager exited (${signal ?? `code ${code}`}); stopping the cluster`);
    void shutdown(code || 1);
  });
  log(`the cluster is up; waiting for the manager (${cluster.kubeconfigPath})…`);
  if (!(await managerReady(options.healthPort, () => stopping))) return;
  printReady(cluster, options, extenderUrl);
}

/** Waits for the manager's /readyz; false when start is stopping meanwhile. Says so if it takes long. */
async function managerReady(healthPort: number, stopping: () => boolean): Promise<boolean> {
  const started = Date.now();
  let hinted = false;
  await waitFor(
    'the manager to be ready',
    async () => {
      if (!hinted && Date.now() - started > MANAGER_READY_HINT_MS) {
        hinted = true;
        log(`the manager is not ready after ${MANAGER_READY_HINT_MS / 1000} s; still waiting (see its log)`);
      }
      return stopping() || (await probe(`http://127.0.0.1:${healthPort}/readyz`)) === 200;
    },
    Number.POSITIVE_INFINITY,
  );
  return !stopping();
}

function printReady(cluster: LocalCluster, options: StartOptions, extenderUrl: string): void {
  const names = (entries: { name: string }[]) => entries.map((e) => e.name).join(', ') || 'none';
  const off = options.selection.disabled;
  log(
    [
      'ready.',
      `  controllers: ${names(options.selection.enabled)}`,
      ...(off.length > 0
        ? [`  switched off: ${names(off)} (their objects get a NoController Event and a log line)`]
        : []),
      ...webhookSummary().map((line, i) => `  ${i === 0 ? 'webhooks:' : '         '}    ${line}`),
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
