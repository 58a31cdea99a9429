import { parsePolicy } from '../scoring/policies';
import { Fgd, typicalPods } from './fgd';
import { simulate } from './simulate';
import { SimState } from './state';
import type { Cluster, TracePod } from './trace';

const pod = (cpu: number, gpus = 0, gpuMilli = 0, models = 0): TracePod => ({
  name: `p${cpu}-${gpus}-${gpuMilli}`,
  cpu,
  mem: 1,
  gpus,
  gpuMilli: gpus === 0 ? 0 : gpuMilli,
  models,
});

const cluster: Cluster = {
  models: ['T4', 'V100'],
  nodes: [
    { name: 'a', cpu: 16000, mem: 64000, gpus: 2, model: 0 },
    { name: 'b', cpu: 16000, mem: 64000, gpus: 2, model: 1 },
  ],
};

describe('typical pods', () => {
  it('keeps the most frequent shapes up to the threshold and renormalises', () => {
    const pods = [
      ...Array.from({ length: 6 }, () => pod(1000, 1, 500)),
      ...Array.from({ length: 3 }, () => pod(2000)),
      pod(4000, 2, 1000),
    ];
    const types = typicalPods(pods, 0.9);
    expect(types.map((t) => [t.cpu, t.milli, t.gpus, t.p])).toEqual([
      [1000, 500, 1, 6 / 9],
      [2000, 0, 0, 3 / 9],
    ]);
    expect(typicalPods([pod(0)])[0]?.cpu).toBe(100); // the scheduler's non-zero cpu
  });
});

describe('FGD', () => {
  it('measures idle GPU milli that typical pods cannot use', () => {
    const state = new SimState(cluster);
    // Half the pods want 600 milli on one GPU, half a whole T4.
    const fgd = new Fgd(state, [
      { cpu: 1000, milli: 600, gpus: 1, models: 0, p: 0.5 },
      { cpu: 1000, milli: 1000, gpus: 1, models: 1, p: 0.5 },
    ]);
    expect(fgd.nodeFrag(0)).toBe(0);
    expect(fgd.nodeFrag(1)).toBe(1000); // the T4 pods cannot use V100 nodes: 0.5 x 2000
    state.place(pod(1000, 1, 500), 0); // GPU0 keeps 500: too small for either
    expect(fgd.nodeFrag(0)).toBe(500);
  });

  it('scores the drop in fragmentation and puts a sharing pod on the GPU that keeps it lowest', () => {
    const state = new SimState(cluster);
    const fgd = new Fgd(state, [{ cpu: 1000, milli: 600, gpus: 1, models: 0, p: 1 }]);
    state.place(pod(1000, 1, 300), 0); // node a: GPUs 700 and 1000
    // 100 milli on GPU0 leaves 600 (still usable): frag unchanged, sigmoid(0) = 50.
    expect(fgd.score(pod(1000, 1, 100), 0)).toBe(50);
    expect(fgd.sharingGpu(pod(1000, 1, 100), 0)).toBe(0);
    // 500 milli: on GPU0 frag becomes 200, on GPU1 it becomes 500, so GPU0.
    expect(fgd.sharingGpu(pod(1000, 1, 500), 0)).toBe(0);
    expect(fgd.score(pod(1000, 1, 500), 0)).toBe(Math.trunc(100 / (1 + Math.exp(0.2))));
  });

  it('breaks ties by node name as the artefact does, unless asked for random ties', () => {
    expect(parsePolicy('fgd').ties).toBe('name');
    expect(parsePolicy('fgd/ties=random').ties).toBe('random');
    expect(parsePolicy('bestfit').ties).toBe('random');
    const state = new SimState(cluster);
    for (let seed = 0; seed < 5; seed++) {
      simulate(state, [pod(1000)], parsePolicy('fgd'), seed, { randomGpu: false });
      expect(state.free[0]).toBe(15000);
    }
  });
});
