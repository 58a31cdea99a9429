import { EMPTY_MIX, type PodClass, type PodMix, type WholePacking, wholePacking } from './classes';
import type { Scarcity } from './fragment';
import type { ScoreFn } from './types';

export interface AngleOptions {
  /** g(θ): `cos` gives cos θ, `linear` gives 1 - θ/(π/2). */
  shape: 'cos' | 'linear';
  /** Normalise each dimension by the node's allocatable (`node`) or by the cluster's largest node (`max`). */
  norm: 'node' | 'max';
  /** Weight in [0,1] of the packing term (1 - leftover after placement); 0 is the pure angle. */
  packing: number;
  /** Measure the angle only over dimensions the pod requests. */
  project: boolean;
  /** The packing weight for pods of a class (ScoreParams.podClass), overriding `packing`. */
  classPacking: Partial<Record<PodClass, number>>;
  /** Whole-GPU pods' packing weight derived from the mix (ScoreParams.mix), overriding the above. */
  wholePacking?: WholePacking;
  /** Weight β in [0,1] of the fragmentation term (fragment.ts); 0 leaves it out. */
  fragment: number;
  /** The drop in fragmentation (milli-GPU) that scores 100 · sigmoid(1) ≈ 73; FGD's is 1000. */
  fragmentScale: number;
  /**
   * The fragmentation measure's weighting of model-constrained typical shapes (Fragmentation.setScarcity):
   * exponent k, `mix` for 1 − the sharing share of GPU pods; 0 is FGD's weighting.
   */
  fragmentScarcity: number | 'mix';
  fragmentScarcityBasis: Scarcity['basis'];
}

export const DEFAULT_ANGLE: AngleOptions = {
  shape: 'cos',
  norm: 'node',
  packing: 0,
  project: false,
  classPacking: {},
  fragment: 0,
  fragmentScale: 1000,
  fragmentScarcity: 0,
  fragmentScarcityBasis: 'free',
};

/** cos θ between the normalised request and free vectors; 1 when the request is empty in these dimensions. */
function cosine(
  req: Float64Array,
  alloc: Float64Array,
  free: Float64Array,
  off: number,
  p: ParamsLike,
  o: AngleOptions,
) {
  let dot = 0;
  let rr = 0;
  let ff = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    const scale = o.norm === 'node' ? alloc[off + d]! : p.ref[d]!;
    if (w === 0 || scale === 0) continue;
    const r = req[d]!;
    if (o.project && r === 0) continue;
    const rn = r / scale;
    const fn = free[off + d]! / scale;
    dot += w * rn * fn;
    rr += w * rn * rn;
    ff += w * fn * fn;
  }
  if (rr === 0 || ff === 0) return 1;
  return Math.min(dot / Math.sqrt(rr * ff), 1);
}

interface ParamsLike {
  dims: number;
  weights: Float64Array;
  ref: Float64Array;
}

/** 1 - weighted leftover (free - req) after placement, each dimension relative to the cluster's largest node. */
export function packingTerm(req: Float64Array, free: Float64Array, off: number, p: ParamsLike): number {
  let left = 0;
  let weightSum = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    if (w === 0 || p.ref[d] === 0) continue;
    left += (w * Math.max(free[off + d]! - req[d]!, 0)) / p.ref[d]!;
    weightSum += w;
  }
  return weightSum === 0 ? 1 : 1 - left / weightSum;
}

/** The packing weight α for a pod of class `cls` given the mix of arrived pods. */
export function packingWeight(o: AngleOptions, cls: PodClass | undefined, mix: PodMix | undefined): number {
  if (cls === 'whole' && o.wholePacking) return wholePacking(o.wholePacking, mix ?? EMPTY_MIX);
  return (cls && o.classPacking[cls]) ?? o.packing;
}

/** The resource-angle score on the 0..100 scale (a float; the extender quantises it to 0..10). */
export function angleScore(options: Partial<AngleOptions> = {}): ScoreFn {
  const o: AngleOptions = { ...DEFAULT_ANGLE, ...options };
  // α is the same for every node of one pod: recomputed only when the class or the mix changes.
  let last: {
    cls: PodClass | undefined;
    gpuPods: number;
    sharing: number;
    constrained: number;
    multi: number;
    alpha: number;
  } = {
    cls: undefined,
    gpuPods: -1,
    sharing: -1,
    constrained: -1,
    multi: -1,
    alpha: 0,
  };
  return (req, alloc, free, off, p) => {
    const mix = p.mix ?? EMPTY_MIX;
    if (
      last.cls !== p.podClass ||
      last.gpuPods !== mix.gpuPods ||
      last.sharing !== mix.sharing ||
      last.constrained !== mix.constrained ||
      last.multi !== mix.multi
    ) {
      const { gpuPods, sharing, constrained, multi } = mix;
      const alpha = packingWeight(o, p.podClass, mix);
      last = { cls: p.podClass, gpuPods, sharing, constrained, multi, alpha };
    }
    const alpha = last.alpha;
    const cos = cosine(req, alloc, free, off, p, o);
    const g = o.shape === 'cos' ? cos : 1 - Math.acos(cos) / (Math.PI / 2);
    const pack = alpha === 0 ? 0 : packingTerm(req, free, off, p);
    const angle = 100 * ((1 - alpha) * g + alpha * pack);
    const beta = o.fragment;
    if (beta === 0 || !p.frag || !p.pod) return angle;
    const { measure, view, cpuDim, stamps } = p.frag;
    const k = o.fragmentScarcity === 'mix' ? 1 - mix.sharing / Math.max(mix.gpuPods, 1) : o.fragmentScarcity;
    measure.setScarcity({ k, basis: o.fragmentScarcityBasis }, p.frag.cluster ?? view);
    const i = off / p.dims;
    const cpuFree = cpuDim < 0 ? Number.POSITIVE_INFINITY : free[off + cpuDim]!;
    const drop = measure.drop(view, i, cpuFree, p.pod, stamps);
    return (1 - beta) * angle + (beta * 100) / (1 + Math.exp(-drop / o.fragmentScale));
  };
}
