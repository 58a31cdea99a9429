import { podManifest, traceNodes, tracePods } from '../bench/kwok';
import { loadConfig } from '../config';
import { Extender } from '../extender/extender';
import { MemoryClusterState } from '../extender/state';
import { Rng } from '../sim/rng';
import { Scheduler } from '../sim/simulate';
import { SimState } from '../sim/state';
import { gpuNode as gpuNodeOf } from '../testing/gpu-node';
import type { Node, Pod } from '../types';
import { angleScore } from './angle';
import { type DeviceView, Fragmentation, type PodShape, ShapeCounts } from './fragment';
import { extenderAngle, parsePolicy, SHIPPED_CONFIG } from './policies';

const cpuPod: PodShape = { cpu: 1000, gpus: 0, share: 0, models: 0 };
const wholePod: PodShape = { cpu: 1000, gpus: 1, share: 0, models: 0 };
const eightPod: PodShape = { cpu: 1000, gpus: 8, share: 0, models: 0 };
const halfPod: PodShape = { cpu: 1000, gpus: 1, share: 500, models: 0 };

function counts(...shapes: [PodShape, number][]): ShapeCounts {
  const c = new ShapeCounts();
  for (const [shape, n] of shapes) for (let k = 0; k < n; k++) c.add(shape);
  return c;
}

/** Nodes of `devices[i]` devices (1000 units each) with the given free units, all of model bit 1. */
function view(...devices: number[][]): DeviceView {
  const stride = 8;
  const free = new Float64Array(devices.length * stride);
  for (const [i, d] of devices.entries()) free.set(d, i * stride);
  return {
    stride,
    count: devices.map((d) => d.length),
    free,
    model: devices.map(() => 1),
  };
}

describe('ShapeCounts', () => {
  it('keeps the most frequent shapes covering 95 % of the pods, with frequencies summing to 1', () => {
    const c = counts([cpuPod, 60], [wholePod, 36], [eightPod, 4]);
    const typical = c.typical();
    expect(typical.map((t) => t.gpus)).toEqual([0, 1]);
    expect(typical[0]!.p).toBeCloseTo(60 / 96);
    expect(typical[1]!.p).toBeCloseTo(36 / 96);
  });

  it('refreshes the typical set each time 5 % of the pods came or went', () => {
    const c = new ShapeCounts();
    for (let k = 0; k < 1000; k++) c.add(k % 10 < 7 ? cpuPod : eightPod);
    // One by one at first, then every 5 %: about 20 + ln(50) / ln(1.05).
    expect(c.version).toBeGreaterThan(50);
    expect(c.version).toBeLessThan(200);
    expect(c.typical().map((t) => t.gpus)).toEqual([0, 8]);
    let version = c.version;
    while (c.version === version) c.add(wholePod);
    version = c.version;
    const wait = Math.ceil(0.05 * c.size) - 1;
    for (let k = 0; k < wait; k++) c.add(wholePod);
    expect(c.version).toBe(version);
    c.add(wholePod);
    expect(c.version).toBe(version + 1);
    for (let k = 0; k < 200; k++) c.add(wholePod);
    expect(c.typical().map((t) => t.gpus)).toEqual([0, 8, 1]);
  });

  it('forgets a shape whose pods all went', () => {
    const c = counts([cpuPod, 1], [wholePod, 1]);
    c.add(wholePod, -1);
    c.add(halfPod, -1); // never seen: ignored
    expect(c.size).toBe(1);
    expect(c.typical().map((t) => t.gpus)).toEqual([0]);
  });
});

