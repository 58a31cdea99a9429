import {
  angleScore,
  balancedAllocation,
  bestFit,
  dotProduct,
  leastAllocated,
  mostAllocated,
  packingTerm,
  requestedToCapacityRatio,
  type ScoreParams,
  tetris,
  toExtenderScore,
} from '.';
import { parsePolicy } from './policies';

const f64 = (...v: number[]) => Float64Array.from(v);
// Two nodes, dims cpu(milli), memory(MiB), gpu(count).
const alloc = f64(4000, 8000, 0, 8000, 16000, 4);
const free = f64(1000, 6000, 0, 8000, 16000, 4);
const params = (w: number[], ref = [8000, 16000, 4]): ScoreParams => ({
  dims: 3,
  weights: f64(...w),
  ref: f64(...ref),
});
const cpuMem = params([1, 1, 0]);

describe('in-tree resource scores', () => {
  const req = f64(1000, 2000, 0);
  it('LeastAllocated averages (alloc - requested) * 100 / alloc with integer division', () => {
    // node 0: cpu requested 4000 -> 0, memory 4000 of 8000 -> 50; mean 25
    expect(leastAllocated(req, alloc, free, 0, cpuMem)).toBe(25);
    // node 1: cpu 1000/8000 -> 87 (87.5 truncated), memory 2000/16000 -> 87
    expect(leastAllocated(req, alloc, free, 3, cpuMem)).toBe(87);
  });

  it('LeastAllocated gives 0 for an over-committed dimension', () => {
    expect(leastAllocated(f64(2000, 0, 0), alloc, free, 0, cpuMem)).toBe(37); // cpu 0, memory 75
  });

  it('MostAllocated is the mirror image', () => {
    expect(mostAllocated(req, alloc, free, 0, cpuMem)).toBe(75);
    expect(mostAllocated(req, alloc, free, 3, cpuMem)).toBe(12);
  });

  it('RequestedToCapacityRatio with the bin-packing shape rounds the weighted mean of utilisation', () => {
    expect(requestedToCapacityRatio(req, alloc, free, 3, params([1, 1, 1]))).toBe(12); // gpu scores 0 and is left out
    expect(requestedToCapacityRatio(f64(1000, 2000, 3), alloc, free, 3, params([1, 1, 1]))).toBe(33); // (12+12+75)/3
    expect(requestedToCapacityRatio(f64(1000, 2000, 1), alloc, free, 3, params([1, 1, 2]))).toBe(19); // (12+12+50)/4 = 18.5
    expect(requestedToCapacityRatio(f64(0, 0, 0), alloc, free, 3, params([1, 1, 1]))).toBe(0);
  });

  it('BalancedAllocation uses |a-b|/2 for two resources', () => {
    // node 0 after placement: cpu 1.0, memory 0.5 -> std 0.25 -> 75
    expect(balancedAllocation(req, alloc, free, 0, cpuMem)).toBe(75);
    expect(balancedAllocation(req, alloc, free, 3, cpuMem)).toBe(100);
  });

  it('BalancedAllocation uses the standard deviation for three resources', () => {
    const a = f64(10, 10, 10);
    const fr = f64(10, 10, 10);
    expect(balancedAllocation(f64(10, 0, 5), a, fr, 0, params([1, 1, 1]))).toBe(59); // std of {1,0,.5} = .408
  });
});

describe('reference packing scores', () => {
  const req = f64(1000, 0, 1);
  const fgd = params([0.5, 0, 0.5]);
  it('BestFit prefers the node with the least left over', () => {
    expect(bestFit(req, alloc, free, 3, fgd)).toBe(
      Math.trunc((1 - (0.5 * 7000) / 8000 - (0.5 * 3) / 4) * 100),
    );
    expect(bestFit(req, alloc, free, 3, fgd)).toBeLessThan(
      bestFit(req, alloc, f64(0, 0, 0, 1000, 16000, 1), 3, fgd),
    );
  });

  it('DotProd scores 1 - mean normalised dot product', () => {
    expect(dotProduct(req, alloc, free, 3, fgd)).toBe(Math.trunc((1 - ((1 / 8) * 1 + 0.25 * 1) / 2) * 100));
  });

  it('Tetris rewards alignment with a large free vector', () => {
    const small = f64(0, 0, 0, 1000, 1000, 1);
    expect(tetris(req, alloc, free, 3, params([1, 1, 1]))).toBeGreaterThan(
      tetris(req, alloc, small, 3, params([1, 1, 1])),
    );
  });
});

