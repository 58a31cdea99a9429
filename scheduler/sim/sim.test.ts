import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePolicy } from '../scoring/policies';
import { Rng } from './rng';
import { inflate, simulate } from './simulate';
import { SIM_DIMS, SimState } from './state';
import { type Cluster, DEFAULT_TRACE_DIR, loadCluster, loadPods, type TracePod, workloadPath } from './trace';

const pod = (cpu: number, mem: number, gpus = 0, gpuMilli = 0, models = 0): TracePod => ({
  name: `p${cpu}-${gpus}-${gpuMilli}`,
  cpu,
  mem,
  gpus,
  gpuMilli: gpus === 0 ? 0 : gpuMilli,
  models,
});

const D = SIM_DIMS.length;

const cluster: Cluster = {
  models: ['T4', 'V100'],
  nodes: [
    { name: 'a', cpu: 16000, mem: 64000, gpus: 2, model: 0 },
    { name: 'b', cpu: 16000, mem: 64000, gpus: 4, model: 1 },
    { name: 'c', cpu: 32000, mem: 128000, gpus: 0, model: -1 },
  ],
};

describe('SimState', () => {
  it('checks cpu, memory, GPU model and per-device GPU fit', () => {
    const s = new SimState(cluster);
    expect(s.fits(pod(17000, 1), 0)).toBe(false);
    expect(s.fits(pod(1000, 70000), 0)).toBe(false);
    expect(s.fits(pod(1000, 1, 1, 500, 1 << 1), 0)).toBe(false); // wants V100
    expect(s.fits(pod(1000, 1, 1, 500, 1 << 1), 1)).toBe(true);
    expect(s.fits(pod(1000, 1, 3, 1000), 0)).toBe(false);
    expect(s.fits(pod(1000, 1, 1, 500), 2)).toBe(false);
    expect(s.fits(pod(1000, 1), 2)).toBe(true);
  });

  it('puts sharing pods on the best-fit GPU and tracks whole GPUs', () => {
    const s = new SimState(cluster);
    s.place(pod(1000, 1, 1, 600), 1); // GPU0: 400 left
    s.place(pod(1000, 1, 1, 300), 1); // best fit is GPU0 again: 100 left
    expect(Array.from(s.gpuLeft.subarray(8, 12))).toEqual([100, 1000, 1000, 1000]);
    expect(s.fullGpus[1]).toBe(3);
    s.place(pod(1000, 1, 2, 1000), 1);
    expect(Array.from(s.gpuLeft.subarray(8, 12))).toEqual([100, 0, 0, 1000]);
    expect(s.fits(pod(0, 0, 2, 1000), 1)).toBe(false);
    expect(s.fits(pod(0, 0, 1, 200), 1)).toBe(true);
    // free vector: cpu, memory, total GPU milli, milli on whole GPUs, model-demand-weighted GPU milli
    expect(Array.from(s.free.subarray(D, 2 * D))).toEqual([13000, 63997, 1100, 1000, 0]);
    s.reset();
    expect(Array.from(s.free.subarray(D, 2 * D))).toEqual([16000, 64000, 4000, 4000, 0]);
  });

  it('weights free GPU milli by the demand of model-constrained pods for the node model', () => {
    const s = new SimState(cluster);
    s.arrive(pod(1000, 1, 1, 1000, 1 << 1)); // one whole V100 of the 4 on node b
    expect(s.free[D + 4]).toBe(4000 * 0.25);
    s.arrive(pod(1000, 1, 2, 1000, 0b11)); // half towards T4 (2 GPUs), half towards V100
    expect(s.free[4]).toBe(2000 * 0.5);
    expect(s.free[D + 4]).toBe(4000 * 0.5);
    s.place(pod(1000, 1, 1, 1000, 1 << 1), 1);
    expect(s.free[D + 4]).toBe(3000 * 0.5);
    s.arrive(pod(1000, 1, 8, 1000, 1 << 1));
    expect(s.free[D + 4]).toBe(3000); // pressure is capped at 1
    expect(s.free[2 * D + 4]).toBe(0); // no GPU model
  });
});

describe('inflate', () => {
  it('keeps every pod and samples more until the GPU target, reproducibly', () => {
    const pods = [pod(1, 1, 1, 1000), pod(1, 1, 1, 500), pod(1, 1)];
    const a = inflate(pods, 10_000, 1.3, new Rng(1));
    const total = a.reduce((s, p) => s + p.gpus * p.gpuMilli, 0);
    expect(total).toBeLessThanOrEqual(13_000);
    expect(total).toBeGreaterThan(13_000 - 1000);
    for (const p of pods) expect(a).toContain(p);
    expect(inflate(pods, 10_000, 1.3, new Rng(1))).toEqual(a);
  });

  it('drops random pods when the list exceeds the target', () => {
    const pods = Array.from({ length: 10 }, () => pod(1, 1, 1, 1000));
    expect(inflate(pods, 1000, 5, new Rng(3)).length).toBe(5);
  });
});

