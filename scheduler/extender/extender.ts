import { nodeAllocatable, podRequests } from '../../apis/resources';
import type { ExtenderConfig } from '../config';
import { Fragmentation, type ScoreFn, type ScoreParams, scorer, toExtenderScore } from '../scoring';
import { GPU_SPEC, MILLI, WHOLE_GPU } from '../scoring/classes';
import type { DeviceView, PodShape } from '../scoring/fragment';
import { MAX_EXTENDER_PRIORITY } from '../scoring/types';
import type { Node, Pod } from '../types';
import { deviceAnnotations, type GpuSettings, gpuClass, MAX_DEVICES, nodeGpus, type PodGpus } from './gpus';
import type { ClusterState, Snapshot } from './state';
import { podKey } from './state';
import type { ExtenderArgs, ExtenderBindingArgs, ExtenderFilterResult, HostPriority } from './wire';

/** What bind needs from the apiserver; the runtime supplies it (the extender has no client of its own). */
export interface Binder {
  /** Merges annotations into the pod's metadata. */
  annotate(namespace: string, name: string, annotations: Record<string, string>): Promise<void>;
  /**
   * Creates the pod's Binding to `Node`. The apiserver merges the Binding's `annotations` into the pod's in
   * the same write that sets its node.
   */
  bind(args: ExtenderBindingArgs, annotations?: Record<string, string>): Promise<void>;
  /** Reads a pod that filter and prioritize did not show (e.g. after a restart). */
  getPod(namespace: string, name: string): Promise<Pod>;
}

// Module-local copies: imported bindings are property reads on every use, and these sit in per-node loops.
const DEVICES = MAX_DEVICES;
const UNIT = MILLI;

/** A node the cache does not know yet scores in the middle, so it neither wins nor loses by default. */
export const NEUTRAL_SCORE = MAX_EXTENDER_PRIORITY / 2;
const RECENT_PODS = 1024;

/** Filter, prioritize and bind over a ClusterState, independent of HTTP. */
export class Extender {
  private readonly dims: readonly string[];
  private readonly score: ScoreFn;
  private readonly weights: Float64Array;
  private readonly gpu: GpuSettings;
  private readonly annotateFirst: boolean;
  private readonly gpuDim: number;
  private readonly wholeDim: number;
  private readonly cpuDim: number;
  /** The fragmentation term's measure over the cache's observed pod shapes. */
  private readonly fragmentation: Fragmentation;
  /** Names of the dimensions read from pod requests directly (not computed from GPU devices). */
  private readonly plain: string[];
  private readonly plainIndex: Int32Array;
  // Pods seen in filter/prioritize, so bind (which carries only names) knows their requests.
  private readonly recent = new Map<string, Pod>();
  // Scratch arrays for Nodes-mode requests: kept while small, dropped after a large request.
  private scratch: Scratch = scratchFor(0, 0);

  constructor(
    config: ExtenderConfig,
    private readonly state: ClusterState,
    private readonly binder?: Binder,
  ) {
    this.dims = config.dimensions.map((d) => d.name);
    this.weights = Float64Array.from(config.dimensions.map((d) => d.weight));
    this.gpu = config.gpu;
    this.annotateFirst = config.deviceAnnotations === 'update';
    this.gpuDim = this.dims.indexOf(config.gpu.resource);
    this.wholeDim = this.dims.indexOf(WHOLE_GPU);
    this.cpuDim = this.dims.indexOf('cpu');
    this.fragmentation = new Fragmentation(state.shapes());
    const virtual = new Set([config.gpu.resource, WHOLE_GPU, GPU_SPEC]);
    this.plainIndex = Int32Array.from(this.dims.map((_, d) => d).filter((d) => !virtual.has(this.dims[d]!)));
    this.plain = Array.from(this.plainIndex, (d) => this.dims[d]!);
    const { scorer: name, ...angle } = config.policy;
    this.score = scorer(name, angle);
  }

  get canBind(): boolean {
    return this.binder !== undefined;
  }

