import { nodeAllocatable, podRequests } from '../../apis/resources';
import { GPU_SPEC, MILLI, type PodMix, WHOLE_GPU } from '../scoring/classes';
import { type PodShape, ShapeCounts } from '../scoring/fragment';
import type { Node, Pod } from '../types';
import { annotatedDevices, type GpuSettings, MAX_DEVICES, nodeGpus, type PodGpus, podGpus } from './gpus';

/** A read-only view of the cluster for scoring: node i's dimension d is at alloc[i*dims + d]. */
export interface Snapshot {
  dims: number;
  /** Node name -> index into the flat arrays. */
  index: ReadonlyMap<string, number>;
  alloc: Float64Array;
  /** Allocatable minus the requests of bound and assumed pods (may go negative when over-committed). */
  free: Float64Array;
  /** Cluster-wide largest allocatable per dimension (normalisation reference). */
  ref: Float64Array;
  /** Node i's GPUs: devCount[i] devices of devCapacity[i] each, device g's free share at devFree[i*MAX_DEVICES+g]. */
  devCount: Uint8Array;
  devCapacity: Float64Array;
  devFree: Float64Array;
  /** Whether node i advertises GPU shares (the share resource). */
  devShared: Uint8Array;
  /** Node i's GPU model as a bitmask (ClusterState.modelMask), 0 when it has none. */
  devModel: Int32Array;
  /** Bumped whenever node i changes, so scores can cache per node (absent: nothing is cached). */
  changes?: Uint32Array;
}

/**
 * The extender's node/pod cache. It is fed by informers (nodes, and every pod: bound pods take resources,
 * pending ones count towards the demand for GPU models) and by the extender's own placements (assume),
 * which the pod watch later confirms.
 */
export interface ClusterState {
  upsertNode(node: Node): void;
  removeNode(name: string): void;
  upsertPod(pod: Pod): void;
  removePod(pod: Pod): void;
  /** The pod's GPUs, counting it towards the mix and the GPU-model demand before its watch event arrives. */
  observe(pod: Pod): PodGpus;
  /** The GPU pods that have arrived (bound or pending). */
  mix(): PodMix;
  /** The shapes of every pod that has arrived (bound or pending): the fragmentation term's typical pods. */
  shapes(): ShapeCounts;
  /** The pod's shape for the fragmentation term. */
  shapeOf(pod: Pod, gpus: PodGpus): PodShape;
  /** GPU models as a bitmask, the same bits as Snapshot.devModel; 0 for undefined (any model). */
  modelMask(models: readonly string[] | undefined): number;
  /** Counts the pod's placement on `nodeName` before the watch shows it, on `devices` if given. */
  assume(pod: Pod, nodeName: string, devices?: readonly number[]): void;
  forget(pod: Pod): void;
  /** The devices a GPU pod would get on the node (best-fit GPU for a share, the first idle ones for whole GPUs). */
  chooseDevices(pod: Pod, nodeName: string): number[] | undefined;
  snapshot(): Snapshot;
}

export interface StateOptions {
  /** The scored dimensions; `gpu.resource`, `gpu-whole` and `gpu-spec` are computed from the GPU devices. */
  dims: readonly string[];
  gpu?: GpuSettings;
  assumeTtlMs?: number;
  now?: () => number;
}

