import { podClass } from '../scoring/classes';
import { Fragmentation } from '../scoring/fragment';
import type { Component, Profile } from '../scoring/policies';
import { MAX_EXTENDER_PRIORITY, MAX_NODE_SCORE, type ScoreParams } from '../scoring/types';
import { Fgd, typicalPods } from './fgd';
import { Rng } from './rng';
import { fragmentShape, SIM_DIMS, type SimState } from './state';
import { MILLI, podGpuMilli, podWholeGpuMilli, type TracePod } from './trace';

export const ARRIVED_MAX = 130;

export interface RunResult {
  seed: number;
  /**
   * GPU allocation % at arrived GPU demand k % of capacity, k = 0..130: the mean over all pods whose arrival
   * rounds to k, as the FGD artefact's merge_alloc_discrete.py computes it.
   */
  gpuAllocAt: number[];
  cpuAllocAt100: number;
  memAllocAt100: number;
  podsBeforeFirstFail: number;
  arrivedAtFirstFail: number;
  placed: number;
  failed: number;
  /** % of cluster capacity left free but unusable at the end (see strandedAtEnd). */
  stranded: { cpu: number; mem: number; gpu: number };
  microsPerPod: number;
}

/** FGD's inflation: every pod of the list, plus pods sampled with replacement up to `ratio` of GPU capacity, shuffled. */
export function inflate(pods: TracePod[], gpuCapacityMilli: number, ratio: number, rng: Rng): TracePod[] {
  const target = ratio * gpuCapacityMilli;
  const out = [...pods];
  let total = out.reduce((s, p) => s + podGpuMilli(p), 0);
  while (total > target && out.length > 0) total -= podGpuMilli(out.splice(rng.int(out.length), 1)[0]!);
  for (;;) {
    const p = pods[rng.int(pods.length)]!;
    if (total + podGpuMilli(p) > target) break;
    total += podGpuMilli(p);
    out.push(p);
  }
  return rng.shuffle(out);
}

interface Bound {
  c: Component;
  params: ScoreParams;
  fgd?: Fgd;
}

function bind(profile: Profile, state: SimState, workload: readonly TracePod[]): Bound[] {
  const measure = new Fragmentation(state.shapes);
  return profile.components.map((c) => ({
    c,
    params: {
      dims: SIM_DIMS.length,
      weights: Float64Array.from(SIM_DIMS, (d) => c.dimWeights[d] ?? 0),
      ref: state.ref,
      frag: { measure, view: state.devices, cpuDim: 0, stamps: state.changes },
    },
    fgd: c.device === 'fgd' ? new Fgd(state, typicalPods(workload)) : undefined,
  }));
}

/** Adds one component's contribution for the k feasible nodes to `total`, as kube-scheduler combines scores. */
function addScores(
  b: Bound,
  state: SimState,
  pod: TracePod,
  req: Float64Array,
  feasible: Int32Array,
  k: number,
  raw: Float64Array,
  total: Float64Array,
) {
  const { c, params, fgd } = b;
  if (fgd) for (let j = 0; j < k; j++) raw[j] = fgd.score(pod, feasible[j]!);
  else
    for (let j = 0; j < k; j++)
      raw[j] = c.fn(req, state.alloc, state.free, feasible[j]! * SIM_DIMS.length, params);
  if (c.mode === 'plugin') {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      raw[j] = Math.trunc(raw[j]!);
      if (raw[j]! < lo) lo = raw[j]!;
      if (raw[j]! > hi) hi = raw[j]!;
    }
    if (c.normalize) {
      const range = hi - lo;
      for (let j = 0; j < k; j++)
        raw[j] = range === 0 ? 0 : Math.trunc(((raw[j]! - lo) * MAX_NODE_SCORE) / range);
    }
    for (let j = 0; j < k; j++) total[j]! += raw[j]! * c.weight;
  } else if (c.mode === 'extender') {
    const scale = c.weight * (MAX_NODE_SCORE / MAX_EXTENDER_PRIORITY);
    for (let j = 0; j < k; j++) {
      const s = Math.min(MAX_EXTENDER_PRIORITY, Math.max(0, Math.round(raw[j]! / 10)));
      total[j]! += s * scale;
    }
  } else {
    for (let j = 0; j < k; j++) total[j]! += raw[j]! * c.weight;
  }
}

