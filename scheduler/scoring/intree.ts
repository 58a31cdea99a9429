import type { ScoreFn } from './types';

// kube-scheduler's noderesources score plugins, with its integer maths (least_allocated.go,
// most_allocated.go, requested_to_capacity_ratio.go, balanced_allocation.go). `requested` is the node's
// requested amount plus the pod's, i.e. alloc - free + req.

export const leastAllocated: ScoreFn = (req, alloc, free, off, p) => {
  let score = 0;
  let weightSum = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    const a = alloc[off + d]!;
    if (w === 0 || a === 0) continue;
    const requested = a - free[off + d]! + req[d]!;
    const s = requested > a ? 0 : Math.floor(((a - requested) * 100) / a);
    score += s * w;
    weightSum += w;
  }
  return weightSum === 0 ? 0 : Math.floor(score / weightSum);
};

export const mostAllocated: ScoreFn = (req, alloc, free, off, p) => {
  let score = 0;
  let weightSum = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    const a = alloc[off + d]!;
    if (w === 0 || a === 0) continue;
    const requested = Math.min(a - free[off + d]! + req[d]!, a);
    score += Math.floor((requested * 100) / a) * w;
    weightSum += w;
  }
  return weightSum === 0 ? 0 : Math.floor(score / weightSum);
};

/** RequestedToCapacityRatio with the bin-packing shape {0->0, 100->10}: the score equals utilisation. */
export const requestedToCapacityRatio: ScoreFn = (req, alloc, free, off, p) => {
  let score = 0;
  let weightSum = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    const a = alloc[off + d]!;
    if (w === 0 || a === 0) continue;
    const requested = Math.min(a - free[off + d]! + req[d]!, a);
    const s = Math.floor((requested * 100) / a);
    if (s > 0) {
      score += s * w;
      weightSum += w;
    }
  }
  return weightSum === 0 ? 0 : Math.round(score / weightSum);
};

export const balancedAllocation: ScoreFn = (req, alloc, free, off, p) => {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let first = 0;
  let second = 0;
  for (let d = 0; d < p.dims; d++) {
    const a = alloc[off + d]!;
    if (p.weights[d] === 0 || a === 0) continue;
    const frac = Math.min((a - free[off + d]! + req[d]!) / a, 1);
    if (n === 0) first = frac;
    else second = frac;
    sum += frac;
    sumSq += frac * frac;
    n++;
  }
  if (n === 0) return 0;
  // Two resources use |a-b|/2 exactly as the Go code does; more use the population standard deviation.
  const std = n === 2 ? Math.abs(first - second) / 2 : Math.sqrt(Math.max(sumSq / n - (sum / n) ** 2, 0));
  return Math.floor((1 - std) * 100);
};
