// Prioritize latency at trace scale: npx tsx scheduler/bench/latency.ts [--nodes all|gpu] [--requests N] [--json]
// Loads the openb node list into the extender's cache, binds trace pods to fill it to about 60 %, then times
// prioritize in-process and over loopback HTTP with nodeCacheCapable (NodeNames) and full Nodes payloads.
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { fakeNode } from '../../cluster/nodes';
import { parseConfig } from '../config';
import { Extender } from '../extender/extender';
import { createExtenderServer } from '../extender/server';
import { MemoryClusterState } from '../extender/state';
import type { ExtenderArgs } from '../extender/wire';
import { Rng } from '../sim/rng';
import {
  type Cluster,
  DEFAULT_TRACE_DIR,
  loadCluster,
  loadPods,
  type NodeList,
  type TraceNode,
  type TracePod,
  workloadPath,
} from '../sim/trace';
import type { Node, Pod } from '../types';
import { podManifest, traceNodeSpec } from './kwok';

const SHARING = { sharing: true };

const toNode = (n: TraceNode, cluster: Cluster): Node => fakeNode(traceNodeSpec(n, cluster, SHARING)) as Node;

const toPod = (p: TracePod, i: number, models: string[], nodeName?: string): Pod => {
  const pod = podManifest(p, `${p.name}-${i}`, 'bench', SHARING, models) as Pod;
  pod.metadata!.uid = `uid-${i}`;
  if (nodeName) pod.spec!.nodeName = nodeName;
  return pod;
};

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// The first 10 % of calls warm up the JIT and are not counted.
async function timeIt(n: number, fn: (i: number) => void | Promise<void>): Promise<Latency> {
  for (let i = 0; i < Math.ceil(n / 10); i++) await fn(i);
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = process.cpuUsage();
    const t = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1e3);
  }
  ms.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    p50: percentile(ms, 0.5),
    p99: percentile(ms, 0.99),
    max: ms[ms.length - 1]!,
    cpuP50: percentile(cpu, 0.5),
    cpuP99: percentile(cpu, 0.99),
  };
}

function post(port: number, agent: Agent, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The extender with the trace's nodes in its cache, filled with up to 5,000 trace pods bound at random. */
export function fillCluster(list: NodeList) {
  const cluster = loadCluster(DEFAULT_TRACE_DIR, list);
  const pods = loadPods(workloadPath(DEFAULT_TRACE_DIR, 'default'), cluster);
  const config = parseConfig('');
  const state = new MemoryClusterState({ dims: config.dimensions.map((d) => d.name), gpu: config.gpu });
  const nodes = cluster.nodes.map((n) => toNode(n, cluster));
  for (const n of nodes) state.upsertNode(n);
  const rng = new Rng(7);
  const ext = new Extender(config, state);
  const names = nodes.map((n) => n.metadata!.name!);
  for (const [i, p] of pods.slice(0, 5000).entries()) {
    const fit =
      ext.filter({ Pod: toPod(p, i, cluster.models), Nodes: null, NodeNames: names }).NodeNames ?? [];
    if (fit.length > 0) state.upsertPod(toPod(p, i, cluster.models, fit[rng.int(fit.length)]));
  }
  const args = (i: number, full: boolean): ExtenderArgs => ({
    Pod: toPod(pods[rng.int(pods.length)]!, 100_000 + i, cluster.models),
    Nodes: full ? { items: nodes } : null,
    NodeNames: full ? null : names,
  });
  return { ext, state, names, args };
}

async function overHttp(ext: Extender, bodies: string[]) {
  const server = createExtenderServer(ext, {
    prefix: '/angle',
    maxBodyBytes: 64 << 20,
    logger: pino({ level: 'silent' }),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    return await timeIt(bodies.length, (i) => post(port, agent, '/angle/prioritize', bodies[i]!));
  } finally {
    agent.destroy();
    server.close();
  }
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  /**
   * The process's CPU time per call (all threads, so GC helpers count). On a busy machine the wall-clock tail
   * is mostly waiting for a core; this shows the work itself. Over HTTP it includes the client's share.
   */
  cpuP50: number;
  cpuP99: number;
}

export interface LatencyResult {
  nodes: number;
  boundPods: number;
  requests: number;
  inProcess: Latency;
  httpNames: Latency;
  httpNodes: Latency;
}

/** Prioritize latency in-process and over loopback HTTP, with NodeNames and (at most 300 calls) full Nodes. */
export async function measureLatency(list: NodeList = 'all', requests = 2000): Promise<LatencyResult> {
  const { ext, state, names, args } = fillCluster(list);
  // Requests are built before timing so only the extender's work is measured.
  const byName = Array.from({ length: requests }, (_, i) => args(i, false));
  const inProcess = await timeIt(requests, (i) => void ext.prioritize(byName[i]!));
  const httpNames = await overHttp(
    ext,
    byName.map((a) => JSON.stringify(a)),
  );
  const httpNodes = await overHttp(
    ext,
    Array.from({ length: Math.min(requests, 300) }, (_, i) => JSON.stringify(args(i, true))),
  );
  return { nodes: names.length, boundPods: state.podCount, requests, inProcess, httpNames, httpNodes };
}

export function printLatency(r: LatencyResult): void {
  console.log(`prioritize latency, ${r.nodes} nodes, ${r.boundPods} bound pods, ${r.requests} requests (ms)`);
  const rows = {
    'in-process': r.inProcess,
    'HTTP NodeNames': r.httpNames,
    'HTTP Nodes (300 req)': r.httpNodes,
  };
  for (const [k, v] of Object.entries(rows)) {
    console.log(
      `${k.padEnd(22)} p50 ${v.p50.toFixed(3)}  p99 ${v.p99.toFixed(3)}  max ${v.max.toFixed(3)}` +
        `  (CPU time p50 ${v.cpuP50.toFixed(3)}  p99 ${v.cpuP99.toFixed(3)})`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: 'all' },
      requests: { type: 'string', default: '2000' },
      json: { type: 'boolean' },
    },
  });
  const result = await measureLatency(values.nodes as NodeList, Number(values.requests));
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else printLatency(result);
}

// Also a library for bench/extender.ts: run main only when executed directly.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
