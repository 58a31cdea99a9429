import { MILLI } from './classes';

// The fragmentation term of the angle score: FGD's measure (Weng et al., ATC '23) computed from what the
// extender can observe. The "typical pods" are the shapes of the pods that have arrived so far (bound or
// pending), not the whole workload known in advance as in FGD. A node's fragmentation is the idle GPU a
// typical pod, drawn at random, could not use; a placement scores by how much it lowers it. The simulator
// and the extender both score through `Fragmentation.score`, over their own per-device arrays.

/** A pod as the fragmentation measure sees it. */
export interface PodShape {
  /** cpu request (millicores). */
  cpu: number;
  /** Devices: whole ones, or 1 for a share. 0 for a CPU-only pod. */
  gpus: number;
  /** The share of one device in the node's device units; 0 for whole devices and CPU-only pods. */
  share: number;
  /** Accepted GPU models as a bitmask; 0 = any. */
  models: number;
}

export interface TypicalShape extends PodShape {
  /** Frequency among the typical shapes (they sum to 1). */
  p: number;
}

/** The most frequent shapes covering this share of the observed pods are typical, as in FGD. */
export const TYPICAL_SHARE = 0.95;
/** The typical set is recomputed after this fraction of the observed pods came or went. */
const REFRESH = 0.05;

function shapeKey(s: PodShape): string {
  return `${s.cpu},${s.gpus},${s.share},${s.models}`;
}

/** Counts of the observed pods' shapes, and the typical set derived from them. */
export class ShapeCounts {
  private readonly counts = new Map<string, { shape: PodShape; n: number }>();
  private total = 0;
  private changed = 0;
  private totalAtRefresh = 0;
  private cached: TypicalShape[] = [];
  /** Bumped whenever the typical set is recomputed, so cached fragmentation can be dropped. */
  version = 0;

  add(shape: PodShape, sign: 1 | -1 = 1): void {
    const key = shapeKey(shape);
    const entry = this.counts.get(key);
    if (entry) {
      entry.n += sign;
      if (entry.n <= 0) this.counts.delete(key);
    } else if (sign > 0) this.counts.set(key, { shape: { ...shape }, n: 1 });
    else return;
    this.total += sign;
    // Refreshed here, not when read, so the set depends only on the pods seen, not on when scores asked.
    if (++this.changed >= REFRESH * this.totalAtRefresh) this.refresh();
  }

  clear(): void {
    this.counts.clear();
    this.total = this.changed = this.totalAtRefresh = 0;
    this.cached = [];
    this.version++;
  }

  get size(): number {
    return this.total;
  }

  /** The typical shapes, refreshed whenever 5 % of the pods came or went since the last time. */
  typical(): readonly TypicalShape[] {
    return this.cached;
  }

  private refresh(): void {
    // By count, then by shape, both descending, as the FGD artefact orders them.
    const sorted = [...this.counts.values()].sort(
      (a, b) =>
        b.n - a.n ||
        b.shape.cpu - a.shape.cpu ||
        b.shape.share - a.shape.share ||
        b.shape.gpus - a.shape.gpus ||
        b.shape.models - a.shape.models,
    );
    const out: TypicalShape[] = [];
    let covered = 0;
    let last = 0;
    for (const { shape, n } of sorted) {
      // Shapes as frequent as the last one taken are taken too, so the set does not depend on how GPU
      // models are numbered (the simulator and the extender number them differently).
      if (covered >= TYPICAL_SHARE * this.total && n < last) break;
      covered += n;
      last = n;
      out.push({ ...shape, p: n });
    }
    for (const t of out) t.p /= covered;
    this.cached = out;
    this.totalAtRefresh = this.total;
    this.changed = 0;
    this.version++;
  }
}

/** Per-device state: node i's `count[i]` devices are at `free[i*stride ..]`, in units of one device's `capacity[i]`. */
export interface DeviceView {
  stride: number;
  count: ArrayLike<number>;
  /** One device's capacity per node; MILLI for every node when absent. */
  capacity?: ArrayLike<number>;
  free: ArrayLike<number>;
  /** The node's GPU model as a bitmask (0 when it has none). */
  model: ArrayLike<number>;
}

const MAX = 64;
const MAX_MEMO = 256;

/** FGD's fragmentation measure and its change per placement, over a DeviceView. */
export class Fragmentation {
  private readonly lefts = new Float64Array(MAX);
  private readonly after = new Float64Array(MAX);
  private version = -1;
  /** Typical GPU shapes, share ones by share ascending, then whole ones (each needs a full device). */
  private gpuShapes: TypicalShape[] = [];
  /** Frequency of CPU-only typical shapes: for them every idle GPU is a fragment. */
  private pCpu = 0;
  private cache = new Float64Array(0);
  private cachedAt = new Uint32Array(0);
  /** Drops per pod shape and node while the node is unchanged (with stamps): shapes repeat. */
  private memo = new Map<string, { score: Float64Array; at: Uint32Array }>();
  private lastPod: PodShape | undefined;
  private lastMemo: { score: Float64Array; at: Uint32Array } | undefined;

  constructor(readonly shapes: ShapeCounts) {}

  /**
   * How much placing `pod` on node i lowers its fragmentation (before − after), in milli-GPU. `cpuFree` is the
   * node's free cpu (Infinity when cpu is not tracked). A share goes to the best-fit device (the fewest free
   * that fit, first on ties), whole GPUs to idle ones, as bind places them. With `stamps` (bumped whenever
   * node i changes) results are cached per node and pod shape.
   */
  drop(view: DeviceView, i: number, cpuFree: number, pod: PodShape, stamps?: ArrayLike<number>): number {
    this.sync();
    if (!stamps) return this.compute(view, i, cpuFree, pod);
    const m = this.memoFor(pod, i);
    const stamp = stamps[i]! + 1;
    if (m.at[i] !== stamp) {
      m.score[i] = this.compute(view, i, cpuFree, pod, stamps);
      m.at[i] = stamp;
    }
    return m.score[i]!;
  }

