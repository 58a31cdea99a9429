import { nodeAllocatable, podRequests } from '../../apis/resources';
import type { Node, Pod } from '../types';

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
}

/**
 * The extender's node/pod cache. It is fed by informers (nodes, and pods with spec.nodeName) and by the
 * extender's own placements (assume), which the pod watch later confirms.
 */
export interface ClusterState {
  upsertNode(node: Node): void;
  removeNode(name: string): void;
  upsertPod(pod: Pod): void;
  removePod(pod: Pod): void;
  assume(pod: Pod, nodeName: string): void;
  forget(pod: Pod): void;
  snapshot(): Snapshot;
}

interface Placement {
  node: string;
  req: Float64Array;
  /** Epoch ms after which an unconfirmed assumption is dropped; Infinity for bound pods. */
  expires: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

export function podKey(pod: Pod): string {
  const m = pod.metadata ?? {};
  return m.uid || `${m.namespace ?? 'default'}/${m.name ?? ''}`;
}

/** In-memory ClusterState with incrementally maintained flat arrays, so snapshot() is O(1). */
export class MemoryClusterState implements ClusterState {
  private readonly dims: number;
  private readonly index = new Map<string, number>();
  private names: string[] = [];
  private alloc: Float64Array;
  private free: Float64Array;
  private readonly placements = new Map<string, Placement>();
  private readonly ref: Float64Array;

  constructor(
    private readonly dimNames: readonly string[],
    private readonly assumeTtlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.dims = dimNames.length;
    this.alloc = new Float64Array(64 * this.dims);
    this.free = new Float64Array(64 * this.dims);
    this.ref = new Float64Array(this.dims);
  }

  upsertNode(node: Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    const alloc = nodeAllocatable(node, this.dimNames);
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.addNode(name);
      this.applyExisting(name, i);
    }
    const off = i * this.dims;
    for (let d = 0; d < this.dims; d++) {
      this.free[off + d]! += alloc[d]! - this.alloc[off + d]!;
      this.alloc[off + d] = alloc[d]!;
    }
    this.recomputeRef();
  }

  removeNode(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    // Swap the last node into the hole to keep the arrays dense.
    const last = this.names.length - 1;
    const lastName = this.names[last]!;
    const D = this.dims;
    this.alloc.copyWithin(i * D, last * D, last * D + D);
    this.free.copyWithin(i * D, last * D, last * D + D);
    this.alloc.fill(0, last * D, last * D + D);
    this.free.fill(0, last * D, last * D + D);
    this.names[i] = lastName;
    this.index.set(lastName, i);
    this.names.pop();
    this.index.delete(name);
    this.recomputeRef();
  }

  upsertPod(pod: Pod): void {
    const node = pod.spec?.nodeName;
    if (!node || TERMINAL.has(pod.status?.phase ?? '')) {
      this.removePod(pod);
      return;
    }
    this.place(podKey(pod), {
      node,
      req: podRequests(pod, this.dimNames),
      expires: Number.POSITIVE_INFINITY,
    });
  }

  removePod(pod: Pod): void {
    this.unplace(podKey(pod));
  }

  assume(pod: Pod, nodeName: string): void {
    const key = podKey(pod);
    const existing = this.placements.get(key);
    // A bound pod is authoritative; an assumption never overrides it.
    if (existing && existing.expires === Number.POSITIVE_INFINITY) return;
    const req = podRequests(pod, this.dimNames);
    this.place(key, { node: nodeName, req, expires: this.now() + this.assumeTtlMs });
  }

  forget(pod: Pod): void {
    const existing = this.placements.get(podKey(pod));
    if (existing && existing.expires !== Number.POSITIVE_INFINITY) this.unplace(podKey(pod));
  }

  snapshot(): Snapshot {
    this.expireAssumed();
    const n = this.names.length * this.dims;
    return {
      dims: this.dims,
      index: this.index,
      alloc: this.alloc.subarray(0, n),
      free: this.free.subarray(0, n),
      ref: this.ref,
    };
  }

  /** Sum of requests counted on a node (bound plus assumed); zeros for an unknown node. */
  used(name: string): Float64Array {
    const out = new Float64Array(this.dims);
    for (const p of this.placements.values()) {
      if (p.node !== name) continue;
      for (let d = 0; d < this.dims; d++) out[d]! += p.req[d]!;
    }
    return out;
  }

  /** Where the cache counts a pod, and whether only as an assumption; undefined when it does not. */
  placementOf(pod: Pod): { node: string; assumed: boolean } | undefined {
    const p = this.placements.get(podKey(pod));
    return p && { node: p.node, assumed: p.expires !== Number.POSITIVE_INFINITY };
  }

  get nodeCount(): number {
    return this.names.length;
  }

  get podCount(): number {
    return this.placements.size;
  }

  private nextExpiry = Number.POSITIVE_INFINITY;

  private expireAssumed(): void {
    const now = this.now();
    if (now < this.nextExpiry) return;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    for (const [key, p] of this.placements) {
      if (p.expires <= now) this.unplace(key);
      else if (p.expires < this.nextExpiry) this.nextExpiry = p.expires;
    }
  }

  private place(key: string, placement: Placement): void {
    this.unplace(key);
    this.placements.set(key, placement);
    if (placement.expires < this.nextExpiry) this.nextExpiry = placement.expires;
    this.adjust(placement, -1);
  }

  private unplace(key: string): void {
    const old = this.placements.get(key);
    if (!old) return;
    this.placements.delete(key);
    this.adjust(old, +1);
  }

  private adjust(p: Placement, sign: number): void {
    const i = this.index.get(p.node);
    if (i === undefined) return;
    const off = i * this.dims;
    for (let d = 0; d < this.dims; d++) this.free[off + d]! += sign * p.req[d]!;
  }

  private addNode(name: string): number {
    const i = this.names.length;
    if ((i + 1) * this.dims > this.alloc.length) {
      this.alloc = grow(this.alloc);
      this.free = grow(this.free);
    }
    this.names.push(name);
    this.index.set(name, i);
    return i;
  }

  // Pods may be seen before their node; count them once the node appears.
  private applyExisting(name: string, i: number): void {
    const off = i * this.dims;
    for (const p of this.placements.values()) {
      if (p.node !== name) continue;
      for (let d = 0; d < this.dims; d++) this.free[off + d]! -= p.req[d]!;
    }
  }

  private recomputeRef(): void {
    this.ref.fill(0);
    for (let i = 0; i < this.names.length; i++) {
      for (let d = 0; d < this.dims; d++)
        this.ref[d] = Math.max(this.ref[d]!, this.alloc[i * this.dims + d]!);
    }
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
