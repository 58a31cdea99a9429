// npm run bench:runtime [-- --json]
// Cold sync time and memory of a fresh Pod informer for 1k and 10k Pods in a real kube-apiserver (its own
// local cluster, loopback only), and workqueue throughput. Goals from issue 4: 10k pods synced in ≤ 10 s,
// RSS ≤ 300 MB. The measured informer runs in a child process so its RSS is its own.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { controlPlaneVersions } from '../../cluster/binaries';
import { startLocalCluster } from '../../cluster/cluster';
import { createClient, type KubeClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import { WorkQueue } from '../../runtime/workqueue';

const NAMESPACE = 'bench';
const POD_COUNTS = [1_000, 10_000];
const CREATE_CONCURRENCY = 64;
const CHILD_TIMEOUT_MS = 120_000;
const QUEUE_KEYS = 100_000;
const QUEUE_WORKERS = [1, 4, 16];
const MB = 1024 * 1024;

interface SyncResult {
  pods: number;
  syncSeconds: number;
  /** RSS of the child at start: Node and tsx. */
  startRssMb: number;
  /** RSS and heap (after GC) of the child with its client loaded, before the informer: Node, tsx, client-node. */
  baselineRssMb: number;
  baselineHeapMb: number;
  rssMb: number;
  peakRssMb: number;
  /** Heap in use after a full GC with the cache populated. */
  heapUsedMb: number;
}

interface QueueResult {
  workers: number;
  keys: number;
  addsPerSecond: number;
  processedPerSecond: number;
}

const benchPod = (i: number): KubeObject =>
  ({
    metadata: { name: `bench-${i}`, namespace: NAMESPACE, labels: { app: 'bench', shard: `${i % 16}` } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:v1',
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
    },
  }) as KubeObject;

/** Creates pods bench-<from>..bench-<to-1> with bounded concurrency; returns pods created per second. */
async function createPods(client: KubeClient, from: number, to: number): Promise<number> {
  const pods = client.resource(Pods);
  let next = from;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < to; i = next++) await pods.create(benchPod(i));
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  return (to - from) / ((performance.now() - started) / 1000);
}

/** In the child: list+watch every Pod until synced, then report time and memory on stdout. */
async function syncChild(kubeconfig: string): Promise<void> {
  setTimeout(() => process.exit(2), CHILD_TIMEOUT_MS).unref();
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const startRss = process.memoryUsage().rss;
  const client = createClient(kubeconfig);
  gc();
  const baseline = process.memoryUsage();
  const informer = new Informer(client.resource(Pods));
  const stop = new AbortController();
  const started = performance.now();
  void informer.start(stop.signal);
  await informer.waitForSync();
  const syncSeconds = (performance.now() - started) / 1000;
  const rss = process.memoryUsage().rss;
  gc();
  const result: SyncResult = {
    pods: informer.lister.size,
    syncSeconds,
    startRssMb: startRss / MB,
    baselineRssMb: baseline.rss / MB,
    baselineHeapMb: baseline.heapUsed / MB,
    rssMb: rss / MB,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / MB,
  };
  stop.abort();
  client.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Runs syncChild in a fresh Node process. */
function measureColdSync(kubeconfig: string): Promise<SyncResult> {
  const args = ['--expose-gc', '--import', 'tsx', __filename, '--sync-child', kubeconfig];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS + 10_000);
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(output) as SyncResult);
      else reject(new Error(`the sync child exited with ${code}: ${output}`));
    });
  });
}