  filter(args: ExtenderArgs): ExtenderFilterResult {
    const pod = this.podOf(args.Pod);
    const view = this.view(args);
    const failed: Record<string, string> = {};
    const unresolvable: Record<string, string> = {};
    const passed: number[] = [];
    for (let k = 0; k < view.names.length; k++) {
      // A node the cache does not know passes: the decision is the scheduler's.
      const code = view.at[k]! < 0 ? Misfit.Fits : this.misfitCode(pod, view, view.at[k]!);
      if (code === Misfit.Fits) passed.push(k);
      else if ((code & 0xff) < Misfit.OverFree) unresolvable[view.names[k]!] = this.message(code, pod);
      else failed[view.names[k]!] = this.message(code, pod);
    }
    const base = { FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
    if (args.NodeNames !== null)
      return { Nodes: null, NodeNames: passed.map((k) => view.names[k]!), ...base };
    const items = args.Nodes?.items ?? [];
    return { Nodes: { metadata: {}, items: passed.map((k) => items[k]!) }, NodeNames: null, ...base };
  }

  prioritize(args: ExtenderArgs): HostPriority[] {
    const pod = this.podOf(args.Pod);
    const view = this.view(args);
    const params: ScoreParams = {
      dims: this.dims.length,
      weights: this.weights,
      ref: view.ref,
      podClass: gpuClass(pod.gpus),
      mix: this.state.mix(),
      pod: pod.shape,
      frag: {
        measure: this.fragmentation,
        view: {
          stride: DEVICES,
          count: view.devCount,
          capacity: view.devCapacity,
          free: view.devFree,
          model: view.devModel,
        },
        cpuDim: this.cpuDim,
        stamps: view.changes,
        cluster: args.NodeNames === null ? this.clusterDevices() : undefined,
      },
    };
    const out: HostPriority[] = new Array(view.names.length);
    for (let k = 0; k < view.names.length; k++) {
      const i = view.at[k]!;
      let score = NEUTRAL_SCORE;
      if (i >= 0) {
        const fits = this.misfitCode(pod, view, i) === Misfit.Fits;
        const raw = fits
          ? this.score(this.requestOn(pod, view, i), view.alloc, view.free, i * view.dims, params)
          : 0;
        score = toExtenderScore(raw);
      }
      out[k] = { Host: view.names[k]!, Score: score };
    }
    return out;
  }

  /** Every cached node's devices (Nodes mode scores over the request's nodes only). */
  private clusterDevices(): DeviceView {
    const snap = this.state.snapshot();
    return {
      stride: DEVICES,
      count: snap.devCount,
      capacity: snap.devCapacity,
      free: snap.devFree,
      model: snap.devModel,
    };
  }

  /**
   * Picks the GPU devices (for a GPU pod) and creates the Binding, which records them on the pod (or, with
   * `deviceAnnotations: update`, updates the pod with them first, in two writes as gpushare does). The
   * placement is counted before the writes, so concurrent binds never pick the same share; a failed write
   * returns it.
   * Returns the error text for ExtenderBindingResult ('' on success).
   */
  async bind(args: ExtenderBindingArgs): Promise<string> {
    if (!this.binder) return 'this extender does not bind';
    const known = this.recent.get(args.PodUID) ?? this.recent.get(`${args.PodNamespace}/${args.PodName}`);
    const pod = known ?? (await this.binder.getPod(args.PodNamespace, args.PodName));
    if (args.PodUID && pod.metadata?.uid && pod.metadata.uid !== args.PodUID)
      return `pod ${args.PodNamespace}/${args.PodName} has UID ${pod.metadata.uid}, not ${args.PodUID}`;
    const devices = this.state.chooseDevices(pod, args.Node);
    const gpus = this.state.observe(pod);
    if (!devices && (gpus.whole > 0 || gpus.share > 0))
      return `node ${args.Node} is not in the extender's cache yet: no GPU devices to assign`;
    this.state.assume(pod, args.Node, devices);
    try {
      let annotations: Record<string, string> | undefined;
      if (devices) {
        const snap = this.state.snapshot();
        const i = snap.index.get(args.Node)!;
        const now = process.hrtime.bigint();
        annotations = deviceAnnotations(gpus, devices, snap.devCapacity[i]!, this.gpu, now);
      }
      if (annotations && this.annotateFirst) {
        await this.binder.annotate(args.PodNamespace, args.PodName, annotations);
        await this.binder.bind(args);
      } else {
        await this.binder.bind(args, annotations);
      }
    } catch (err) {
      this.state.forget(pod);
      return `binding ${args.PodNamespace}/${args.PodName} to ${args.Node}: ${(err as Error).message}`;
    }
    return '';
  }

  /** The pod's plain requests and GPUs; remembered for bind and counted towards the GPU-model demand. */
  private podOf(pod: Pod): PodView {
    const plain = podRequests(pod, this.plain);
    const gpus = this.state.observe(pod);
    const key = podKey(pod);
    this.recent.delete(key);
    this.recent.set(key, pod);
    if (this.recent.size > RECENT_PODS) this.recent.delete(this.recent.keys().next().value!);
    const req = new Float64Array(this.dims.length);
    for (const [k, d] of this.plainIndex.entries()) req[d] = plain[k]!;
    return { req, gpus, shape: this.state.shapeOf(pod, gpus) };
  }

  /** The pod's request vector on node i: its GPU share in milli-GPU of that node's devices. */
  private requestOn(pod: PodView, view: View, i: number): Float64Array {
    const { gpus, req } = pod;
    if (this.gpuDim >= 0) {
      const capacity = view.devCapacity[i]! || UNIT;
      req[this.gpuDim] = gpus.whole * UNIT + (gpus.share * UNIT) / capacity;
    }
    if (this.wholeDim >= 0) req[this.wholeDim] = gpus.share > 0 ? 0 : gpus.whole * UNIT;
    return req;
  }

  /**
   * Why the pod does not fit known node i, as a code (FITS = it fits; the dimension in the high bits), so
   * prioritize can ask for every node without building messages. Unresolvable reasons (more than the node
   * has) are found before resolvable ones (more than it has free).
   */
  private misfitCode(pod: PodView, view: View, i: number): number {
    const off = i * view.dims;
    const { req, gpus } = pod;
    const plain = this.plainIndex;
    for (let k = 0; k < plain.length; k++) {
      const d = plain[k]!;
      if (req[d]! > view.alloc[off + d]!) return Misfit.OverAllocatable | (d << 8);
    }
    const gpu = gpus.whole === 0 && gpus.share === 0 ? Misfit.Fits : this.gpuMisfit(gpus, view, i);
    if (gpu !== Misfit.Fits && gpu < Misfit.OverFree) return gpu;
    for (let k = 0; k < plain.length; k++) {
      const d = plain[k]!;
      const r = req[d]!;
      if (r > 0 && r > view.free[off + d]!) return Misfit.OverFree | (d << 8);
    }
    return gpu;
  }

  /** Per-device fit: whole GPUs need that many idle devices, a share needs one device with room. */
  private gpuMisfit(gpus: PodGpus, view: View, i: number): Misfit {
    const count = view.devCount[i]!;
    const capacity = view.devCapacity[i]!;
    const base = i * DEVICES;
    if (gpus.whole > 0 && gpus.share > 0) return Misfit.WholeAndShare;
    if (gpus.share > 0) {
      if (!view.devShared[i]) return Misfit.NoShares;
      if (gpus.share > capacity) return Misfit.ShareOverDevice;
      for (let g = 0; g < count; g++) if (view.devFree[base + g]! + 1e-9 >= gpus.share) return Misfit.Fits;
      return Misfit.NoDeviceWithRoom;
    }
    if (gpus.whole > count) return Misfit.TooManyDevices;
    let idle = 0;
    for (let g = 0; g < count; g++) if (view.devFree[base + g]! + 1e-9 >= capacity) idle++;
    return idle >= gpus.whole ? Misfit.Fits : Misfit.TooFewIdle;
  }

  /** The FailedNodes message for a misfit code. */
  private message(code: number, pod: PodView): string {
    const { resource, shareResource } = this.gpu;
    switch ((code & 0xff) as Misfit) {
      case Misfit.OverAllocatable:
      case Misfit.OverFree:
        return `Insufficient ${this.dims[code >> 8]}`;
      case Misfit.WholeAndShare:
        return `asks for whole ${resource} and a ${shareResource} share`;
      case Misfit.NoShares:
        return `no ${shareResource} on this node`;
      case Misfit.ShareOverDevice:
        return `Insufficient ${shareResource}`;
      case Misfit.NoDeviceWithRoom:
        return `no single GPU has ${pod.gpus.share} ${shareResource} free`;
      default:
        return `Insufficient ${resource}`;
    }
  }

  /** Where each requested node's vectors live: the cache snapshot, or scratch arrays built from Nodes. */
  private view(args: ExtenderArgs): View {
    const snap = this.state.snapshot();
    if (args.NodeNames !== null) {
      const names = args.NodeNames;
      const at = new Int32Array(names.length);
      for (let k = 0; k < names.length; k++) at[k] = snap.index.get(names[k]!) ?? -1;
      return { names, at, ...snap };
    }
    return this.viewFromNodes(args.Nodes?.items ?? [], snap);
  }

  /**
   * Nodes mode: the request's Node objects are authoritative for allocatable, the cache supplies what is
   * used, and scores normalise by the same cluster-wide reference as NodeNames mode.
   */
  private viewFromNodes(items: Node[], snap: Snapshot): View {
    const D = this.dims.length;
    const n = items.length;
    // Reuse scratch space, but give back what one large request took.
    if (this.scratch.alloc.length < n * D || this.scratch.alloc.length > Math.max(4 * n * D, 1024 * D)) {
      this.scratch = scratchFor(n, D);
    }
    const { alloc, free, devCount, devCapacity, devShared, devFree, devModel } = this.scratch;
    const names = items.map((node) => node.metadata?.name ?? '');
    const at = new Int32Array(n);
    const ref = new Float64Array(snap.ref);
    for (let k = 0; k < n; k++) {
      at[k] = k;
      const i = snap.index.get(names[k]!);
      const plainAlloc = nodeAllocatable(items[k]!, this.plain);
      const gpus = nodeGpus(items[k]!, this.gpu);
      // The cache's device state holds while the Node shows the same devices; otherwise all are idle.
      const cached =
        i !== undefined && snap.devCount[i] === gpus.count && snap.devCapacity[i] === gpus.capacity;
      for (let d = 0; d < D; d++) {
        alloc[k * D + d] = cached ? snap.alloc[i * D + d]! : gpus.count * MILLI;
        free[k * D + d] = cached ? snap.free[i * D + d]! : this.dims[d] === GPU_SPEC ? 0 : gpus.count * MILLI;
      }
      for (const [p, d] of this.plainIndex.entries()) {
        const used = i === undefined ? 0 : snap.alloc[i * D + d]! - snap.free[i * D + d]!;
        alloc[k * D + d] = plainAlloc[p]!;
        free[k * D + d] = plainAlloc[p]! - used;
      }
      for (let d = 0; d < D; d++) if (ref[d] === 0) ref[d] = alloc[k * D + d]!;
      devCount[k] = gpus.count;
      devCapacity[k] = gpus.capacity;
      devShared[k] = gpus.shares ? 1 : 0;
      devModel[k] = gpus.model ? this.state.modelMask([gpus.model]) : 0;
      for (let g = 0; g < gpus.count; g++) {
        devFree[k * MAX_DEVICES + g] = cached ? snap.devFree[i * MAX_DEVICES + g]! : gpus.capacity;
      }
    }
    return {
      names,
      at,
      dims: D,
      index: snap.index,
      alloc,
      free,
      ref,
      devCount,
      devCapacity,
      devShared,
      devFree,
      devModel,
    };
  }
}

/** Why a pod does not fit a node; from OverFree on, more free capacity (preemption) could help. */
enum Misfit {
  Fits = 0,
  OverAllocatable = 1,
  WholeAndShare = 2,
  NoShares = 3,
  ShareOverDevice = 4,
  TooManyDevices = 5,
  OverFree = 16,
  NoDeviceWithRoom = 17,
  TooFewIdle = 18,
}

interface PodView {
  /** Plain-dimension requests; the GPU columns are filled per node by requestOn. */
  req: Float64Array;
  gpus: PodGpus;
  shape: PodShape;
}

/** The requested nodes over snapshot-shaped arrays: node k is at index at[k] (-1 when unknown). */
interface View extends Snapshot {
  names: readonly string[];
  at: Int32Array;
}

type Scratch = Pick<
  Snapshot,
  'alloc' | 'free' | 'devCount' | 'devCapacity' | 'devShared' | 'devFree' | 'devModel'
>;

function scratchFor(nodes: number, dims: number): Scratch {
  return {
    alloc: new Float64Array(nodes * dims),
    free: new Float64Array(nodes * dims),
    devCount: new Uint8Array(nodes),
    devCapacity: new Float64Array(nodes),
    devShared: new Uint8Array(nodes),
    devModel: new Int32Array(nodes),
    devFree: new Float64Array(nodes * MAX_DEVICES),
  };
}