/**
 * selectHost: the highest total; ties broken uniformly at random (reservoir sampling), or, with `byName`,
 * to the first feasible node (nodes are in name order).
 */
function selectHost(total: Float64Array, k: number, rng: Rng, byName: boolean): number {
  let best = 0;
  let ties = 1;
  for (let j = 1; j < k; j++) {
    if (total[j]! > total[best]!) {
      best = j;
      ties = 1;
    } else if (!byName && total[j] === total[best] && rng.int(++ties) === 0) {
      best = j;
    }
  }
  return best;
}

export interface SimOptions {
  /** Sharing pods pick a random fitting GPU instead of the best-fit one (the FGD Random baseline). */
  randomGpu: boolean;
  /** The pod list before inflation: FGD's typical pods come from it (default: the replayed pods). */
  workload?: readonly TracePod[];
}

/** Per-run metrics, updated once per pod. */
class Recorder {
  private readonly bucketSum = new Float64Array(ARRIVED_MAX + 2);
  private readonly bucketCount = new Int32Array(ARRIVED_MAX + 2);
  private arrived = 0;
  private allocated = 0;
  private placed = 0;
  private failed = 0;
  private podsBeforeFirstFail = -1;
  private arrivedAtFirstFail = -1;
  private at100: [number, number] | undefined;

  constructor(private readonly state: SimState) {}

  record(p: TracePod, placed: boolean): void {
    const cap = this.state.capacity.gpuMilli;
    if (placed) {
      this.allocated += podGpuMilli(p);
      this.placed++;
    } else {
      this.failed++;
      if (this.podsBeforeFirstFail < 0) {
        this.podsBeforeFirstFail = this.placed;
        this.arrivedAtFirstFail = (this.arrived * 100) / cap;
      }
    }
    this.arrived += podGpuMilli(p);
    const bucket = Math.min(Math.round((this.arrived * 100) / cap), ARRIVED_MAX + 1);
    this.bucketSum[bucket]! += (this.allocated * 100) / cap;
    this.bucketCount[bucket]!++;
    if (!this.at100 && this.arrived >= cap) this.at100 = usedPct(this.state);
  }

  result(seed: number, microsPerPod: number): RunResult {
    const arrivedPct = (this.arrived * 100) / this.state.capacity.gpuMilli;
    const [cpu, mem] = this.at100 ?? usedPct(this.state);
    return {
      seed,
      gpuAllocAt: bucketMeans(this.bucketSum, this.bucketCount),
      cpuAllocAt100: cpu,
      memAllocAt100: mem,
      podsBeforeFirstFail: this.podsBeforeFirstFail < 0 ? this.placed : this.podsBeforeFirstFail,
      arrivedAtFirstFail: this.arrivedAtFirstFail < 0 ? arrivedPct : this.arrivedAtFirstFail,
      placed: this.placed,
      failed: this.failed,
      stranded: strandedAtEnd(this.state),
      microsPerPod,
    };
  }
}

/**
 * kube-scheduler's decision for one pod at a time over a SimState: filter, score every feasible node under
 * `profile`, pick the best. `simulate` replays a whole trace with it; the e2e tests follow the real
 * kube-scheduler with it step by step.
 */
export class Scheduler {
  private readonly bound: Bound[];
  private readonly fgd: Fgd | undefined;
  private readonly feasible: Int32Array;
  private readonly raw: Float64Array;
  private readonly total: Float64Array;
  private readonly req = new Float64Array(SIM_DIMS.length);
  private k = 0;

  constructor(
    private readonly state: SimState,
    private readonly profile: Profile,
    workload: readonly TracePod[],
  ) {
    this.bound = bind(profile, state, workload);
    this.fgd = this.bound.find((b) => b.fgd)?.fgd;
    this.feasible = new Int32Array(state.n);
    this.raw = new Float64Array(state.n);
    this.total = new Float64Array(state.n);
  }

  /**
   * Counts the pod as arrived, finds the feasible nodes and scores them. Returns how many are feasible;
   * `feasibleNode(j)` and `totalOf(j)` read them (totals only when more than one node is feasible: the
   * scheduler skips scoring otherwise).
   */
  evaluate(p: TracePod): number {
    const { state, feasible, total, req } = this;
    state.arrive(p);
    let k = 0;
    for (let i = 0; i < state.n; i++) if (state.fits(p, i)) feasible[k++] = i;
    this.k = k;
    if (k > 1) {
      req[0] = p.cpu;
      req[1] = p.mem;
      req[2] = podGpuMilli(p);
      req[3] = podWholeGpuMilli(p);
      const cls = podClass(p.gpus, p.gpuMilli);
      const shape = fragmentShape(p);
      for (const b of this.bound) {
        b.params.podClass = cls;
        b.params.mix = state.mix;
        b.params.pod = shape;
      }
      total.fill(0, 0, k);
      for (const b of this.bound) addScores(b, state, p, req, feasible, k, this.raw, total);
    }
    return k;
  }