interface Placement {
  node: string;
  /** Requests in the plain dimensions (0 in the GPU ones). */
  req: Float64Array;
  gpus: PodGpus;
  /** Devices recorded on the pod or chosen at bind; resolved against the node when it is known. */
  hint: readonly number[] | undefined;
  devices: number[];
  /** Epoch ms after which an unconfirmed assumption is dropped; Infinity for bound pods. */
  expires: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
const NO_GPUS: PodGpus = { whole: 0, share: 0, models: undefined };
const EPSILON = 1e-9;
/** Bits for GPU models; models beyond the last share it. A pod whose models no node has gets NO_MODEL. */
const MODEL_BITS = 30;
const NO_MODEL = 1 << MODEL_BITS;

export function podKey(pod: Pod): string {
  const m = pod.metadata ?? {};
  return m.uid || `${m.namespace ?? 'default'}/${m.name ?? ''}`;
}

export function isTerminal(pod: Pod): boolean {
  return TERMINAL.has(pod.status?.phase ?? '');
}

/** In-memory ClusterState with incrementally maintained flat arrays, so snapshot() is O(1) between changes. */
export class MemoryClusterState implements ClusterState {
  private readonly D: number;
  private readonly gpu: GpuSettings | undefined;
  /** Dimension indices of the GPU-derived columns (-1 when not scored). */
  private readonly gpuDim: number;
  private readonly wholeDim: number;
  private readonly specDim: number;
  /** The plain dimensions: read from pod requests and node allocatable. */
  private readonly plain: number[];
  private readonly plainNames: string[];
  private readonly assumeTtlMs: number;
  private readonly now: () => number;

  private readonly index = new Map<string, number>();
  private names: string[] = [];
  private models: string[] = [];
  private alloc: Float64Array;
  private free: Float64Array;
  private devCount: Uint8Array;
  private devCapacity: Float64Array;
  private devFree: Float64Array;
  private devShared: Uint8Array;
  private devModel: Int32Array;
  private changes: Uint32Array;
  private readonly modelBits = new Map<string, number>();
  private readonly ref: Float64Array;
  private readonly placements = new Map<string, Placement>();
  /** GPU pods that have arrived (bound or pending), by key: the mix, and the demand for GPU models. */
  private readonly gpuPods = new Map<string, PodGpus>();
  private readonly podMix: PodMix = { gpuPods: 0, sharing: 0, constrained: 0, multi: 0 };
  /** Every arrived pod's shape, by key, and their counts. */
  private readonly podShapes = new Map<string, PodShape>();
  private readonly shapeCounts = new ShapeCounts();
  private pressure = new Map<string, number>();
  private pressureStale = false;
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(options: StateOptions) {
    this.D = options.dims.length;
    this.gpu = options.gpu;
    const at = (name: string | undefined) => (this.gpu && name ? options.dims.indexOf(name) : -1);
    this.gpuDim = at(this.gpu?.resource);
    this.wholeDim = at(WHOLE_GPU);
    this.specDim = at(GPU_SPEC);
    this.plain = options.dims
      .map((_, d) => d)
      .filter((d) => d !== this.gpuDim && d !== this.wholeDim && d !== this.specDim);
    this.plainNames = this.plain.map((d) => options.dims[d]!);
    this.assumeTtlMs = options.assumeTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.alloc = new Float64Array(64 * this.D);
    this.free = new Float64Array(64 * this.D);
    this.devCount = new Uint8Array(64);
    this.devCapacity = new Float64Array(64);
    this.devFree = new Float64Array(64 * MAX_DEVICES);
    this.devShared = new Uint8Array(64);
    this.devModel = new Int32Array(64);
    this.changes = new Uint32Array(64);
    this.ref = new Float64Array(this.D);
  }

  upsertNode(node: Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    const plainAlloc = nodeAllocatable(node, this.plainNames);
    const gpus = this.gpu ? nodeGpus(node, this.gpu) : undefined;
    let i = this.index.get(name);
    const isNew = i === undefined;
    if (i === undefined) i = this.addNode(name);
    const off = i * this.D;
    let changed = isNew;
    for (const [k, d] of this.plain.entries()) {
      const delta = plainAlloc[k]! - this.alloc[off + d]!;
      if (delta === 0) continue;
      this.alloc[off + d] = plainAlloc[k]!;
      this.free[off + d]! += delta;
      changed = true;
    }
    const gpuChanged =
      gpus !== undefined &&
      (isNew ||
        gpus.count !== this.devCount[i] ||
        gpus.capacity !== this.devCapacity[i] ||
        gpus.shares !== (this.devShared[i] === 1) ||
        gpus.model !== this.models[i]);
    if (gpus && gpuChanged) {
      this.pressureStale = true;
      this.devCount[i] = gpus.count;
      this.devCapacity[i] = gpus.capacity;
      this.devShared[i] = gpus.shares ? 1 : 0;
      this.models[i] = gpus.model;
      this.devModel[i] = gpus.model ? this.modelMask([gpus.model]) : 0;
      for (const d of [this.gpuDim, this.wholeDim, this.specDim]) {
        if (d >= 0) this.alloc[off + d] = gpus.count * MILLI;
      }
    }
    // Kubelets rewrite node status often; only a new node or new devices need the pods recounted.
    if (isNew || gpuChanged) this.recount(i);
    if (changed || gpuChanged) this.changes[i]!++;
    if (changed || gpuChanged) this.recomputeRef();
  }

