import { ModelDemand, type PodMix } from '../scoring/classes';
import { type DeviceView, type PodShape, ShapeCounts } from '../scoring/fragment';
import type { Rng } from './rng';
import { type Cluster, GPU_SPEC, MAX_GPUS, MILLI, type TracePod, WHOLE_GPU } from './trace';

/**
 * Dimensions the scorers see: cpu (milli), memory (MiB), GPU (total free milli-GPU), `gpu-whole`, the
 * milli-GPU on fully free devices, and `gpu-spec`, the free milli-GPU weighted by how much of its GPU model
 * model-constrained pods want (see ModelDemand). `gpu-whole` separates GPU fragments from whole GPUs, so a
 * score can tell a node with 2 idle GPUs from one with 4 half-used ones; `gpu-spec` lets a score keep pods
 * off GPU models others can use exclusively. The FGD reference policies give both weight 0.
 */
export const SIM_DIMS = ['cpu', 'memory', 'nvidia.com/gpu', WHOLE_GPU, GPU_SPEC] as const;
const D = SIM_DIMS.length;

/**
 * Per-node free resources in typed arrays, updated in place on each placement. GPUs are modelled per
 * device in milli-GPU, as the FGD artefact does, so sharing pods fragment individual GPUs.
 */
export class SimState {
  readonly n: number;
  readonly alloc: Float64Array;
  readonly free: Float64Array;
  readonly gpuLeft: Int16Array; // node i, GPU g at i*MAX_GPUS + g
  readonly gpuCount: Uint8Array;
  readonly fullGpus: Uint8Array; // GPUs with all 1000 milli free
  readonly maxPartial: Int16Array; // largest free milli on any GPU of the node
  readonly modelBit: Int32Array;
  readonly ref: Float64Array;
  readonly capacity = { cpu: 0, mem: 0, gpuMilli: 0 };
  /** Stride of alloc/free. */
  readonly dims = D;
  /** Bumped whenever node i changes, so scorers can cache per-node values. */
  readonly changes: Uint32Array;
  /** Model-constrained GPU demand of the pods that arrived so far, against each model's capacity. */
  readonly demand: ModelDemand;
  /** The GPU pods that arrived so far. */
  readonly mix: PodMix = { gpuPods: 0, sharing: 0, constrained: 0, multi: 0 };
  /** The shapes of the pods that arrived so far: the fragmentation term's typical pods. */
  readonly shapes = new ShapeCounts();
  /** The devices as the fragmentation term reads them. */
  readonly devices: DeviceView;
  private readonly modelIndex: Int8Array;

  constructor(cluster: Cluster) {
    const nodes = cluster.nodes;
    this.n = nodes.length;
    this.alloc = new Float64Array(this.n * D);
    this.gpuLeft = new Int16Array(this.n * MAX_GPUS);
    this.gpuCount = new Uint8Array(this.n);
    this.fullGpus = new Uint8Array(this.n);
    this.maxPartial = new Int16Array(this.n);
    this.modelBit = new Int32Array(this.n);
    this.ref = new Float64Array(D);
    this.changes = new Uint32Array(this.n);
    this.modelIndex = new Int8Array(this.n);
    this.demand = new ModelDemand(cluster.models.length);
    for (const [i, node] of nodes.entries()) {
      this.alloc.set([node.cpu, node.mem, node.gpus * MILLI, node.gpus * MILLI, node.gpus * MILLI], i * D);
      this.modelIndex[i] = node.model;
      if (node.model >= 0) this.demand.addCapacity(node.model, node.gpus * MILLI);
      this.gpuCount[i] = node.gpus;
      this.modelBit[i] = node.model < 0 ? 0 : 1 << node.model;
      this.capacity.cpu += node.cpu;
      this.capacity.mem += node.mem;
      this.capacity.gpuMilli += node.gpus * MILLI;
      for (let d = 0; d < D; d++) this.ref[d] = Math.max(this.ref[d]!, this.alloc[i * D + d]!);
    }
    this.free = new Float64Array(this.alloc);
    this.devices = { stride: MAX_GPUS, count: this.gpuCount, free: this.gpuLeft, model: this.modelBit };
    this.reset();
  }

  reset(): void {
    this.free.set(this.alloc);
    this.demand.clear();
    this.shapes.clear();
    this.mix.gpuPods = this.mix.sharing = this.mix.constrained = this.mix.multi = 0;
    for (let i = 0; i < this.n; i++) {
      this.free[i * D + 4] = 0;
      this.changes[i]!++;
      const c = this.gpuCount[i]!;
      this.fullGpus[i] = c;
      this.maxPartial[i] = c > 0 ? MILLI : 0;
      for (let g = 0; g < MAX_GPUS; g++) this.gpuLeft[i * MAX_GPUS + g] = g < c ? MILLI : 0;
    }
  }