describe('Fragmentation', () => {
  it('counts the idle GPU each typical pod cannot use, weighted by its frequency', () => {
    // Half of the pods want a whole GPU, half a 500-unit share. Free devices 300 and 1000: the whole-GPU
    // pod cannot use 300 (fits on the idle one), the share cannot use 300 either.
    const f = new Fragmentation(counts([wholePod, 5], [halfPod, 5]));
    const v = view([300, 1000]);
    expect(f.nodeFragmentation(v, 0, 8000)).toBeCloseTo(300);
    // A CPU-only pod can use no GPU at all: everything idle is a fragment for it.
    const g = new Fragmentation(counts([cpuPod, 1], [wholePod, 1]));
    expect(g.nodeFragmentation(v, 0, 8000)).toBeCloseTo(0.5 * 1300 + 0.5 * 300);
    // Too little cpu for the whole-GPU pod: all of it is a fragment for that pod.
    expect(f.nodeFragmentation(v, 0, 500)).toBeCloseTo(1300);
  });

  it('puts a share where it fills a fragment rather than opening an idle GPU', () => {
    const f = new Fragmentation(counts([wholePod, 5], [halfPod, 5]));
    const v = view([500, 1000], [1000, 1000]);
    expect(f.drop(v, 0, 8000, halfPod)).toBeGreaterThan(f.drop(v, 1, 8000, halfPod));
  });

  it('keeps idle 8-GPU nodes for 8-GPU pods', () => {
    const f = new Fragmentation(counts([wholePod, 5], [eightPod, 5]));
    const full = new Array(8).fill(1000);
    const v = view(full, [1000, 0, 0, 0, 0, 0, 0, 0]);
    expect(f.drop(v, 1, 8000, wholePod)).toBeGreaterThan(f.drop(v, 0, 8000, wholePod));
  });

  it('leaves a GPU model that model-constrained pods need to them', () => {
    const only2: PodShape = { ...wholePod, models: 2 };
    const f = new Fragmentation(counts([wholePod, 5], [only2, 5]));
    const v = { ...view([1000, 1000], [1000, 1000]), model: [1, 2] };
    // Model 1 is no use to half of the pods: filling it lowers the fragmentation more.
    expect(f.drop(v, 0, 8000, wholePod)).toBeGreaterThan(f.drop(v, 1, 8000, wholePod));
  });

  it('with scarcity, weighs constrained pods by how few idle GPUs they can use', () => {
    // Model 2 holds 1 of 4 idle GPUs; half of the pods need it. Without scarcity, filling a model-1 GPU
    // with an unconstrained pod lowers the measure by half a GPU (the model-2 pods cannot use it anyway).
    const only2: PodShape = { ...wholePod, models: 2 };
    const shapes = counts([wholePod, 5], [only2, 5]);
    const v = { ...view([1000, 1000, 1000], [1000]), model: [1, 2] };
    const fgd = new Fragmentation(shapes);
    const scarce = new Fragmentation(shapes);
    scarce.setScarcity({ k: 1, basis: 'free' }, v);
    expect(fgd.drop(v, 0, 8000, wholePod)).toBeCloseTo(500);
    // k = 1: the model-2 pods weigh 0.5 / 0.25 = 2 against 0.5 for the others, 0.8 after normalising.
    expect(scarce.drop(v, 0, 8000, wholePod)).toBeCloseTo(0.8 * 1000);
    // So the unconstrained pod is steered off model 2 more firmly.
    const gap = (f: Fragmentation) => f.drop(v, 0, 8000, wholePod) - f.drop(v, 1, 8000, wholePod);
    expect(gap(scarce)).toBeGreaterThan(gap(fgd));
    // The basis `free` follows what is idle: once model 1 is mostly taken (u = 1/2), model-2 pods weigh 2/3.
    const busy = { ...view([1000, 0, 0], [1000]), model: [1, 2] };
    const later = new Fragmentation(counts([wholePod, 5], [only2, 5]));
    later.setScarcity({ k: 1, basis: 'free' }, busy);
    expect(later.drop(busy, 0, 8000, wholePod)).toBeCloseTo((2 / 3) * 1000);
    // k = 0 is the measure without scarcity.
    const none = new Fragmentation(counts([wholePod, 5], [only2, 5]));
    none.setScarcity({ k: 0, basis: 'free' }, v);
    expect(none.drop(v, 0, 8000, wholePod)).toBe(fgd.drop(v, 0, 8000, wholePod));
  });

  it('with scarcity, is the FGD measure when no typical pod is tied to a model', () => {
    const shapes = counts([wholePod, 3], [halfPod, 4], [cpuPod, 3]);
    const v = { ...view([200, 1000, 700], [1000, 1000]), model: [1, 2] };
    const fgd = new Fragmentation(shapes);
    const scarce = new Fragmentation(shapes);
    scarce.setScarcity({ k: 1, basis: 'all' }, v);
    for (const pod of [wholePod, halfPod, cpuPod])
      for (let i = 0; i < 2; i++) expect(scarce.drop(v, i, 8000, pod)).toBe(fgd.drop(v, i, 8000, pod));
  });

  it('changes nothing on nodes without GPUs and the same with or without its per-node cache', () => {
    const shapes = counts([wholePod, 3], [halfPod, 4], [cpuPod, 3]);
    const v = view([], [200, 1000, 700], [1000, 1000]);
    const cached = new Fragmentation(shapes);
    const plain = new Fragmentation(shapes);
    const stamps = new Uint32Array(3);
    expect(cached.drop(v, 0, 8000, wholePod, stamps)).toBe(0);
    for (const pod of [wholePod, halfPod, cpuPod]) {
      for (let i = 0; i < 3; i++) {
        expect(cached.drop(v, i, 8000, pod, stamps)).toBe(plain.drop(v, i, 8000, pod));
        expect(cached.drop(v, i, 8000, pod, stamps)).toBe(plain.drop(v, i, 8000, pod));
      }
    }
  });
});