describe('simulate', () => {
  const state = new SimState(cluster);

  it('counts placements, failures and the first failure', () => {
    const pods = [pod(1000, 1, 4, 1000), pod(1000, 1, 2, 1000), pod(1000, 1, 4, 1000)];
    const r = simulate(state, pods, parsePolicy('bestfit'), 1, { randomGpu: false });
    expect(r.placed).toBe(2);
    expect(r.failed).toBe(1);
    expect(r.podsBeforeFirstFail).toBe(2);
    expect(r.arrivedAtFirstFail).toBeCloseTo(100, 6);
    expect(r.gpuAllocAt[67]).toBeCloseTo(66.67, 1);
    expect(r.gpuAllocAt[100]).toBeCloseTo(100, 6);
    expect(r.stranded.gpu).toBe(0);
  });

  it('breaks ties at random: Random uses every feasible node across seeds', () => {
    const used = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      simulate(state, [pod(1000, 1)], parsePolicy('random'), seed, { randomGpu: true });
      used.add(state.free[0] === 16000 ? (state.free[D] === 16000 ? 2 : 1) : 0);
    }
    expect(used).toEqual(new Set([0, 1, 2]));
  });

  it('packs a small GPU pod onto the smaller GPU node with BestFit, but spreads with LeastAllocated', () => {
    simulate(state, [pod(1000, 1000, 1, 1000)], parsePolicy('bestfit'), 1, { randomGpu: false });
    expect(state.fullGpus[0]).toBe(1);
    simulate(state, [pod(8000, 1000)], parsePolicy('default'), 1, { randomGpu: false });
    expect(state.free[2 * D]).toBe(24000); // the biggest node
  });

  it('the angle keeps CPU-only pods off GPU nodes and sharing pods on GPU fragments', () => {
    const angle = parsePolicy('angle-only/packing=0.3/w.gpu-whole=5');
    simulate(state, [pod(4000, 16000)], angle, 1, { randomGpu: false });
    expect(state.free[2 * D]).toBe(28000);
    simulate(state, [pod(1000, 1000, 1, 500), pod(1000, 1000, 1, 400)], angle, 1, { randomGpu: false });
    const partial = [...state.gpuLeft].filter((g) => g > 0 && g < 1000);
    expect(partial).toEqual([100]);
  });
});

describe('trace loading', () => {
  it('reads node and pod CSVs, mapping gpu_spec to a model mask', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    writeFileSync(
      join(dir, 'openb_node_list_gpu_node.csv'),
      'sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,2,T4\nn1,96000,786432,8,V100M32\n',
    );
    writeFileSync(
      join(dir, 'openb_pod_list_tiny.csv'),
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\np0,1000,2048,1,500,V100M32|T4\np1,500,1024,0,0,\np2,1,1,1,1000,A100\n',
    );
    const c = loadCluster(dir);
    expect(c.models).toEqual(['T4', 'V100M32']);
    const pods = loadPods(workloadPath(dir, 'tiny'), c);
    expect(pods.map((p) => [p.gpus, p.gpuMilli, p.models])).toEqual([
      [1, 500, 0b11],
      [0, 0, 0],
      [1, 1000, 1 << 31],
    ]);
    expect(() => loadPods(workloadPath(dir, 'missing'), c)).toThrow();
  });

  it('the repository carries the openb trace the benchmarks and e2e tests replay', () => {
    expect(DEFAULT_TRACE_DIR.startsWith(resolve(__dirname, '..'))).toBe(true);
    const gpu = loadCluster(DEFAULT_TRACE_DIR, 'gpu');
    expect(gpu.nodes.length).toBe(1213);
    expect(gpu.nodes.reduce((sum, n) => sum + n.gpus, 0)).toBe(6212);
    expect(loadCluster(DEFAULT_TRACE_DIR, 'all').nodes.length).toBe(1523);
    expect(loadPods(workloadPath(DEFAULT_TRACE_DIR, 'default'), gpu).length).toBe(8152);
    const lists = readdirSync(DEFAULT_TRACE_DIR).filter((f) => f.startsWith('openb_pod_list_'));
    expect(lists.length).toBe(17);
  });
});