  removeNode(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    // Swap the last node into the hole to keep the arrays dense.
    const last = this.names.length - 1;
    const lastName = this.names[last]!;
    const D = this.D;
    this.alloc.copyWithin(i * D, last * D, last * D + D);
    this.free.copyWithin(i * D, last * D, last * D + D);
    this.devFree.copyWithin(i * MAX_DEVICES, last * MAX_DEVICES, (last + 1) * MAX_DEVICES);
    this.devCount[i] = this.devCount[last]!;
    this.devCapacity[i] = this.devCapacity[last]!;
    this.devShared[i] = this.devShared[last]!;
    this.devModel[i] = this.devModel[last]!;
    this.models[i] = this.models[last]!;
    this.alloc.fill(0, last * D, last * D + D);
    this.free.fill(0, last * D, last * D + D);
    this.devFree.fill(0, last * MAX_DEVICES, (last + 1) * MAX_DEVICES);
    this.devCount[last] = 0;
    this.devModel[last] = 0;
    this.changes[i]!++;
    this.names[i] = lastName;
    this.index.set(lastName, i);
    this.names.pop();
    this.models.pop();
    this.index.delete(name);
    this.pressureStale = true;
    this.recomputeRef();
  }

  upsertPod(pod: Pod): void {
    if (isTerminal(pod) || pod.metadata?.deletionTimestamp) {
      this.removePod(pod);
      return;
    }
    const key = podKey(pod);
    const gpus = this.gpu ? podGpus(pod, this.gpu) : NO_GPUS;
    this.observeDemand(key, gpus);
    this.observeShape(key, this.shapeOf(pod, gpus));
    const node = pod.spec?.nodeName;
    if (!node) return;
    const hint = this.gpu ? annotatedDevices(pod, this.gpu) : undefined;
    this.place(key, { node, req: this.plainRequests(pod), gpus, hint, devices: [], expires: Infinity });
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    this.unplace(key);
    this.observeDemand(key, NO_GPUS);
    this.observeShape(key, undefined);
  }

  /** Counts a pod the scheduler asks about towards the GPU-model demand, before its watch event arrives. */
  observe(pod: Pod): PodGpus {
    const gpus = this.gpu ? podGpus(pod, this.gpu) : NO_GPUS;
    this.observeDemand(podKey(pod), gpus);
    this.observeShape(podKey(pod), this.shapeOf(pod, gpus));
    return gpus;
  }

  shapes(): ShapeCounts {
    return this.shapeCounts;
  }

  shapeOf(pod: Pod, gpus: PodGpus): PodShape {
    const [cpu = 0] = podRequests(pod, ['cpu']);
    const devices = gpus.share > 0 ? 1 : gpus.whole;
    return { cpu, gpus: devices, share: gpus.share, models: devices > 0 ? this.modelMask(gpus.models) : 0 };
  }

  modelMask(models: readonly string[] | undefined): number {
    if (!models) return 0;
    let mask = 0;
    for (const m of models) {
      let bit = this.modelBits.get(m);
      if (bit === undefined) {
        bit = 1 << Math.min(this.modelBits.size, MODEL_BITS - 1);
        this.modelBits.set(m, bit);
      }
      mask |= bit;
    }
    return mask === 0 ? NO_MODEL : mask;
  }

