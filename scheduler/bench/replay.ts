// npm run bench:scheduler -- [--workloads default,cpu250] [--seeds N] [--policies a,b] [--full] [--json]
// Replays the Alibaba openb GPU trace with FGD's inflation protocol and prints packing metrics per policy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicy } from '../scoring/policies';
import { Rng } from '../sim/rng';
import { inflate, type RunResult, simulate } from '../sim/simulate';
import { SimState } from '../sim/state';
import { DEFAULT_TRACE_DIR, loadCluster, loadPods, MILLI, type NodeList, workloadPath } from '../sim/trace';
import { type Summary, summarize } from './summary';

/** The chosen formula (see README): linear angle + 20 % packing, with whole GPUs as their own dimension. */
export const ANGLE_POLICY = 'angle-only/shape=linear/packing=0.2/w.memory=0.75/w.gpu-whole=5';
/** The same formula tuned for whole GPUs only (vanilla Kubernetes, --whole-gpus): more packing. */
export const ANGLE_POLICY_WHOLE = 'angle-only/shape=linear/packing=0.5/w.memory=0.75/w.gpu-whole=5';
const QUICK = { workloads: ['default', 'cpu250', 'multigpu50'], seeds: 3 };
// The full protocol replays every pod list in the trace directory.
function allWorkloads(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^openb_pod_list_.*\.csv$/.test(f))
    .map((f) => f.replace(/^openb_pod_list_|\.csv$/g, ''))
    .sort();
}

/** The chosen angle formula under another profile, e.g. angle-float or default+angle:5. */
function withBase(base: string): string {
  return ANGLE_POLICY.replace('angle-only', base);
}

const QUICK_POLICIES = [
  'random',
  'dotprod',
  'bestfit',
  'fgd',
  'default',
  'angle-only',
  ANGLE_POLICY,
  ANGLE_POLICY_WHOLE,
  withBase('default+angle:5'),
];
const FULL_POLICIES = [
  'random',
  'dotprod',
  'bestfit',
  'fgd',
  'tetris',
  'default',
  'most-allocated',
  'rtcr',
  'angle-only',
  'angle-only/packing=0.5',
  ANGLE_POLICY,
  ANGLE_POLICY_WHOLE,
  withBase('angle-float'),
  withBase('default+angle:1'),
  withBase('default+angle:2'),
  withBase('default+angle:5'),
  withBase('default+angle:10'),
];

interface Options {
  traceDir: string;
  workloads: string[];
  seeds: number;
  policies: string[];
  nodes: NodeList;
  inflation: number;
  json: boolean;
  full: boolean;
  /** Variant A1: vanilla Kubernetes has no GPU sharing, so sharing pods take a whole GPU. */
  wholeGpus: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      'trace-dir': { type: 'string' },
      workloads: { type: 'string' },
      seeds: { type: 'string' },
      policies: { type: 'string' },
      nodes: { type: 'string' },
      inflation: { type: 'string' },
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      'whole-gpus': { type: 'boolean', default: false },
    },
  });
  const full = values.full ?? false;
  const traceDir = values['trace-dir'] ?? DEFAULT_TRACE_DIR;
  const list = (v: string | undefined, fallback: string[]) => (v ? v.split(',').filter(Boolean) : fallback);
  const seeds = Number(values.seeds ?? (full ? 10 : QUICK.seeds));
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds must be a positive integer');
  const nodes = (values.nodes ?? 'gpu') as NodeList;
  if (nodes !== 'gpu' && nodes !== 'all') throw new Error('--nodes must be gpu or all');
  const inflation = Number(values.inflation ?? 1.3);
  if (!(inflation > 0)) throw new Error('--inflation must be positive');
  return {
    traceDir,
    workloads: list(values.workloads, full ? allWorkloads(traceDir) : QUICK.workloads),
    seeds,
    policies: list(values.policies, full ? FULL_POLICIES : QUICK_POLICIES),
    nodes,
    inflation,
    json: values.json ?? false,
    full,
    wholeGpus: values['whole-gpus'] ?? false,
  };
}

