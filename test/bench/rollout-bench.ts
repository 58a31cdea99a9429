// What the workload benchmarks share: their cluster and operator, Go-style durations, the apiserver's
// own write counters, waiting for a rollout to settle with a progress timeline, the machine's load, and
// the one table layout.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { installCrds } from '../../apis/install';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { fakeNodes } from '../../cluster/nodes';
import { commandName, descendants } from '../../cluster/processes';
import { sleep } from '../../cluster/wait';
import type { KubeClient } from '../../runtime/client';
import { Namespaces, Pods } from '../../runtime/meta';
import { type MeasuredProcess, startOurManager } from './manager-process';
import type { Progress, RolloutTracker } from './rollout-tracker';

export { apiserverCounters, difference, podWatchDelivery } from './apiserver-writes';

/**
 * One benchmark run: a local cluster of `nodes` kwok nodes without client rate limits, our CRDs, the
 * namespace, and our manager as the image runs it (`node dist/cmd/manager.js`, its own process) with the
 * chosen controllers and local webhooks. `body` runs once the manager is ready (caches synced, webhooks
 * serving); then the manager's peak memory and CPU are printed, and the manager and the cluster stop
 * whatever happens.
 */
export async function withBenchOperator(
  options: {
    nodes: number;
    namespace: string;
    controllers: string;
    /** Extra flags for the manager's node (e.g. --cpu-prof). */
    nodeFlags?: string[];
  },
  body: (cluster: LocalCluster, manager: MeasuredProcess) => Promise<void>,
): Promise<void> {
  process.stderr.write(`starting a local cluster with ${options.nodes} kwok nodes…\n`);
  const cluster = await startLocalCluster({
    disableRateLimits: true,
    nodes: fakeNodes(options.nodes, { kwokTaint: true }),
    kubeletParallelism: options.nodes,
  });
  let manager: MeasuredProcess | undefined;
  try {
    await installCrds(cluster.client);
    await cluster.client.resource(Namespaces).create({ metadata: { name: options.namespace } });
    const started = await startOurManager(cluster, {
      label: 'outrigger manager',
      logName: 'manager-bench.log',
      controllers: options.controllers,
      nodeFlags: options.nodeFlags,
    });
    manager = started.manager;
    await manager.readyAfterSeconds(started.port, 120_000);
    manager.resetPeaks();
    await body(cluster, manager);
    printManagerUse(manager);
  } finally {
    await manager?.stop();
    await cluster.stop();
  }
}

/** The manager's own resources over the measured part of the run. */
function printManagerUse(manager: MeasuredProcess): void {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  process.stdout.write(
    `\nmanager (node dist/cmd/manager.js, its own process, as the image runs it): peak RSS ` +
      `${mib(manager.peakRssBytes)} MiB, peak V8 heap used ${mib(manager.peakHeapBytes)} MiB, ` +
      `CPU ${manager.cpuSeconds().toFixed(1)} s\n`,
  );
}

const CONTROL_PLANE = ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

/**
 * CPU seconds each process of the run has used so far: the control plane's and our manager's. On two
 * cores they share, what one uses the others wait for, so this says where a rollout's time went.
 */
export function cpuByProcess(manager: MeasuredProcess): Map<string, number> {
  // One scan of /proc, which reads each process's CPU too.
  const running = [...descendants(process.pid).values()];
  const used = new Map<string, number>();
  for (const name of CONTROL_PLANE) {
    const comm = commandName(name);
    used.set(
      name,
      running.filter((p) => p.name === comm).reduce((total, p) => total + p.cpuSeconds, 0),
    );
  }
  used.set('our manager', manager.cpuSeconds());
  return used;
}

/** Runs a benchmark's main; a failure is printed under the script's name and exits 1. */
export function runBench(script: string, main: () => Promise<void>): void {
  main().catch((err: Error) => {
    process.stderr.write(`${script}: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}

/** Throws unless every given flag holds a Go-style duration. */
export function checkDurations(flags: Record<string, string | undefined>): void {
  for (const [flag, value] of Object.entries(flags)) {
    if (value !== undefined && !/^\d+(\.\d+)?(ms|s|m)$/.test(value)) {
      throw new Error(`${flag} must be a duration such as 500ms, 2s or 1m, not ${value}`);
    }
  }
}

/** Seconds of a Go-style duration ("30s", "200ms", "1m"); kwok's defaults when unset. */
export function seconds(duration: string | undefined, unset: number): number {
  if (duration === undefined) return unset;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

/** Waits (through `tracker`'s watch) until `replicas` ready pods, all running `image`, are the only pods left. */
export async function waitSettled(
  tracker: RolloutTracker,
  what: string,
  timeoutMs: number,
  replicas: number,
  image: string,
  timeline: string[] = [],
): Promise<void> {
  const started = performance.now();
  const sample = () =>
    timeline.push(progressLine(tracker.progress(image), (performance.now() - started) / 1000));
  sample();
  const sampler = setInterval(sample, 1000);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${timeoutMs / 1000}s`)), timeoutMs);
  });
  try {
    await Promise.race([tracker.settled(replicas, image), timeout]);
  } finally {
    clearInterval(sampler);
    clearTimeout(timer);
  }
  sample();
}

export function progressLine(p: Progress, seconds: number): string {
  const n = (value: number) => String(value).padStart(5);
  return (
    `${seconds.toFixed(1).padStart(6)} s  pods ${n(p.pods)}  terminating ${n(p.terminating)}  new spec ${n(p.newSpec)}` +
    `  new image running ${n(p.newImageRunning)}  ready ${n(p.ready)}  new+ready ${n(p.newReady)}`
  );
}

export async function waitNoPods(client: KubeClient, namespace: string): Promise<void> {
  while ((await client.resource(Pods).list({ namespace })).items.length > 0) await sleep(1000);
}

/** The conditions that decide the result besides the kubelet: a loaded machine slows our in-process controller most. */
export function machine(): string {
  return `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (1, 5, 15 min) when the profile finished`;
}

/** Prints `rows` under `header`, the first column left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}\n`;
  process.stdout.write(line(header));
  for (const row of rows) process.stdout.write(line(row));
}

/** "3.2×", or "–" when either side is missing. */
export const ratio = (a: number, b: number | undefined) => (a && b ? `${(a / b).toFixed(1)}×` : '–');
