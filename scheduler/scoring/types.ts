import type { PodClass, PodMix } from './classes';
import type { DeviceView, Fragmentation, PodShape } from './fragment';

// Every score function reads one node out of flat per-dimension arrays (node i at offset i*dims), so the
// simulator and the extender share them without allocating per call.

export interface ScoreParams {
  /** Number of dimensions (the stride of the flat arrays). */
  dims: number;
  /** Per-dimension weight; 0 leaves the dimension out. */
  weights: Float64Array;
  /** Per-dimension normalisation reference (cluster-wide max allocatable), used by the FGD-style scores. */
  ref: Float64Array;
  /** The class of the pod being scored, for scores that weigh classes differently. */
  podClass?: PodClass;
  /** The GPU pods that have arrived so far, for scores derived from the workload's mix. */
  mix?: PodMix;
  /** The pod being scored, for the fragmentation term. */
  pod?: PodShape;
  /** Per-device state and the observed pod shapes, for the fragmentation term. */
  frag?: FragmentInput;
}

export interface FragmentInput {
  measure: Fragmentation;
  view: DeviceView;
  /** Index of cpu among the dimensions (-1: cpu not tracked). */
  cpuDim: number;
  /** Per-node change counters, so the measure can cache each node's fragmentation. */
  stamps?: ArrayLike<number>;
  /** Every node's devices, when `view` holds only the requested ones (the extender's Nodes mode). */
  cluster?: DeviceView;
}

/**
 * Scores one feasible node for a pod. Returns a value on kube-scheduler's 0..100 scale, higher is better.
 * In-tree and FGD-style plugins return the integer the Go code would; angle scores return a float.
 */
export type ScoreFn = (
  req: Float64Array,
  alloc: Float64Array,
  free: Float64Array,
  off: number,
  p: ScoreParams,
) => number;

export const MAX_NODE_SCORE = 100;
export const MAX_EXTENDER_PRIORITY = 10;