/** Published means at 80/90/100/130 % arrived, keyed "workload|Policy". */
function loadReference(traceDir: string): Map<string, number[]> {
  const path = join(traceDir, '../reference-results/summary_gpu_alloc.csv');
  const out = new Map<string, number[]>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').trim().split('\n').slice(1)) {
    const [workload = '', policy = '', , ...values] = line.split(',');
    out.set(
      `${workload.replace('openb_pod_list_', '')}|${policy.replace(/^\d+-/, '').toLowerCase()}`,
      values.map(Number),
    );
  }
  return out;
}

function runWorkload(o: Options, state: SimState, workload: string, cluster: ReturnType<typeof loadCluster>) {
  const pods = loadPods(workloadPath(o.traceDir, workload), cluster).map((p) =>
    o.wholeGpus && p.gpus > 0 ? { ...p, gpuMilli: MILLI } : p,
  );
  const orders = Array.from({ length: o.seeds }, (_, s) =>
    inflate(pods, state.capacity.gpuMilli, o.inflation, new Rng(42 + s)),
  );
  return o.policies.map((spec) => {
    const profile = parsePolicy(spec);
    const runs: RunResult[] = orders.map((order, s) =>
      simulate(state, order, profile, 42 + s, { randomGpu: spec === 'random', workload: pods }),
    );
    return summarize(spec, runs);
  });
}

function fmt(mean: number, sd: number, digits = 1): string {
  return `${mean.toFixed(digits)}±${sd.toFixed(digits)}`;
}

function printTable(workload: string, rows: Summary[], reference: Map<string, number[]>): void {
  console.log(`\n== ${workload} ==`);
  const header = [
    'policy',
    'gpu@80',
    'gpu@90',
    'gpu@100',
    'gpu@130',
    'ref@100',
    'podsB4fail',
    'arrived@fail',
    'failed',
    'strand cpu/mem/gpu %',
    'µs/pod',
  ];
  const lines = rows.map((r) => {
    const ref = reference.get(`${workload}|${r.policy}`)?.[2];
    return [
      r.policy,
      r.gpuAt80.mean.toFixed(1),
      r.gpuAt90.mean.toFixed(1),
      fmt(r.gpuAt100.mean, r.gpuAt100.sd, 2),
      r.gpuAt130.mean.toFixed(1),
      ref === undefined ? '' : ref.toFixed(2),
      r.podsBeforeFirstFail.mean.toFixed(0),
      r.arrivedAtFirstFail.mean.toFixed(1),
      r.failed.mean.toFixed(0),
      `${r.stranded.cpu.toFixed(1)}/${r.stranded.mem.toFixed(1)}/${r.stranded.gpu.toFixed(1)}`,
      r.microsPerPod.toFixed(0),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const l of [header, ...lines])
    console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

function main(): void {
  const o = options();
  const cluster = loadCluster(o.traceDir, o.nodes);
  const state = new SimState(cluster);
  const reference = loadReference(o.traceDir);
  const protocol = `${o.full ? 'full' : 'quick'} protocol: ${cluster.nodes.length} nodes (${o.nodes}), ${o.wholeGpus ? 'whole GPUs only (A1)' : 'per-GPU milli sharing (A2, as FGD)'}, inflation ${o.inflation * 100}% of ${state.capacity.gpuMilli / 1000} GPUs, seeds ${o.seeds} (42..${41 + o.seeds}), ${o.workloads.length} workloads x ${o.policies.length} policies`;
  const started = Date.now();
  const results: Record<string, Summary[]> = {};
  if (!o.json) console.log(protocol);
  for (const workload of o.workloads) {
    const t = Date.now();
    results[workload] = runWorkload(o, state, workload, cluster);
    if (o.json) console.error(`${workload}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
    if (!o.json) printTable(workload, results[workload]!, reference);
  }
  const seconds = (Date.now() - started) / 1000;
  if (o.json) console.log(JSON.stringify({ protocol, seconds, results }, null, 2));
  else
    console.log(
      `\nfinished in ${seconds.toFixed(0)} s; ref@100 = published ATC'23 mean (reference-results/summary_gpu_alloc.csv)`,
    );
}

main();