describe('one scoring module for the simulator and the extender', () => {
  it('scores every feasible node the same for a trace slice, placement by placement', async () => {
    const config = loadConfig(SHIPPED_CONFIG);
    config.policy.fragment = 0.5;
    const { cluster, specs } = traceNodes(40, { sharing: true });
    const sim = new SimState(cluster);
    const pods = tracePods(120, 'gpuspec10', () => true);
    const scheduler = new Scheduler(
      sim,
      { name: 'shipped', components: [extenderAngle(config)], ties: 'random' },
      pods,
    );
    const state = new MemoryClusterState({ dims: config.dimensions.map((d) => d.name), gpu: config.gpu });
    for (const s of specs) {
      const node: Node = {
        metadata: { name: s.name, labels: s.labels },
        status: { allocatable: s.capacity },
      };
      state.upsertNode(node);
    }
    const ext = new Extender(config, state, {
      annotate: async () => {},
      bind: async () => {},
      getPod: async () => {
        throw new Error('unused');
      },
    });
    // The same cache scored without the term, to show the term changes scores.
    const plain = new Extender({ ...config, policy: { ...config.policy, fragment: 0 } }, state);
    // And without the scarcity weighting, to show the slice exercises it.
    const fgdWeights = new Extender({ ...config, policy: { ...config.policy, fragmentScarcity: 0 } }, state);
    const names = cluster.nodes.map((n) => n.name);
    const rng = new Rng(7);
    let compared = 0;
    let changed = 0;
    let weighted = 0;
    for (const [k, p] of pods.entries()) {
      const pod = podManifest(p, `p${k}`, 'ns', { sharing: true }, cluster.models) as Pod;
      pod.metadata!.uid = `p${k}`;
      const feasible = scheduler.evaluate(p);
      const scores = ext.prioritize({ Pod: pod, Nodes: null, NodeNames: names });
      const without = plain.prioritize({ Pod: pod, Nodes: null, NodeNames: names });
      const unweighted = fgdWeights.prioritize({ Pod: pod, Nodes: null, NodeNames: names });
      const byName = new Map(scores.map((s) => [s.Host, s.Score]));
      for (let j = 0; j < feasible && feasible > 1; j++) {
        const name = names[scheduler.feasibleNode(j)]!;
        expect(byName.get(name)).toBe(scheduler.totalOf(j) / 10);
        compared++;
      }
      changed += scores.filter((s, n) => s.Score !== without[n]!.Score).length;
      weighted += scores.filter((s, n) => s.Score !== unweighted[n]!.Score).length;
      if (feasible === 0) continue;
      const node = scheduler.feasibleNode(scheduler.select(rng));
      scheduler.place(p, node);
      expect(
        await ext.bind({ PodName: `p${k}`, PodNamespace: 'ns', PodUID: `p${k}`, Node: names[node]! }),
      ).toBe('');
    }
    expect(compared).toBeGreaterThan(1000);
    expect(changed).toBeGreaterThan(100);
    expect(weighted).toBeGreaterThan(100);
  });
});