  private memoFor(pod: PodShape, i: number): { score: Float64Array; at: Uint32Array } {
    if (pod !== this.lastPod || !this.lastMemo) {
      const key = shapeKey(pod);
      let m = this.memo.get(key);
      if (!m) {
        // Online, shapes seen once would pile up between refreshes of the typical set.
        if (this.memo.size >= MAX_MEMO) this.memo.clear();
        m = { score: new Float64Array(64), at: new Uint32Array(64) };
        this.memo.set(key, m);
      }
      this.lastPod = pod;
      this.lastMemo = m;
    }
    const m = this.lastMemo;
    if (i >= m.at.length) {
      const size = Math.max(i + 1, m.at.length * 2);
      const score = new Float64Array(size);
      score.set(m.score);
      const at = new Uint32Array(size);
      at.set(m.at);
      m.score = score;
      m.at = at;
    }
    return m;
  }

  private compute(
    view: DeviceView,
    i: number,
    cpuFree: number,
    pod: PodShape,
    stamps?: ArrayLike<number>,
  ): number {
    const c = Math.min(view.count[i]!, MAX);
    if (c === 0) return 0;
    const cap = view.capacity ? view.capacity[i]! : MILLI;
    const model = view.model[i]!;
    const before = this.before(view, i, c, cap, cpuFree, model, stamps);
    const a = this.after;
    const base = i * view.stride;
    for (let g = 0; g < c; g++) a[g] = view.free[base + g]!;
    if (pod.gpus > 0 && pod.share > 0) {
      let best = -1;
      for (let g = 0; g < c; g++) if (a[g]! + 1e-9 >= pod.share && (best < 0 || a[g]! < a[best]!)) best = g;
      if (best >= 0) a[best] = a[best]! - pod.share;
    } else {
      for (let g = 0, need = pod.gpus; g < c && need > 0; g++) {
        if (a[g]! + 1e-9 >= cap) {
          a[g] = 0;
          need--;
        }
      }
    }
    sortSmall(a, c);
    const after = this.measure(a, c, cap, cpuFree - pod.cpu, model);
    return before - after;
  }

  /** Node i's fragmentation now, in milli-GPU. */
  nodeFragmentation(view: DeviceView, i: number, cpuFree: number): number {
    this.sync();
    const c = Math.min(view.count[i]!, MAX);
    if (c === 0) return 0;
    return this.before(view, i, c, view.capacity ? view.capacity[i]! : MILLI, cpuFree, view.model[i]!);
  }

  private before(
    view: DeviceView,
    i: number,
    c: number,
    cap: number,
    cpuFree: number,
    model: number,
    stamps?: ArrayLike<number>,
  ): number {
    const stamp = stamps ? stamps[i]! + 1 : 0;
    if (stamp !== 0 && i < this.cachedAt.length && this.cachedAt[i] === stamp) return this.cache[i]!;
    const l = this.lefts;
    const base = i * view.stride;
    for (let g = 0; g < c; g++) l[g] = view.free[base + g]!;
    sortSmall(l, c);
    const frag = this.measure(l, c, cap, cpuFree, model);
    if (stamp !== 0) {
      if (i >= this.cachedAt.length) this.growCache(i + 1);
      this.cache[i] = frag;
      this.cachedAt[i] = stamp;
    }
    return frag;
  }

  /** Fragmentation of devices `l[0..c)` (ascending, in device units) with `cpu` free, in milli-GPU. */
  private measure(l: Float64Array, c: number, cap: number, cpu: number, model: number): number {
    let total = 0;
    for (let g = 0; g < c; g++) total += Math.max(l[g]!, 0);
    if (total <= 0) return 0;
    let frag = this.pCpu * total;
    let ptr = 0;
    let below = 0;
    for (const t of this.gpuShapes) {
      const need = t.share > 0 ? t.share : cap;
      if (need > cap || (t.models !== 0 && (t.models & model) === 0)) {
        frag += t.p * total;
        continue;
      }
      while (ptr < c && l[ptr]! + 1e-9 < need) below += Math.max(l[ptr++]!, 0);
      frag += t.p * (c - ptr >= t.gpus && cpu >= t.cpu ? below : total);
    }
    return (frag * MILLI) / cap;
  }

  private sync(): void {
    const typical = this.shapes.typical();
    if (this.version === this.shapes.version) return;
    this.version = this.shapes.version;
    this.gpuShapes = typical
      .filter((t) => t.gpus > 0)
      .sort((a, b) => (a.share || Infinity) - (b.share || Infinity));
    this.pCpu = typical.filter((t) => t.gpus === 0).reduce((s, t) => s + t.p, 0);
    this.cachedAt.fill(0);
    this.memo.clear();
    this.lastMemo = undefined;
  }

  private growCache(n: number): void {
    const size = Math.max(n, this.cachedAt.length * 2, 64);
    const cache = new Float64Array(size);
    cache.set(this.cache);
    const at = new Uint32Array(size);
    at.set(this.cachedAt);
    this.cache = cache;
    this.cachedAt = at;
  }
}

/** Sorts the first n values ascending in place; insertion sort, as n is a node's GPU count. */
export function sortSmall(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