describe('angle score', () => {
  const p = params([1, 1, 1]);
  const a = f64(100, 100, 100);
  it('is 100 when request and free vectors point the same way, whatever their size', () => {
    expect(angleScore()(f64(10, 20, 0), a, f64(50, 100, 0), 0, p)).toBeCloseTo(100, 9);
    expect(angleScore()(f64(10, 20, 0), a, f64(5, 10, 0), 0, p)).toBeCloseTo(100, 9);
  });

  it('is 0 for orthogonal vectors', () => {
    expect(angleScore()(f64(10, 0, 0), a, f64(0, 50, 0), 0, p)).toBeCloseTo(0, 9);
  });

  it('linear shape maps 45 degrees to 50', () => {
    expect(angleScore({ shape: 'linear' })(f64(10, 0, 0), a, f64(10, 10, 0), 0, p)).toBeCloseTo(50, 9);
    expect(angleScore({ shape: 'cos' })(f64(10, 0, 0), a, f64(10, 10, 0), 0, p)).toBeCloseTo(
      100 / Math.SQRT2,
      9,
    );
  });

  it('projection ignores dimensions the pod does not request', () => {
    const r = f64(10, 0, 0);
    const fr = f64(10, 10, 10);
    expect(angleScore({ project: true })(r, a, fr, 0, p)).toBeCloseTo(100, 9);
    expect(angleScore({ project: false })(r, a, fr, 0, p)).toBeLessThan(60);
  });

  it('packing term prefers the fuller of two equally aligned nodes', () => {
    const s = angleScore({ packing: 0.5 });
    const r = f64(10, 10, 0);
    expect(s(r, a, f64(20, 20, 0), 0, p)).toBeGreaterThan(s(r, a, f64(90, 90, 0), 0, p));
    expect(packingTerm(r, f64(10, 10, 0), 0, p)).toBe(1);
  });

  it('treats an empty request as perfectly aligned', () => {
    expect(angleScore()(f64(0, 0, 0), a, f64(1, 2, 3), 0, p)).toBe(100);
  });
});

describe('toExtenderScore', () => {
  it.each([
    [0, 0],
    [4.9, 0],
    [5, 1],
    [94, 9],
    [100, 10],
    [250, 10],
    [-3, 0],
    [Number.NaN, 0],
  ])('maps %d to %d', (input, expected) => {
    expect(toExtenderScore(input)).toBe(expected);
  });
});

describe('parsePolicy', () => {
  it('builds kube-scheduler profiles', () => {
    expect(parsePolicy('default').components.map((c) => c.label)).toEqual(['least-allocated', 'balanced']);
    const mixed = parsePolicy('default+angle:5/packing=0.25/norm=max');
    expect(mixed.components.map((c) => [c.label, c.weight, c.mode])).toEqual([
      ['least-allocated', 1, 'plugin'],
      ['balanced', 1, 'plugin'],
      ['angle', 5, 'extender'],
    ]);
    expect(parsePolicy('bestfit').components[0]!.normalize).toBe(true);
  });

  it('rejects unknown names, bad weights and bad options', () => {
    expect(() => parsePolicy('nope')).toThrow(/unknown policy/);
    expect(() => parsePolicy('angle-only:0')).toThrow(/weight/);
    expect(() => parsePolicy('angle-only/packing=2')).toThrow(/bad option/);
  });
});

describe('policy names', () => {
  it('accepts dimension names with slashes in w.<dimension>', () => {
    const profile = parsePolicy('angle-only/w.nvidia.com/gpu=6/packing=0.2');
    expect(profile.components[0]?.dimWeights['nvidia.com/gpu']).toBe(6);
    expect(() => parsePolicy('angle-only/w.example.com/x')).toThrow(/bad option/);
  });
});

describe('the shipped policy', () => {
  it('is the extender config, with options after it replacing single settings', () => {
    const shipped = parsePolicy('shipped').components[0]!;
    expect(shipped.mode).toBe('extender');
    expect(shipped.dimWeights).toMatchObject({ cpu: 1, memory: 0.75, 'nvidia.com/gpu': 1, 'gpu-whole': 5 });
    const variant = parsePolicy('shipped/w.memory=0.5').components[0]!;
    expect(variant.dimWeights).toMatchObject({ cpu: 1, memory: 0.5, 'gpu-whole': 5 });
  });
});