describe('the extender cache and the fragmentation term', () => {
  const config = loadConfig(SHIPPED_CONFIG);
  // The fragmentation term alone, so a stale measure shows through the extender's 11 score levels.
  config.policy.fragment = 1;
  const gpuNode = (name: string, gpus: number, model?: string) => gpuNodeOf(name, gpus, 1000, model);
  const gpuPod = (uid: string, gpu: Record<string, string>, nodeName?: string): Pod => ({
    metadata: { name: uid, namespace: 'ns', uid },
    spec: {
      nodeName,
      containers: [{ resources: { requests: { cpu: '2', memory: '1Gi', ...gpu }, limits: gpu } }],
    },
  });
  const pods = [
    gpuPod('a', { 'aliyun.com/gpu-mem': '300' }, 'n1'),
    gpuPod('b', { 'nvidia.com/gpu': '1' }, 'n2'),
    gpuPod('c', { 'nvidia.com/gpu': '4' }, 'n3'),
    gpuPod('d', { 'aliyun.com/gpu-mem': '600' }, 'n3'),
    gpuPod('e', {}, 'n4'),
  ];
  const probes = [
    gpuPod('p1', { 'aliyun.com/gpu-mem': '500' }),
    gpuPod('p2', { 'nvidia.com/gpu': '1' }),
    gpuPod('p3', { 'nvidia.com/gpu': '2' }),
    gpuPod('p4', {}),
  ];
  const nodes = new Map<string, Node>();
  const state = new MemoryClusterState({ dims: config.dimensions.map((d) => d.name), gpu: config.gpu });
  const ext = new Extender(config, state);
  const upsert = (n: Node) => {
    nodes.set(n.metadata!.name!, n);
    state.upsertNode(n);
  };
  /** Scores from the cache (NodeNames, cached per node) and recomputed from Node objects (Nodes, never cached). */
  const both = () => {
    const names = [...nodes.keys()];
    const items = [...nodes.values()];
    return probes.map((p) => [
      ext.prioritize({ Pod: p, Nodes: null, NodeNames: names }),
      ext.prioritize({ Pod: p, Nodes: { items }, NodeNames: null }),
    ]);
  };

  it('never serves a node a score cached from before it changed, was removed or replaced', () => {
    for (const n of [gpuNode('n1', 2), gpuNode('n2', 8, 'V100'), gpuNode('n3', 8), gpuNode('n4', 4)])
      upsert(n);
    // Enough pods that one more does not refresh the typical shapes, which would drop every cached score.
    const mix: Record<string, string>[] = [
      {},
      { 'aliyun.com/gpu-mem': '300' },
      { 'nvidia.com/gpu': '1' },
      { 'nvidia.com/gpu': '4' },
    ];
    for (let k = 0; k < 60; k++) state.upsertPod(gpuPod(`bg${k}`, mix[k % 4]!));
    const steps: (() => void)[] = [
      ...pods.map((p) => () => state.upsertPod(p)),
      () => {
        nodes.delete('n2');
        state.removeNode('n2'); // n4 moves into its slot
      },
      () => upsert(gpuNode('n5', 8, 'V100')),
      () => upsert(gpuNode('n4', 2, 'A100')),
      () => state.removePod(pods[2]!),
    ];
    let differ = 0;
    for (const step of steps) {
      const before = both();
      step();
      const after = both();
      for (const [k, [cached, computed]] of after.entries()) {
        expect(cached).toEqual(computed);
        if (JSON.stringify(cached) !== JSON.stringify(before[k]![0])) differ++;
      }
    }
    // The steps changed scores, so stale ones would have shown.
    expect(differ).toBeGreaterThan(steps.length / 2);
  });
});

describe('the fragmentation term options', () => {
  it('are set by policy options and the shipped config', () => {
    const { policy } = loadConfig(SHIPPED_CONFIG);
    expect(policy.fragment).toBe(0.5);
    expect(policy.fragmentScale).toBe(200);
    expect(() => parsePolicy('shipped/fragment=0.2/fragment.scale=500')).not.toThrow();
    expect(() => parsePolicy('shipped/fragment=1.5')).toThrow(/bad option/);
    expect(() => parsePolicy('shipped/fragment.scale=0')).toThrow(/bad option/);
  });

  it('a smaller scale separates the same two drops by more', () => {
    const shapes = counts([wholePod, 10], [eightPod, 10]);
    const measure = new Fragmentation(shapes);
    // An idle 8-GPU node and a node with one GPU left: a whole-GPU pod lowers the second's fragmentation more.
    const v = view([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000], [1000, 0, 0, 0, 0, 0, 0, 0]);
    const p = {
      dims: 1,
      weights: Float64Array.of(1),
      ref: Float64Array.of(8),
      pod: wholePod,
      frag: { measure, view: v, cpuDim: -1 },
    };
    const req = Float64Array.of(0);
    const alloc = Float64Array.of(8, 8);
    const gap = (scale: number) => {
      const fn = angleScore({ fragment: 1, fragmentScale: scale });
      return fn(req, alloc, alloc, 1, p) - fn(req, alloc, alloc, 0, p);
    };
    expect(gap(1000)).toBeGreaterThan(0);
    expect(gap(200)).toBeGreaterThan(gap(1000));
  });
});
