import type { ScoreFn } from './types';

// Reference policies from the FGD artefact (hkust-adsl/kubernetes-scheduler-simulator): BestFit and
// DotProd normalise by the cluster's largest node (`ref`), Tetris by the node's own capacity.

/** BestFit: 1 - Σ w·(free - req)/ref over Σ w, truncated to 0..100 (the plugin then min-max normalises). */
export const bestFit: ScoreFn = (req, _alloc, free, off, p) => {
  let left = 0;
  let weightSum = 0;
  for (let d = 0; d < p.dims; d++) {
    const w = p.weights[d]!;
    if (w === 0) continue;
    left += (w * (free[off + d]! - req[d]!)) / p.ref[d]!;
    weightSum += w;
  }
  return weightSum === 0 ? 0 : Math.trunc((1 - left / weightSum) * 100);
};

/** DotProd: pack by preferring the smallest normalised dot product of request and free vectors. */
export const dotProduct: ScoreFn = (req, _alloc, free, off, p) => {
  let dot = 0;
  let n = 0;
  for (let d = 0; d < p.dims; d++) {
    if (p.weights[d] === 0) continue;
    const ref = p.ref[d]!;
    dot += (req[d]! / ref) * (free[off + d]! / ref);
    n++;
  }
  return n === 0 ? 0 : Math.trunc((1 - dot / n) * 100);
};

/** Tetris alignment: the largest dot product of capacity-normalised request and free vectors. */
export const tetris: ScoreFn = (req, alloc, free, off, p) => {
  let dot = 0;
  let n = 0;
  for (let d = 0; d < p.dims; d++) {
    const a = alloc[off + d]!;
    if (p.weights[d] === 0 || a === 0) continue;
    dot += (req[d]! / a) * (free[off + d]! / a);
    n++;
  }
  return n === 0 ? 0 : Math.trunc((dot / n) * 100);
};

/** Every node scores the same, so the random tie-break picks uniformly among feasible nodes. */
export const random: ScoreFn = () => 0;