  private observeShape(key: string, shape: PodShape | undefined): void {
    const had = this.podShapes.get(key);
    if (had && shape && sameShape(had, shape)) return;
    if (had) this.shapeCounts.add(had, -1);
    if (shape) {
      this.podShapes.set(key, shape);
      this.shapeCounts.add(shape, 1);
    } else this.podShapes.delete(key);
  }

  assume(pod: Pod, nodeName: string, devices?: readonly number[]): void {
    const key = podKey(pod);
    const existing = this.placements.get(key);
    // A bound pod is authoritative; an assumption never overrides it.
    if (existing && existing.expires === Infinity) return;
    const gpus = this.gpu ? podGpus(pod, this.gpu) : NO_GPUS;
    this.place(key, {
      node: nodeName,
      req: this.plainRequests(pod),
      gpus,
      hint: devices,
      devices: [],
      expires: this.now() + this.assumeTtlMs,
    });
  }

  forget(pod: Pod): void {
    const existing = this.placements.get(podKey(pod));
    if (existing && existing.expires !== Infinity) this.unplace(podKey(pod));
  }

  chooseDevices(pod: Pod, nodeName: string): number[] | undefined {
    const i = this.index.get(nodeName);
    if (!this.gpu || i === undefined) return undefined;
    const gpus = podGpus(pod, this.gpu);
    if (gpus.whole === 0 && gpus.share === 0) return undefined;
    return this.resolve(i, gpus, undefined);
  }

  snapshot(): Snapshot {
    this.expireAssumed();
    if (this.pressureStale) this.refreshPressure();
    const n = this.names.length;
    return {
      dims: this.D,
      index: this.index,
      alloc: this.alloc.subarray(0, n * this.D),
      free: this.free.subarray(0, n * this.D),
      ref: this.ref,
      devCount: this.devCount.subarray(0, n),
      devCapacity: this.devCapacity.subarray(0, n),
      devFree: this.devFree.subarray(0, n * MAX_DEVICES),
      devShared: this.devShared.subarray(0, n),
      devModel: this.devModel.subarray(0, n),
      changes: this.changes.subarray(0, n),
    };
  }

  /** Sum of requests counted on a node (bound plus assumed) in the plain dimensions; zeros when unknown. */
  used(name: string): Float64Array {
    const out = new Float64Array(this.D);
    for (const p of this.placements.values()) {
      if (p.node !== name) continue;
      for (const d of this.plain) out[d]! += p.req[d]!;
    }
    return out;
  }

  /** Where the cache counts a pod, on which devices, and whether only as an assumption. */
  placementOf(pod: Pod): { node: string; assumed: boolean; devices: number[] } | undefined {
    const p = this.placements.get(podKey(pod));
    return p && { node: p.node, assumed: p.expires !== Infinity, devices: [...p.devices] };
  }

  /** How much of GPU model `model`'s capacity model-constrained pods want, 0..1. */
  modelPressure(model: string): number {
    if (this.pressureStale) this.refreshPressure();
    return this.pressure.get(model) ?? 0;
  }

  get nodeCount(): number {
    return this.names.length;
  }

  get podCount(): number {
    return this.placements.size;
  }

  private plainRequests(pod: Pod): Float64Array {
    const req = new Float64Array(this.D);
    const values = podRequests(pod, this.plainNames);
    for (const [k, d] of this.plain.entries()) req[d] = values[k]!;
    return req;
  }

  private observeDemand(key: string, gpus: PodGpus): void {
    const had = this.gpuPods.get(key);
    const has = gpus.whole > 0 || gpus.share > 0;
    if (had && has && samePodGpus(had, gpus)) return;
    if (had) this.count(had, -1);
    if (has) {
      this.gpuPods.set(key, gpus);
      this.count(gpus, +1);
    } else {
      this.gpuPods.delete(key);
    }
    if (had?.models || gpus.models) this.pressureStale = true;
  }

