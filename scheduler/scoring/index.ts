import { type AngleOptions, angleScore } from './angle';
import { balancedAllocation, leastAllocated, mostAllocated, requestedToCapacityRatio } from './intree';
import { bestFit, dotProduct, random, tetris } from './packing';
import type { ScoreFn } from './types';

export * from './angle';
export * from './fragment';
export * from './intree';
export * from './packing';
export * from './types';

export const SCORER_NAMES = [
  'angle',
  'least-allocated',
  'most-allocated',
  'rtcr',
  'balanced',
  'bestfit',
  'dotprod',
  'tetris',
  'random',
] as const;
export type ScorerName = (typeof SCORER_NAMES)[number];

/** One score function by name; only `angle` takes options. */
export function scorer(name: ScorerName, angle: Partial<AngleOptions> = {}): ScoreFn {
  switch (name) {
    case 'angle':
      return angleScore(angle);
    case 'least-allocated':
      return leastAllocated;
    case 'most-allocated':
      return mostAllocated;
    case 'rtcr':
      return requestedToCapacityRatio;
    case 'balanced':
      return balancedAllocation;
    case 'bestfit':
      return bestFit;
    case 'dotprod':
      return dotProduct;
    case 'tetris':
      return tetris;
    case 'random':
      return random;
  }
}

/** An extender score: the 0..100 value rounded to kube-scheduler's 0..10 extender range, clamped. */
export function toExtenderScore(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(10, Math.max(0, Math.round(score / 10)));
}
