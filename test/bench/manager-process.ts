// A controller manager run as its own process for the benchmarks (ours in production form, `node
// dist/cmd/manager.js`, or a user-provided kruise-manager), with its memory and CPU sampled from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../cluster/binaries';
import type { LocalCluster } from '../../cluster/cluster';
import { freePort } from '../../cluster/net';
import { cpuSecondsOf } from '../../cluster/processes';

export const MANAGER_BINARY = path.join(REPO_ROOT, 'dist', 'cmd', 'manager.js');

/**
 * The command and environment the image runs (the Dockerfile's ENTRYPOINT and ENV), so a benchmark
 * measures exactly the production form, V8 flags included.
 */
export function imageCommand(dockerfile = path.join(REPO_ROOT, 'Dockerfile')) {
  const text = fs.readFileSync(dockerfile, 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text)?.[1];
  if (!entrypoint) throw new Error(`${dockerfile} has no ENTRYPOINT ["node", ...]`);
  const [command, ...args] = JSON.parse(entrypoint) as string[];
  if (command !== 'node') throw new Error(`the image's ENTRYPOINT runs ${command}, not node`);
  const env: Record<string, string> = {};
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));
  for (const [, pairs] of finalStage.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, key, value] of (pairs ?? '').matchAll(/(\w+)=("[^"]*"|\S+)/g))
      env[key!] = value!.replace(/^"|"$/g, '');
  }
  return { args: args.map((a) => (a.startsWith('dist/') ? path.join(REPO_ROOT, a) : a)), env };
}

export interface OurManagerOptions {
  label: string;
  /** The log file's name in the cluster's log directory. */
  logName: string;
  /** --controllers; default every controller. */
  controllers?: string;
  /** Extra flags for node itself (e.g. heap snapshots). */
  nodeFlags?: string[];
}

/**
 * Our manager as the image runs it (`node dist/cmd/manager.js`; build first), with local webhooks on a
 * free loopback port and no leader election (one replica). `port` serves /readyz and /metrics.
 */
export async function startOurManager(
  cluster: LocalCluster,
  options: OurManagerOptions,
): Promise<{ manager: MeasuredProcess; port: number }> {
  if (!fs.existsSync(MANAGER_BINARY))
    throw new Error(`${MANAGER_BINARY} is missing: run 'npm run build' first`);
  const port = await freePort();
  const image = imageCommand();
  const manager = new MeasuredProcess(
    options.label,
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...image.args,
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--health-addr=127.0.0.1:${port}`,
      '--leader-elect=false',
      '--webhook=local',
      '--webhook-port=0',
      ...(options.controllers ? [`--controllers=${options.controllers}`] : []),
    ],
    path.join(cluster.logDir, options.logName),
    port,
    { ...process.env, ...image.env },
  );
  return { manager, port };
}

export interface ProcessSample {
  rssBytes: number;
  /** The runtime's own heap figure from /metrics: V8 heap used (Node) or heap in use (Go). */
  heapBytes?: number;
}

export class MeasuredProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  peakRssBytes = 0;
  peakHeapBytes = 0;
  private readonly rssTimer: NodeJS.Timeout;
  private readonly heapTimer: NodeJS.Timeout;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    logFile: string,
    /** Where /metrics is served (127.0.0.1:port), to read the heap figure; none to skip. */
    private readonly metricsPort?: number,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const log = fs.openSync(logFile, 'a');
    this.child = spawn(command, args, { stdio: ['ignore', log, log], env });
    fs.closeSync(log);
    this.rssTimer = setInterval(() => {
      this.peakRssBytes = Math.max(this.peakRssBytes, this.rssBytes());
    }, 200);
    this.heapTimer = setInterval(() => void this.sampleHeap(), 1000);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Resident set size now, from /proc (0 once the process is gone). */
  rssBytes(): number {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  }

  /** User + system CPU seconds used so far. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.pid);
  }

  /** Starts peaks afresh (each benchmark phase reports its own). */
  resetPeaks(): void {
    this.peakRssBytes = this.rssBytes();
    this.peakHeapBytes = 0;
  }

  async metrics(): Promise<string> {
    if (!this.metricsPort) return '';
    return get(this.metricsPort, '/metrics').catch(() => '');
  }

  /** Resolves once GET /readyz answers 200 (caches synced); with the seconds since spawn. */
  async readyAfterSeconds(port: number, timeoutMs = 300_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited with ${this.child.exitCode}`);
      const ok = await getStatus(port, '/readyz');
      if (ok === 200) return (performance.now() - this.startedAt) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.label} was not ready within ${timeoutMs / 1000}s`);
  }

  async stop(): Promise<void> {
    clearInterval(this.rssTimer);
    clearInterval(this.heapTimer);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  private async sampleHeap(): Promise<void> {
    const text = await this.metrics();
    const heap =
      metricValue(text, 'nodejs_heap_size_used_bytes') ?? metricValue(text, 'go_memstats_heap_inuse_bytes');
    if (heap !== undefined) this.peakHeapBytes = Math.max(this.peakHeapBytes, heap);
  }
}

/** The value of an unlabelled metric, or the sum over its label sets. */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    sum = (sum ?? 0) + Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return sum;
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