  /** Counts an arriving pod's GPU-model constraint in the demand, and refreshes `gpu-spec` where it changed. */
  arrive(p: TracePod): void {
    this.shapes.add(fragmentShape(p));
    if (p.gpus === 0) return;
    this.mix.gpuPods++;
    if (p.gpus === 1 && p.gpuMilli < MILLI) this.mix.sharing++;
    if (p.models !== 0) this.mix.constrained++;
    if (p.gpus > 1) this.mix.multi++;
    if (p.models === 0) return;
    if (!this.demand.add(p.models, p.gpus * p.gpuMilli)) return;
    for (let i = 0; i < this.n; i++) {
      const m = this.modelIndex[i]!;
      if (m >= 0 && (p.models & (1 << m)) !== 0) this.refreshSpec(i);
    }
  }

  /** NodeResourcesFit on cpu and memory, plus the GPU model constraint and per-device GPU fit. */
  fits(p: TracePod, i: number): boolean {
    const off = i * D;
    if (p.cpu > this.free[off]! || p.mem > this.free[off + 1]!) return false;
    if (p.gpus === 0) return true;
    if (p.models !== 0 && (p.models & this.modelBit[i]!) === 0) return false;
    if (p.gpuMilli < MILLI) return this.maxPartial[i]! >= p.gpuMilli;
    return this.fullGpus[i]! >= p.gpus;
  }

  /**
   * Places the pod; a sharing pod goes to GPU `gpu` if given, else to a random fitting one with `rng`, else to
   * the best-fit one (fewest milli left). Returns the sharing pod's GPU (-1 for other pods).
   */
  place(p: TracePod, i: number, rng?: Rng, gpu = -1): number {
    const off = i * D;
    this.changes[i]!++;
    this.free[off] = this.free[off]! - p.cpu;
    this.free[off + 1] = this.free[off + 1]! - p.mem;
    if (p.gpus === 0) return -1;
    this.free[off + 2] = this.free[off + 2]! - p.gpus * p.gpuMilli;
    const base = i * MAX_GPUS;
    const c = this.gpuCount[i]!;
    if (p.gpuMilli < MILLI) {
      const g =
        gpu >= 0
          ? gpu
          : rng
            ? this.randomGpu(base, c, p.gpuMilli, rng)
            : this.bestFitGpu(base, c, p.gpuMilli);
      this.gpuLeft[base + g] = this.gpuLeft[base + g]! - p.gpuMilli;
      this.refreshGpus(i);
      return g;
    }
    let need = p.gpus;
    for (let g = 0; g < c && need > 0; g++) {
      if (this.gpuLeft[base + g] === MILLI) {
        this.gpuLeft[base + g] = 0;
        need--;
      }
    }
    this.refreshGpus(i);
    return -1;
  }

  private bestFitGpu(base: number, c: number, milli: number): number {
    let best = -1;
    for (let g = 0; g < c; g++) {
      const left = this.gpuLeft[base + g]!;
      if (left >= milli && (best < 0 || left < this.gpuLeft[base + best]!)) best = g;
    }
    return best;
  }

  private randomGpu(base: number, c: number, milli: number, rng: Rng): number {
    let pick = -1;
    let seen = 0;
    for (let g = 0; g < c; g++) {
      if (this.gpuLeft[base + g]! >= milli && rng.int(++seen) === 0) pick = g;
    }
    return pick;
  }

  private refreshGpus(i: number): void {
    const base = i * MAX_GPUS;
    let full = 0;
    let max = 0;
    for (let g = 0; g < this.gpuCount[i]!; g++) {
      const left = this.gpuLeft[base + g]!;
      if (left === MILLI) full++;
      if (left > max) max = left;
    }
    this.fullGpus[i] = full;
    this.maxPartial[i] = max;
    this.free[i * D + 3] = full * MILLI;
    this.refreshSpec(i);
  }

  private refreshSpec(i: number): void {
    const m = this.modelIndex[i]!;
    this.free[i * D + 4] = m < 0 ? 0 : this.free[i * D + 2]! * this.demand.pressure(m);
  }
}

/** The pod's shape for the fragmentation term: a share in milli of one device (devices are 1000 milli here). */
export function fragmentShape(p: TracePod): PodShape {
  const share = p.gpus === 1 && p.gpuMilli < MILLI ? p.gpuMilli : 0;
  return { cpu: p.cpu, gpus: p.gpus, share, models: p.gpus > 0 ? p.models : 0 };
}
