import { sortSmall } from '../scoring/fragment';
import type { SimState } from './state';
import { MAX_GPUS, MILLI, type TracePod } from './trace';

// Fragmentation Gradient Descent (Weng et al., USENIX ATC '23), as its artefact scores it
// (hkust-adsl/kubernetes-scheduler-simulator, fgd_score.go and utils/frag.go):
// - the workload's "typical pods": pod shapes (cpu, milli-GPU per GPU, GPU count, GPU model) by frequency,
//   the most common ones up to 95 % of all pods, CPU-only pods included;
// - a node's fragmentation: the GPU milli it leaves idle that a typical pod, drawn at random, could not use:
//   all of it for a pod that cannot run there (too little cpu, too few GPUs with room, wrong GPU model, or a
//   CPU-only pod), otherwise the idle milli on GPUs too small for that pod;
// - a placement's score: sigmoid((frag before − frag after) / 1000) · 100, truncated to an integer; a sharing
//   pod is scored on each GPU it fits and goes to the best one. Memory is not part of the measure.

export interface PodShape {
  /** Non-zero cpu request (kube-scheduler counts 100m for a pod that requests none). */
  cpu: number;
  /** Milli-GPU per GPU: 1000 for whole GPUs, less for a sharing pod, 0 for CPU-only. */
  milli: number;
  gpus: number;
  /** Allowed GPU models as a bitmask; 0 = any. */
  models: number;
}

export interface TypicalPod extends PodShape {
  /** Share of all pods in the workload, renormalised over the typical ones. */
  p: number;
}

const NON_ZERO_CPU = 100;
export const TYPICAL_POD_THRESHOLD = 0.95;

export function podShape(p: TracePod): PodShape {
  return {
    cpu: p.cpu > 0 ? p.cpu : NON_ZERO_CPU,
    milli: p.gpus > 0 ? p.gpuMilli : 0,
    gpus: p.gpus,
    models: p.models,
  };
}

// The artefact sorts by count, then by (cpu, milli, gpus, model), both descending.
function compareShapes(a: PodShape, b: PodShape): number {
  return b.cpu - a.cpu || b.milli - a.milli || b.gpus - a.gpus || b.models - a.models;
}

/** The workload's most frequent pod shapes covering `threshold` of its pods, with renormalised frequencies. */
export function typicalPods(pods: readonly TracePod[], threshold = TYPICAL_POD_THRESHOLD): TypicalPod[] {
  const counts = new Map<string, { shape: PodShape; n: number }>();
  for (const pod of pods) {
    const shape = podShape(pod);
    const key = `${shape.cpu},${shape.milli},${shape.gpus},${shape.models}`;
    const entry = counts.get(key);
    if (entry) entry.n++;
    else counts.set(key, { shape, n: 1 });
  }
  const sorted = [...counts.values()].sort((a, b) => b.n - a.n || compareShapes(a.shape, b.shape));
  const out: TypicalPod[] = [];
  let covered = 0;
  for (const { shape, n } of sorted) {
    if (covered >= threshold * pods.length) break;
    covered += n;
    out.push({ ...shape, p: n });
  }
  for (const t of out) t.p /= covered;
  return out;
}

/** FGD's score over a SimState: per-node fragmentation cached until the node changes. */
export class Fgd {
  /** Typical GPU pods sorted by milli-GPU, so one pass over a node's sorted GPUs serves them all. */
  private readonly gpuTypes: TypicalPod[];
  /** Total frequency of CPU-only typical pods: for them every idle GPU milli is a fragment. */
  private readonly pCpu: number;
  private readonly fragCache: Float64Array;
  private readonly cachedAt: Uint32Array;
  private readonly lefts = new Float64Array(MAX_GPUS);
  private readonly after = new Float64Array(MAX_GPUS);
  /**
   * Scores per pod shape and node, valid while the node is unchanged: a placement changes one node, and
   * shapes repeat, so most scores are reused.
   */
  private readonly memo = new Map<string, { score: Int16Array; gpu: Int8Array; at: Uint32Array }>();

  constructor(
    private readonly state: SimState,
    types: readonly TypicalPod[],
  ) {
    this.gpuTypes = types.filter((t) => t.milli > 0).sort((a, b) => a.milli - b.milli);
    this.pCpu = types.filter((t) => t.milli === 0).reduce((s, t) => s + t.p, 0);
    this.fragCache = new Float64Array(state.n);
    this.cachedAt = new Uint32Array(state.n);
  }