  feasibleNode(j: number): number {
    return this.feasible[j]!;
  }

  totalOf(j: number): number {
    return this.total[j]!;
  }

  /** The index among the evaluated feasible nodes that kube-scheduler would bind to. */
  select(rng: Rng): number {
    return this.k > 1 ? selectHost(this.total, this.k, rng, this.profile.ties === 'name') : 0;
  }

  /** Places the pod on node `node`; returns the GPU a sharing pod went to (-1 otherwise). */
  place(p: TracePod, node: number, rng?: Rng): number {
    const gpu = this.fgd && p.gpus === 1 && p.gpuMilli < MILLI ? this.fgd.sharingGpu(p, node) : -1;
    return this.state.place(p, node, rng, gpu);
  }
}

/** Replays `pods` in order onto a reset cluster, choosing nodes as kube-scheduler would under `profile`. */
export function simulate(
  state: SimState,
  pods: TracePod[],
  profile: Profile,
  seed: number,
  opts: SimOptions,
): RunResult {
  const rng = new Rng(seed * 7919 + 1);
  state.reset();
  const scheduler = new Scheduler(state, profile, opts.workload ?? pods);
  const recorder = new Recorder(state);
  const start = process.hrtime.bigint();
  for (const p of pods) {
    const k = scheduler.evaluate(p);
    if (k > 0)
      scheduler.place(p, scheduler.feasibleNode(scheduler.select(rng)), opts.randomGpu ? rng : undefined);
    recorder.record(p, k > 0);
  }
  const micros = Number(process.hrtime.bigint() - start) / 1000 / Math.max(pods.length, 1);
  return recorder.result(seed, micros);
}

// Empty buckets (a big pod jumped over them) take the neighbours' mean, as the artefact's ±1 fallback does.
function bucketMeans(sum: Float64Array, count: Int32Array): number[] {
  const out: number[] = [];
  for (let k = 0; k <= ARRIVED_MAX; k++) {
    if (count[k]! > 0) out.push(sum[k]! / count[k]!);
    else {
      const lo = Math.max(k - 1, 0);
      const n = count[lo]! + count[k + 1]!;
      out.push(n > 0 ? (sum[lo]! + sum[k + 1]!) / n : (out[k - 1] ?? 0));
    }
  }
  return out;
}

function usedPct(state: SimState): [number, number] {
  let cpu = 0;
  let mem = 0;
  for (let i = 0; i < state.n; i++) {
    const o = i * SIM_DIMS.length;
    cpu += state.alloc[o]! - state.free[o]!;
    mem += state.alloc[o + 1]! - state.free[o + 1]!;
  }
  return [(cpu * 100) / state.capacity.cpu, (mem * 100) / state.capacity.mem];
}

/**
 * Stranded capacity: free cpu and memory on GPU nodes whose GPUs are all allocated, and free GPUs on nodes
 * whose cpu or memory is over 95 % allocated. Each as % of the cluster's capacity of that resource.
 */
export function strandedAtEnd(state: SimState): { cpu: number; mem: number; gpu: number } {
  let cpu = 0;
  let mem = 0;
  let gpu = 0;
  for (let i = 0; i < state.n; i++) {
    const o = i * SIM_DIMS.length;
    const [ac, am, ag] = [state.alloc[o]!, state.alloc[o + 1]!, state.alloc[o + 2]!];
    const [fc, fm, fg] = [state.free[o]!, state.free[o + 1]!, state.free[o + 2]!];
    if (ag > 0 && fg < 1) {
      cpu += fc;
      mem += fm;
    }
    if (fg > 0 && (fc < 0.05 * ac || fm < 0.05 * am)) gpu += fg;
  }
  const c = state.capacity;
  return { cpu: (cpu * 100) / c.cpu, mem: (mem * 100) / c.mem, gpu: (gpu * 100) / c.gpuMilli };
}

export { MILLI };