  private count(gpus: PodGpus, sign: number): void {
    this.podMix.gpuPods += sign;
    if (gpus.share > 0) this.podMix.sharing += sign;
    if (gpus.models) this.podMix.constrained += sign;
    if (gpus.whole > 1) this.podMix.multi += sign;
  }

  /** The GPU pods that have arrived (bound or pending): the mix the packing weights derive from. */
  mix(): PodMix {
    return this.podMix;
  }

  /**
   * Demand per GPU model: each constrained pod's milli-GPU, split evenly over the models it accepts that
   * some node has; pressure = min(1, demand / the model's milli-GPU). The `gpu-spec` column is the node's
   * free milli-GPU times its model's pressure.
   */
  private refreshPressure(): void {
    this.pressureStale = false;
    const capacity = new Map<string, number>();
    const deviceSize = new Map<string, number>();
    for (let i = 0; i < this.names.length; i++) {
      const m = this.models[i];
      if (!m || this.devCount[i] === 0) continue;
      capacity.set(m, (capacity.get(m) ?? 0) + this.devCount[i]! * MILLI);
      deviceSize.set(m, Math.max(deviceSize.get(m) ?? 0, this.devCapacity[i]!));
    }
    const demand = new Map<string, number>();
    for (const gpus of this.gpuPods.values()) {
      if (!gpus.models) continue;
      const accepted = gpus.models.filter((m) => capacity.has(m));
      for (const m of accepted) {
        const milli = gpus.whole * MILLI + (gpus.share * MILLI) / deviceSize.get(m)!;
        demand.set(m, (demand.get(m) ?? 0) + milli / accepted.length);
      }
    }
    this.pressure = new Map();
    for (const [m, cap] of capacity) this.pressure.set(m, Math.min(1, (demand.get(m) ?? 0) / cap));
    if (this.specDim >= 0) for (let i = 0; i < this.names.length; i++) this.refreshSpec(i);
  }

  private refreshSpec(i: number): void {
    if (this.specDim < 0 || this.gpuDim < 0) return;
    const off = i * this.D;
    this.free[off + this.specDim] = this.free[off + this.gpuDim]! * (this.pressure.get(this.models[i]!) ?? 0);
  }

  private expireAssumed(): void {
    const now = this.now();
    if (now < this.nextExpiry) return;
    this.nextExpiry = Infinity;
    for (const [key, p] of this.placements) {
      if (p.expires <= now) this.unplace(key);
      else if (p.expires < this.nextExpiry) this.nextExpiry = p.expires;
    }
  }

  private place(key: string, placement: Placement): void {
    this.unplace(key);
    this.placements.set(key, placement);
    if (placement.expires < this.nextExpiry) this.nextExpiry = placement.expires;
    const i = this.index.get(placement.node);
    if (i !== undefined) this.apply(i, placement, -1);
  }

  private unplace(key: string): void {
    const old = this.placements.get(key);
    if (!old) return;
    this.placements.delete(key);
    const i = this.index.get(old.node);
    if (i !== undefined) this.apply(i, old, +1);
  }

  /** Takes (sign -1) or returns (+1) a placement's resources on node i, resolving its devices when taking. */
  private apply(i: number, p: Placement, sign: number): void {
    const off = i * this.D;
    this.changes[i]!++;
    for (const d of this.plain) this.free[off + d]! += sign * p.req[d]!;
    if (p.gpus.whole === 0 && p.gpus.share === 0) return;
    if (sign < 0) p.devices = this.resolve(i, p.gpus, p.hint);
    const each = p.gpus.share > 0 ? p.gpus.share : this.devCapacity[i]!;
    for (const g of p.devices) this.devFree[i * MAX_DEVICES + g]! += sign * each;
    this.refreshGpuColumns(i);
  }

