// npm run bench:scheduler -- --help
// Replays the Alibaba openb GPU trace with FGD's inflation protocol and prints packing metrics per policy.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { POLICY_NAMES, parsePolicy } from '../scoring/policies';
import { Rng } from '../sim/rng';
import { inflate, type RunResult, simulate } from '../sim/simulate';
import { SimState } from '../sim/state';
import { DEFAULT_TRACE_DIR, loadCluster, loadPods, MILLI, type NodeList, workloadPath } from '../sim/trace';
import { type Summary, summarize } from './summary';

/**
 * The pod lists every constant of the shipped formula was chosen on; the others only report. Each family
 * (cpu share, GPU sharing, GPU models, multi-GPU) has lists on both sides.
 */
export const TUNING_LISTS = ['cpu0', 'cpu100', 'cpu250', 'gpushare20', 'gpuspec10', 'multigpu30'];
export const REPORT_LISTS = [
  'default',
  'cpu037',
  'cpu050',
  'cpu200',
  'cpu300',
  'gpushare40',
  'gpushare80',
  'gpuspec05',
  'gpuspec25',
  'multigpu20',
  'multigpu50',
];

const QUICK = { workloads: ['default', 'gpuspec25', 'multigpu50'], seeds: 3 };
// The full protocol replays every pod list in the trace directory.
function allWorkloads(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^openb_pod_list_.*\.csv$/.test(f))
    .map((f) => f.replace(/^openb_pod_list_|\.csv$/g, ''))
    .sort();
}

const QUICK_POLICIES = ['random', 'bestfit', 'fgd', 'default', 'shipped'];
const FULL_POLICIES = [
  'random',
  'dotprod',
  'bestfit',
  'fgd',
  'default',
  'rtcr',
  'angle-only',
  'shipped',
  'default+shipped:5',
];

const USAGE = `npm run bench:scheduler -- [options]
Replays the openb GPU trace (FGD's inflation protocol: each pod list resampled to 130 % of the cluster's
GPUs, shuffled per seed) through a kube-scheduler model and prints GPU allocation and packing per policy.

  --workloads a,b     pod lists: a name x means openb_pod_list_x.csv, a .csv name is used as is
                      (default: ${QUICK.workloads.join(',')}; --full: every list in the trace directory)
  --tuning | --report the tuning lists (${TUNING_LISTS.join(',')}) or the report lists
  --seeds N           seeds 42..41+N (default ${QUICK.seeds}; --full: 10)
  --policies a,b      (default: ${QUICK_POLICIES.join(',')}; --full: ${FULL_POLICIES.join(',')})
  --nodes gpu|all     the 1213 GPU nodes FGD used (default), or all 1523
  --whole-gpus        vanilla Kubernetes: sharing pods take a whole GPU
  --inflation R       arrived GPU demand as a fraction of capacity (default 1.3)
  --trace-dir DIR     node and pod lists (default: the repository's copy, scheduler/traces/alibaba-gpu-v2023/csv)
  --reference FILE    published results to print beside ours (columns workload,policy,seeds,@80,@90,@100,@130;
                      default: DIR/../reference-results/summary_gpu_alloc.csv when it exists)
  --full              every list, 10 seeds, the full policy set
  --json              one JSON document on stdout
  --help

Policies: ${POLICY_NAMES.join(', ')}. \`shipped\` is the angle as config/scheduler/extender.yaml configures it.
Options follow slashes: name[:weight]/key=value, e.g. angle-only/packing=0.3/w.nvidia.com/gpu=6/ties=name;
keys: shape=cos|linear, norm=node|max, packing, packing.<cpu|share|whole|multi>, whole.max|min|sharing|constrained,
fragment (β of the fragmentation term), fragment.scale (its sigmoid's scale in milli-GPU), project=true|false,
w.<dimension> (cpu, memory, nvidia.com/gpu, gpu-whole, gpu-spec), ties=random|name.`;

interface Options {
  traceDir: string;
  reference: string;
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
      help: { type: 'boolean', default: false },
      tuning: { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      reference: { type: 'string' },
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
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const full = values.full ?? false;
  const traceDir = values['trace-dir'] ?? DEFAULT_TRACE_DIR;
  const split = values.tuning ? TUNING_LISTS : values.report ? REPORT_LISTS : undefined;
  const list = (v: string | undefined, fallback: string[]) => (v ? v.split(',').filter(Boolean) : fallback);
  const seeds = Number(values.seeds ?? (full ? 10 : QUICK.seeds));
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds must be a positive integer');
  const nodes = (values.nodes ?? 'gpu') as NodeList;
  if (nodes !== 'gpu' && nodes !== 'all') throw new Error('--nodes must be gpu or all');
  const inflation = Number(values.inflation ?? 1.3);
  if (!(inflation > 0)) throw new Error('--inflation must be positive');
  return {
    traceDir,
    reference: values.reference ?? join(traceDir, '../reference-results/summary_gpu_alloc.csv'),
    workloads: list(values.workloads, split ?? (full ? allWorkloads(traceDir) : QUICK.workloads)),
    seeds,
    policies: list(values.policies, full ? FULL_POLICIES : QUICK_POLICIES),
    nodes,
    inflation,
    json: values.json ?? false,
    full,
    wholeGpus: values['whole-gpus'] ?? false,
  };
}

/** Published means at 80/90/100/130 % arrived, keyed "workload|policy" (lower case, no number prefix). */
function loadReference(path: string): Map<string, number[]> {
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
  const reference = loadReference(o.reference);
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
  else {
    printComparison(results);
    console.log(`\nfinished in ${seconds.toFixed(0)} s; ref@100 = published mean from ${o.reference}`);
  }
}

/**
 * The shipped angle against every baseline of the same run, list by list, and how many lists of each
 * side of the tuning/report split it matches or beats. "Beats" compares means at 100 % arrived.
 */
function printComparison(results: Record<string, Summary[]>): void {
  const workloads = Object.keys(results);
  const at = (w: string, policy: string) => results[w]!.find((r) => r.policy === policy)?.gpuAt100;
  if (!workloads.some((w) => at(w, 'shipped'))) return;
  const baselines = ['fgd', 'bestfit', 'default'].filter((b) => workloads.some((w) => at(w, b)));
  console.log('\n== shipped angle vs baselines, GPU allocation % at 100 % arrived (same run) ==');
  const header = ['pod list', 'set', 'shipped', ...baselines.map((b) => `− ${b}`)];
  const rows = workloads.map((w) => {
    const shipped = at(w, 'shipped');
    const set = TUNING_LISTS.includes(w) ? 'tuning' : REPORT_LISTS.includes(w) ? 'report' : '';
    const cells = baselines.map((b) => {
      const other = at(w, b);
      return shipped && other ? signed(shipped.mean - other.mean) : '';
    });
    return [w, set, shipped ? `${shipped.mean.toFixed(2)}±${shipped.sd.toFixed(2)}` : '', ...cells];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows])
    console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  for (const set of ['tuning', 'report']) {
    const lists = workloads.filter((w) => (set === 'tuning' ? TUNING_LISTS : REPORT_LISTS).includes(w));
    if (lists.length === 0) continue;
    const tally = baselines.map((b) => {
      const won = lists.filter((w) => (at(w, 'shipped')?.mean ?? 0) >= (at(w, b)?.mean ?? Infinity));
      return `≥ ${b} on ${won.length}/${lists.length}`;
    });
    console.log(`${set} lists: shipped ${tally.join(', ')}`);
  }
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
}

main();