  /** Node i's fragmentation now. */
  nodeFrag(i: number): number {
    const stamp = this.state.changes[i]! + 1;
    if (this.cachedAt[i] !== stamp) {
      const c = this.copyLefts(i, this.lefts);
      this.fragCache[i] = this.fragOf(this.state.free[i * this.state.dims]!, this.lefts, c, i);
      this.cachedAt[i] = stamp;
    }
    return this.fragCache[i]!;
  }

  /** The integer 0..100 score of placing `pod` on node i. */
  score(pod: TracePod, i: number): number {
    return this.memoised(pod, i).score[i]!;
  }

  /** The GPU a sharing pod goes to on node i: the one whose fragmentation drops most (first on ties). */
  sharingGpu(pod: TracePod, i: number): number {
    return this.memoised(pod, i).gpu[i]!;
  }

  private memoised(pod: TracePod, i: number) {
    const key = `${pod.cpu},${pod.gpus},${pod.gpuMilli},${pod.models}`;
    let m = this.memo.get(key);
    if (!m) {
      const n = this.state.n;
      m = { score: new Int16Array(n), gpu: new Int8Array(n), at: new Uint32Array(n) };
      this.memo.set(key, m);
    }
    const stamp = this.state.changes[i]! + 1;
    if (m.at[i] !== stamp) {
      const { score, gpu } = this.best(pod, i);
      m.score[i] = score;
      m.gpu[i] = gpu;
      m.at[i] = stamp;
    }
    return m;
  }

  private best(pod: TracePod, i: number): { score: number; gpu: number } {
    const before = this.nodeFrag(i);
    const cpu = this.state.free[i * this.state.dims]! - (pod.cpu > 0 ? pod.cpu : NON_ZERO_CPU);
    const base = i * MAX_GPUS;
    const c = this.state.gpuCount[i]!;
    const left = this.state.gpuLeft;
    if (pod.gpus === 1 && pod.gpuMilli < MILLI) {
      let bestScore = -1;
      let bestGpu = -1;
      for (let g = 0; g < c; g++) {
        const l = left[base + g]!;
        if (l < pod.gpuMilli) continue;
        // GPUs with the same milli left score the same; the first of them wins ties anyway.
        let seen = false;
        for (let h = 0; h < g && !seen; h++) seen = left[base + h] === l;
        if (seen) continue;
        for (let h = 0; h < c; h++) this.after[h] = h === g ? l - pod.gpuMilli : left[base + h]!;
        sortSmall(this.after, c);
        const s = fgdScore(before, this.fragOf(cpu, this.after, c, i));
        if (s > bestScore) {
          bestScore = s;
          bestGpu = g;
        }
      }
      return { score: bestScore, gpu: bestGpu };
    }
    this.copyLefts(i, this.after);
    // Whole GPUs come off fully idle devices; sorted ascending, those are the last ones.
    for (let k = 0, h = c - 1; k < pod.gpus && h >= 0; k++, h--) this.after[h] = 0;
    sortSmall(this.after, c);
    return { score: fgdScore(before, this.fragOf(cpu, this.after, c, i)), gpu: -1 };
  }

  private copyLefts(i: number, out: Float64Array): number {
    const c = this.state.gpuCount[i]!;
    for (let g = 0; g < c; g++) out[g] = this.state.gpuLeft[i * MAX_GPUS + g]!;
    sortSmall(out, c);
    return c;
  }

  /** Fragmentation of a node with `cpu` free and GPUs `lefts[0..c)` (ascending) left. */
  private fragOf(cpu: number, lefts: Float64Array, c: number, i: number): number {
    let total = 0;
    for (let g = 0; g < c; g++) total += lefts[g]!;
    if (total === 0) return 0;
    const modelBit = this.state.modelBit[i]!;
    let frag = this.pCpu * total;
    let ptr = 0;
    let below = 0;
    for (const t of this.gpuTypes) {
      if (t.models !== 0 && (t.models & modelBit) === 0) {
        frag += t.p * total;
        continue;
      }
      while (ptr < c && lefts[ptr]! < t.milli) below += lefts[ptr++]!;
      frag += t.p * (c - ptr >= t.gpus && cpu >= t.cpu ? below : total);
    }
    return frag;
  }
}

function fgdScore(before: number, after: number): number {
  return Math.trunc(100 / (1 + Math.exp(-(before - after) / 1000)));
}