  /**
   * Devices for a pod on node i: the hint when it fits the node's device count, else the best-fit device
   * for a share (fewest free that fits; the freest if none fits) or the first idle devices for whole GPUs.
   */
  private resolve(i: number, gpus: PodGpus, hint: readonly number[] | undefined): number[] {
    const count = this.devCount[i]!;
    const want = gpus.share > 0 ? 1 : Math.min(gpus.whole, count);
    if (hint && hint.length === want && hint.every((g) => g < count)) return [...hint];
    const base = i * MAX_DEVICES;
    const free = this.devFree;
    if (gpus.share > 0) {
      let best = -1;
      let freest = -1;
      for (let g = 0; g < count; g++) {
        const f = free[base + g]!;
        if (f + EPSILON >= gpus.share && (best < 0 || f < free[base + best]!)) best = g;
        if (freest < 0 || f > free[base + freest]!) freest = g;
      }
      return best >= 0 ? [best] : freest >= 0 ? [freest] : [];
    }
    const cap = this.devCapacity[i]!;
    const chosen: number[] = [];
    for (let g = 0; g < count && chosen.length < want; g++)
      if (free[base + g]! + EPSILON >= cap) chosen.push(g);
    for (let g = 0; g < count && chosen.length < want; g++) if (!chosen.includes(g)) chosen.push(g);
    return chosen;
  }

  private refreshGpuColumns(i: number): void {
    const off = i * this.D;
    const base = i * MAX_DEVICES;
    const cap = this.devCapacity[i]!;
    let total = 0;
    let idle = 0;
    for (let g = 0; g < this.devCount[i]!; g++) {
      const f = this.devFree[base + g]!;
      total += (f * MILLI) / cap;
      if (f + EPSILON >= cap) idle++;
    }
    if (this.gpuDim >= 0) this.free[off + this.gpuDim] = total;
    if (this.wholeDim >= 0) this.free[off + this.wholeDim] = idle * MILLI;
    if (!this.pressureStale) this.refreshSpec(i);
  }

  /** Recounts node i from scratch: allocatable, every device idle, then each placement on it. */
  private recount(i: number): void {
    const off = i * this.D;
    this.changes[i]!++;
    const name = this.names[i]!;
    for (const d of this.plain) this.free[off + d] = this.alloc[off + d]!;
    const base = i * MAX_DEVICES;
    for (let g = 0; g < MAX_DEVICES; g++)
      this.devFree[base + g] = g < this.devCount[i]! ? this.devCapacity[i]! : 0;
    this.refreshGpuColumns(i);
    for (const p of this.placements.values()) if (p.node === name) this.apply(i, p, -1);
  }

  private addNode(name: string): number {
    const i = this.names.length;
    if (i + 1 > this.devCount.length) {
      this.alloc = grow(this.alloc);
      this.free = grow(this.free);
      this.devFree = grow(this.devFree);
      this.devCapacity = grow(this.devCapacity);
      this.devCount = grow(this.devCount);
      this.devShared = grow(this.devShared);
      this.devModel = grow(this.devModel);
      this.changes = grow(this.changes);
    }
    this.names.push(name);
    this.models.push('');
    // The index may have held a removed node: scores cached for it are stale.
    this.changes[i]!++;
    this.index.set(name, i);
    return i;
  }

  private recomputeRef(): void {
    this.ref.fill(0);
    for (let i = 0; i < this.names.length; i++) {
      for (let d = 0; d < this.D; d++) this.ref[d] = Math.max(this.ref[d]!, this.alloc[i * this.D + d]!);
    }
  }
}

function samePodGpus(a: PodGpus, b: PodGpus): boolean {
  const x = a.models;
  const y = b.models;
  const sameModels = x === y || (!!x && !!y && x.length === y.length && x.every((v, k) => v === y[k]));
  return a.whole === b.whole && a.share === b.share && sameModels;
}

function sameShape(a: PodShape, b: PodShape): boolean {
  return a.cpu === b.cpu && a.gpus === b.gpus && a.share === b.share && a.models === b.models;
}

/** A copy of `a` of twice its length, of the same element type. */
function grow<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