/** Adds `keys` distinct keys, then drains them with `workers` workers whose reconcile does no I/O. */
async function measureQueue(workers: number, keys = QUEUE_KEYS): Promise<QueueResult> {
  const queue = new WorkQueue({ name: `bench-${workers}` });
  const addStart = performance.now();
  for (let i = 0; i < keys; i++) queue.add(`${NAMESPACE}/key-${i}`);
  const addSeconds = (performance.now() - addStart) / 1000;
  let processed = 0;
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      await Promise.resolve();
      queue.forget(key);
      queue.done(key);
      if (++processed === keys) queue.shutDown();
    }
  };
  const processStart = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const processSeconds = (performance.now() - processStart) / 1000;
  return { workers, keys, addsPerSecond: keys / addSeconds, processedPerSecond: processed / processSeconds };
}

async function measurePods(): Promise<Array<SyncResult & { createdPerSecond: number }>> {
  const cluster = await startLocalCluster({
    controllerManager: false,
    scheduler: false,
    kwok: false,
    disableRateLimits: true,
  });
  const results: Array<SyncResult & { createdPerSecond: number }> = [];
  try {
    await cluster.client.resource(Namespaces).create({ metadata: { name: NAMESPACE } });
    let created = 0;
    for (const count of POD_COUNTS) {
      process.stderr.write(`creating pods ${created}..${count}\n`);
      const createdPerSecond = await createPods(cluster.client, created, count);
      created = count;
      process.stderr.write(`measuring a cold sync of ${count} pods\n`);
      results.push({ ...(await measureColdSync(cluster.kubeconfigPath)), createdPerSecond });
    }
  } finally {
    await cluster.stop();
  }
  return results;
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);

function printTable(pods: Array<SyncResult & { createdPerSecond: number }>, queues: QueueResult[]): void {
  const rows: string[][] = [];
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  for (const p of pods) {
    const big = p.pods >= 10_000;
    const n = `${p.pods} pods`;
    const goal = (text: string, ok: boolean) => (big ? [text, met(ok)] : ['', '']);
    rows.push([`create (${CREATE_CONCURRENCY} concurrent), ${n}`, `${fixed(p.createdPerSecond)} /s`, '', '']);
    rows.push([`cold sync, ${n}`, `${fixed(p.syncSeconds, 2)} s`, ...goal('≤ 10 s', p.syncSeconds <= 10)]);
    rows.push([`RSS after sync, ${n}`, `${fixed(p.rssMb)} MB`, ...goal('≤ 300 MB', p.rssMb <= 300)]);
    rows.push(['  of which before the informer', `${fixed(p.baselineRssMb)} MB`, '', '']);
    rows.push(['  of which before loading the client', `${fixed(p.startRssMb)} MB`, '', '']);
    rows.push([`peak RSS, ${n}`, `${fixed(p.peakRssMb)} MB`, ...goal('≤ 300 MB', p.peakRssMb <= 300)]);
    rows.push([`heap after GC, ${n}`, `${fixed(p.heapUsedMb)} MB`, '', '']);
    rows.push(['  of which before the informer', `${fixed(p.baselineHeapMb)} MB`, '', '']);
  }
  for (const q of queues) {
    const what = `workqueue, ${q.keys} keys, ${q.workers} worker(s)`;
    rows.push([`${what}: adds`, `${fixed(q.addsPerSecond)} /s`, '', '']);
    rows.push([`${what}: processed`, `${fixed(q.processedPerSecond)} keys/s`, '', '']);
  }
  const header = ['measurement', 'measured', 'goal', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const k8s = controlPlaneVersions().K8S_VERSION ?? '?';
  process.stdout.write(`Outrigger runtime benchmark (kube-apiserver ${k8s}, node ${process.version})\n`);
  process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--sync-child');
  if (childAt >= 0) return syncChild(args[childAt + 1] ?? '');
  const pods = await measurePods();
  const queues: QueueResult[] = [];
  for (const workers of QUEUE_WORKERS) queues.push(await measureQueue(workers));
  if (args.includes('--json')) {
    const goals = { syncSeconds10k: 10, rssMb10k: 300 };
    process.stdout.write(`${JSON.stringify({ pods, queues, goals }, null, 2)}\n`);
  } else {
    printTable(pods, queues);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:runtime failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
