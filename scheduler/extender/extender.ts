import { nodeAllocatable, podRequests } from '../../apis/resources';
import type { ExtenderConfig } from '../config';
import { type ScoreFn, type ScoreParams, scorer, toExtenderScore } from '../scoring';
import type { Node, Pod } from '../types';
import type { ClusterState, Snapshot } from './state';
import { podKey } from './state';
import type { ExtenderArgs, ExtenderBindingArgs, ExtenderFilterResult, HostPriority } from './wire';

/** Creates the Binding in the apiserver; supplied by the runtime (the extender has no client of its own). */
export type Binder = (args: ExtenderBindingArgs) => Promise<void>;

const RECENT_PODS = 1024;

/** Filter, prioritize and bind over a ClusterState, independent of HTTP. */
export class Extender {
  private readonly dims: readonly string[];
  private readonly score: ScoreFn;
  private readonly weights: Float64Array;
  // Pods seen in filter/prioritize, so bind (which carries only names) can assume their requests.
  private readonly recent = new Map<string, Pod>();
  // Scratch buffers for Nodes-mode requests, reused to avoid allocation per call.
  private alloc = new Float64Array(0);
  private free = new Float64Array(0);

  constructor(
    config: ExtenderConfig,
    private readonly state: ClusterState,
    private readonly binder?: Binder,
  ) {
    this.dims = config.dimensions.map((d) => d.name);
    this.weights = Float64Array.from(config.dimensions.map((d) => d.weight));
    const { scorer: name, ...angle } = config.policy;
    this.score = scorer(name, angle);
  }

  get canBind(): boolean {
    return this.binder !== undefined;
  }

  filter(args: ExtenderArgs): ExtenderFilterResult {
    const req = this.requestOf(args.Pod);
    const view = this.view(args);
    const failed: Record<string, string> = {};
    const unresolvable: Record<string, string> = {};
    const passed: number[] = [];
    for (let k = 0; k < view.names.length; k++) {
      const reason = this.misfit(req, view, view.offsets[k]!);
      if (reason === undefined) passed.push(k);
      else if (reason.unresolvable) unresolvable[view.names[k]!] = reason.message;
      else failed[view.names[k]!] = reason.message;
    }
    const base = { FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
    if (args.NodeNames !== null)
      return { Nodes: null, NodeNames: passed.map((k) => view.names[k]!), ...base };
    const items = args.Nodes?.items ?? [];
    return { Nodes: { metadata: {}, items: passed.map((k) => items[k]!) }, NodeNames: null, ...base };
  }

  prioritize(args: ExtenderArgs): HostPriority[] {
    const req = this.requestOf(args.Pod);
    const view = this.view(args);
    const params: ScoreParams = { dims: this.dims.length, weights: this.weights, ref: view.ref };
    const out: HostPriority[] = new Array(view.names.length);
    for (let k = 0; k < view.names.length; k++) {
      const off = view.offsets[k]!;
      const fits = off >= 0 && this.misfit(req, view, off) === undefined;
      const score = fits ? toExtenderScore(this.score(req, view.alloc, view.free, off, params)) : 0;
      out[k] = { Host: view.names[k]!, Score: score };
    }
    return out;
  }

  async bind(args: ExtenderBindingArgs): Promise<string> {
    if (!this.binder) return 'this extender does not bind';
    await this.binder(args);
    const pod = this.recent.get(args.PodUID) ?? this.recent.get(`${args.PodNamespace}/${args.PodName}`);
    if (pod) this.state.assume(pod, args.Node);
    return '';
  }

  private requestOf(pod: Pod): Float64Array {
    const req = podRequests(pod, this.dims);
    const key = podKey(pod);
    this.recent.delete(key);
    this.recent.set(key, pod);
    if (this.recent.size > RECENT_PODS) this.recent.delete(this.recent.keys().next().value!);
    return req;
  }

  private misfit(
    req: Float64Array,
    view: View,
    off: number,
  ): { message: string; unresolvable: boolean } | undefined {
    if (off < 0) return undefined; // unknown to the cache: leave the decision to the scheduler
    // A request above allocatable in any dimension cannot be fixed by preemption, so it is checked first.
    for (let d = 0; d < this.dims.length; d++) {
      if (req[d]! > view.alloc[off + d]!)
        return { message: `Insufficient ${this.dims[d]}`, unresolvable: true };
    }
    for (let d = 0; d < this.dims.length; d++) {
      if (req[d]! > 0 && req[d]! > view.free[off + d]!) {
        return { message: `Insufficient ${this.dims[d]}`, unresolvable: false };
      }
    }
    return undefined;
  }

  /** Where each requested node's vectors live: the cache snapshot, or scratch arrays built from Nodes. */
  private view(args: ExtenderArgs): View {
    const snap = this.state.snapshot();
    if (args.NodeNames !== null) {
      const names = args.NodeNames;
      const offsets = new Int32Array(names.length);
      for (let k = 0; k < names.length; k++) {
        const i = snap.index.get(names[k]!);
        offsets[k] = i === undefined ? -1 : i * snap.dims;
      }
      return { names, offsets, alloc: snap.alloc, free: snap.free, ref: snap.ref };
    }
    return this.viewFromNodes(args.Nodes?.items ?? [], snap);
  }

  // The request's Node objects are authoritative for allocatable; the cache supplies what is used.
  private viewFromNodes(items: Node[], snap: Snapshot): View {
    const D = this.dims.length;
    if (this.alloc.length < items.length * D) {
      this.alloc = new Float64Array(items.length * D * 2);
      this.free = new Float64Array(items.length * D * 2);
    }
    const names = items.map((n) => n.metadata?.name ?? '');
    const offsets = new Int32Array(items.length);
    const ref = new Float64Array(D);
    for (let k = 0; k < items.length; k++) {
      const alloc = nodeAllocatable(items[k]!, this.dims);
      const i = snap.index.get(names[k]!);
      for (let d = 0; d < D; d++) {
        const used = i === undefined ? 0 : snap.alloc[i * D + d]! - snap.free[i * D + d]!;
        this.alloc[k * D + d] = alloc[d]!;
        this.free[k * D + d] = alloc[d]! - used;
        ref[d] = Math.max(ref[d]!, alloc[d]!);
      }
      offsets[k] = k * D;
    }
    return { names, offsets, alloc: this.alloc, free: this.free, ref };
  }
}

interface View {
  names: readonly string[];
  /** Offset of each node in alloc/free, or -1 when the node is unknown. */
  offsets: Int32Array;
  alloc: Float64Array;
  free: Float64Array;
  ref: Float64Array;
}
