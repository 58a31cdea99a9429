import type { RunResult } from '../sim/simulate';

export interface Stat {
  mean: number;
  sd: number;
}

export interface Summary {
  policy: string;
  seeds: number;
  gpuAt80: Stat;
  gpuAt90: Stat;
  gpuAt100: Stat;
  gpuAt130: Stat;
  cpuAt100: Stat;
  memAt100: Stat;
  podsBeforeFirstFail: Stat;
  arrivedAtFirstFail: Stat;
  placed: Stat;
  failed: Stat;
  stranded: { cpu: number; mem: number; gpu: number };
  microsPerPod: number;
}

export function stat(values: number[]): Stat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, sd: Math.sqrt(variance) };
}

/** Mean and sample standard deviation over seeds. */
export function summarize(policy: string, runs: RunResult[]): Summary {
  const of = (f: (r: RunResult) => number) => stat(runs.map(f));
  return {
    policy,
    seeds: runs.length,
    gpuAt80: of((r) => r.gpuAllocAt[80]!),
    gpuAt90: of((r) => r.gpuAllocAt[90]!),
    gpuAt100: of((r) => r.gpuAllocAt[100]!),
    gpuAt130: of((r) => r.gpuAllocAt[130]!),
    cpuAt100: of((r) => r.cpuAllocAt100),
    memAt100: of((r) => r.memAllocAt100),
    podsBeforeFirstFail: of((r) => r.podsBeforeFirstFail),
    arrivedAtFirstFail: of((r) => r.arrivedAtFirstFail),
    placed: of((r) => r.placed),
    failed: of((r) => r.failed),
    stranded: {
      cpu: of((r) => r.stranded.cpu).mean,
      mem: of((r) => r.stranded.mem).mean,
      gpu: of((r) => r.stranded.gpu).mean,
    },
    microsPerPod: of((r) => r.microsPerPod).mean,
  };
}
