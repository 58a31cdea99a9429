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
  /** Each node's fragmentation while the node is unchanged (with stamps). */
  private readonly cache = new StampedValues();
  /** Drops per pod shape and node while the node is unchanged (with stamps): shapes repeat. */
  private memo = new Map<string, StampedValues>();
  private lastPod: PodShape | undefined;
  private lastMemo: StampedValues | undefined;
  /** Scarcity weighting of model-constrained typical shapes (setScarcity); k = 0 is FGD's weighting. */
  private scarcity: Scarcity = { k: 0, basis: 'free' };
  private scarcityView: DeviceView | undefined;

  constructor(readonly shapes: ShapeCounts) {}

  /**
   * Weighs each model-constrained typical shape by 1 / u^k, u = the share of the cluster's GPUs (`view`: all
   * nodes) on the models it accepts. Taken up when the typical set is next recomputed, so a k that follows
   * the mix does not drop the cached values on every pod.
   */
  setScarcity(scarcity: Scarcity, view: DeviceView): void {
    if (scarcity.basis !== this.scarcity.basis) this.version = -1;
    this.scarcity = scarcity;
    this.scarcityView = view;
  }

  /**
   * How much placing `pod` on node i lowers its fragmentation (before − after), in milli-GPU. `cpuFree` is the
   * node's free cpu (Infinity when cpu is not tracked). A share goes to the best-fit device (the fewest free
   * that fit, first on ties), whole GPUs to idle ones, as bind places them. With `stamps` (bumped whenever
   * node i changes) results are cached per node and pod shape.
   */
  drop(view: DeviceView, i: number, cpuFree: number, pod: PodShape, stamps?: ArrayLike<number>): number {
    this.sync();
    if (!stamps) return this.compute(view, i, cpuFree, pod);
    const memo = this.memoFor(pod);
    const stamp = stamps[i]! + 1;
    const known = memo.get(i, stamp);
    if (known !== undefined) return known;
    const drop = this.compute(view, i, cpuFree, pod, stamps);
    memo.set(i, stamp, drop);
    return drop;
  }

  private memoFor(pod: PodShape): StampedValues {
    if (pod !== this.lastPod || !this.lastMemo) {
      const key = shapeKey(pod);
      let memo = this.memo.get(key);
      if (!memo) {
        // Online, shapes seen once would pile up between refreshes of the typical set.
        if (this.memo.size >= MAX_MEMO) this.memo.clear();
        memo = new StampedValues();
        this.memo.set(key, memo);
      }
      this.lastPod = pod;
      this.lastMemo = memo;
    }
    return this.lastMemo;
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
    const known = stamp === 0 ? undefined : this.cache.get(i, stamp);
    if (known !== undefined) return known;
    const l = this.lefts;
    const base = i * view.stride;
    for (let g = 0; g < c; g++) l[g] = view.free[base + g]!;
    sortSmall(l, c);
    const frag = this.measure(l, c, cap, cpuFree, model);
    if (stamp !== 0) this.cache.set(i, stamp, frag);
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
    const { k, basis } = this.scarcity;
    const view = this.scarcityView;
    const constrained = typical.some((t) => t.gpus > 0 && t.models !== 0);
    const weighted = k > 0 && view && constrained ? scarcityWeighted(typical, view, k, basis) : typical;
    this.gpuShapes = weighted
      .filter((t) => t.gpus > 0)
      .sort((a, b) => (a.share || Infinity) - (b.share || Infinity));
    this.pCpu = weighted.filter((t) => t.gpus === 0).reduce((s, t) => s + t.p, 0);
    this.cache.clear();
    this.memo.clear();
    this.lastMemo = undefined;
  }
}

/** How model-constrained typical shapes are weighted: by 1 / u^k, u measured over free or all GPUs. */
export interface Scarcity {
  k: number;
  /**
   * `free`: u is the share of the idle GPU capacity (each device's free fraction) on the shape's models;
   * `all`: the share of all GPUs.
   */
  basis: 'free' | 'all';
}

/** The typical shapes, constrained ones weighted by 1 / u^k, renormalised to sum to 1. */
function scarcityWeighted(
  typical: readonly TypicalShape[],
  view: DeviceView,
  k: number,
  basis: Scarcity['basis'],
): TypicalShape[] {
  const byModel = new Map<number, number>();
  let all = 0;
  for (let i = 0; i < view.count.length; i++) {
    const c = view.count[i]!;
    let gpus = c;
    if (basis === 'free') {
      const cap = view.capacity ? view.capacity[i]! : MILLI;
      gpus = 0;
      for (let g = 0; g < c; g++) gpus += Math.max(view.free[i * view.stride + g]!, 0) / cap;
    }
    if (gpus <= 0) continue;
    byModel.set(view.model[i]!, (byModel.get(view.model[i]!) ?? 0) + gpus);
    all += gpus;
  }
  const out = typical.map((t) => {
    if (t.gpus === 0 || t.models === 0 || all === 0) return { ...t };
    let usable = 0;
    for (const [m, gpus] of byModel) if ((m & t.models) !== 0) usable += gpus;
    // A shape with no room left anywhere weighs as if it had 1 % of the cluster.
    return { ...t, p: t.p / Math.max(usable / all, 0.01) ** k };
  });
  const sum = out.reduce((total, t) => total + t.p, 0);
  for (const t of out) t.p /= sum;
  return out;
}

/** Values by node index, each valid while the node's stamp (never 0) is the one it was stored with. */
class StampedValues {
  private values = new Float64Array(0);
  private stamps = new Uint32Array(0);

  get(i: number, stamp: number): number | undefined {
    return i < this.stamps.length && this.stamps[i] === stamp ? this.values[i] : undefined;
  }

  set(i: number, stamp: number, value: number): void {
    if (i >= this.stamps.length) {
      const size = Math.max(i + 1, this.stamps.length * 2, 64);
      const values = new Float64Array(size);
      values.set(this.values);
      const stamps = new Uint32Array(size);
      stamps.set(this.stamps);
      this.values = values;
      this.stamps = stamps;
    }
    this.values[i] = value;
    this.stamps[i] = stamp;
  }

  clear(): void {
    this.stamps.fill(0);
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
