import { parseConfig } from '../config';
import { gpuNode as gpuNodeOf } from '../testing/gpu-node';
import type { Node, Pod } from '../types';
import { Extender, NEUTRAL_SCORE } from './extender';
import { MemoryClusterState } from './state';
import { parseExtenderArgs } from './wire';

const config = parseConfig(
  'dimensions: [{name: cpu}, {name: memory}, {name: nvidia.com/gpu}]\npolicy: {packing: 0}',
);
const dims = config.dimensions.map((d) => d.name);
const node = (name: string, cpu: number, memGi: number, gpu: number): Node => ({
  metadata: { name },
  status: { allocatable: { cpu: String(cpu), memory: `${memGi}Gi`, 'nvidia.com/gpu': String(gpu) } },
});
const pod = (cpu: number, memGi: number, gpu = 0, nodeName?: string, uid = 'u'): Pod => ({
  metadata: { name: uid, namespace: 'ns', uid },
  spec: {
    nodeName,
    containers: [
      { resources: { requests: { cpu: String(cpu), memory: `${memGi}Gi`, 'nvidia.com/gpu': String(gpu) } } },
    ],
  },
});

function setup() {
  const state = new MemoryClusterState({ dims, gpu: config.gpu });
  state.upsertNode(node('cpu-only', 32, 256, 0));
  state.upsertNode(node('gpu', 96, 384, 8));
  state.upsertNode(node('small', 4, 8, 0));
  state.upsertPod(pod(2, 4, 0, 'small', 'existing'));
  return { state, ext: new Extender(config, state) };
}

describe('Extender.filter', () => {
  it('answers NodeNames when the scheduler sends NodeNames (nodeCacheCapable)', () => {
    const { ext } = setup();
    const res = ext.filter({
      Pod: pod(3, 2, 1),
      Nodes: null,
      NodeNames: ['cpu-only', 'gpu', 'small', 'ghost'],
    });
    expect(res.NodeNames).toEqual(['gpu', 'ghost']);
    expect(res.Nodes).toBeNull();
    expect(res.FailedAndUnresolvableNodes).toEqual({
      'cpu-only': 'Insufficient nvidia.com/gpu',
      small: 'Insufficient nvidia.com/gpu',
    });
    expect(res.Error).toBe('');
  });

  it('separates resolvable from unresolvable failures', () => {
    const { ext } = setup();
    const res = ext.filter({ Pod: pod(3, 2), Nodes: null, NodeNames: ['small', 'cpu-only'] });
    expect(res.FailedNodes).toEqual({ small: 'Insufficient cpu' });
    expect(res.NodeNames).toEqual(['cpu-only']);
  });

  it('answers a NodeList when the scheduler sends Nodes, using their allocatable', () => {
    const { ext } = setup();
    const items = [node('small', 6, 8, 0), node('new', 1, 1, 0)];
    const res = ext.filter({ Pod: pod(3, 2), Nodes: { items }, NodeNames: null });
    expect(res.NodeNames).toBeNull();
    expect(res.Nodes?.items.map((n) => n.metadata?.name)).toEqual(['small']);
    expect(res.FailedAndUnresolvableNodes).toEqual({ new: 'Insufficient cpu' });
  });
});

describe('Extender.prioritize', () => {
  it('scores 0..10, prefers the node whose free shape matches the request, and zeroes misfits', () => {
    const { ext } = setup();
    const res = ext.prioritize({
      Pod: pod(8, 64),
      Nodes: null,
      NodeNames: ['cpu-only', 'gpu', 'small', 'ghost'],
    });
    const score = Object.fromEntries(res.map((h) => [h.Host, h.Score]));
    expect(score.small).toBe(0);
    expect(score.ghost).toBe(NEUTRAL_SCORE); // not in the cache yet: neither preferred nor avoided
    expect(score['cpu-only']).toBeGreaterThan(score.gpu!);
    for (const h of res) expect(Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10).toBe(true);
  });

  it('gives the same answer for Nodes and NodeNames when allocatable matches the cache', () => {
    const { ext } = setup();
    const names = ['cpu-only', 'gpu', 'small'];
    const items = [node('cpu-only', 32, 256, 0), node('gpu', 96, 384, 8), node('small', 4, 8, 0)];
    const p = pod(1, 2);
    expect(ext.prioritize({ Pod: p, Nodes: { items }, NodeNames: null })).toEqual(
      ext.prioritize({ Pod: p, Nodes: null, NodeNames: names }),
    );
  });
});

describe('Extender.bind', () => {
  it('calls the binder and counts the placement at once', async () => {
    const state = new MemoryClusterState({ dims, gpu: config.gpu });
    state.upsertNode(node('a', 4, 8, 0));
    const bound: string[] = [];
    const ext = new Extender(config, state, {
      annotate: async () => {},
      bind: async (args) => {
        bound.push(`${args.PodNamespace}/${args.PodName}->${args.Node}`);
      },
      getPod: async () => p,
    });
    const p = pod(3, 1, 0, undefined, 'p1');
    ext.prioritize(parseExtenderArgs({ Pod: p, NodeNames: ['a'] }));
    expect(await ext.bind({ PodName: 'p1', PodNamespace: 'ns', PodUID: 'p1', Node: 'a' })).toBe('');
    expect(bound).toEqual(['ns/p1->a']);
    expect(
      ext.filter({ Pod: pod(2, 1, 0, undefined, 'p2'), Nodes: null, NodeNames: ['a'] }).FailedNodes,
    ).toEqual({
      a: 'Insufficient cpu',
    });
  });

  it('reports that it does not bind without a binder', async () => {
    const { ext } = setup();
    expect(ext.canBind).toBe(false);
    expect(await ext.bind({ PodName: 'p', PodNamespace: 'ns', PodUID: 'u', Node: 'a' })).toMatch(
      /does not bind/,
    );
  });
});

describe('GPU sharing', () => {
  const shareConfig = parseConfig('policy: {packing: 0.25}');
  const gpuNode = (name: string, gpus: number, model?: string) => gpuNodeOf(name, gpus, 16, model);
  const gpuPod = (uid: string, gpu: Record<string, string>, extra: Partial<Pod> = {}): Pod => ({
    metadata: { name: uid, namespace: 'ns', uid, ...extra.metadata },
    spec: {
      containers: [{ resources: { requests: { cpu: '1', memory: '1Gi', ...gpu }, limits: gpu } }],
      ...extra.spec,
    },
  });

  function sharing(config = shareConfig) {
    const state = new MemoryClusterState({
      dims: config.dimensions.map((d) => d.name),
      gpu: config.gpu,
    });
    state.upsertNode(gpuNode('a', 2));
    state.upsertNode(gpuNode('b', 4, 'V100'));
    const writes: string[] = [];
    const annotations = new Map<string, Record<string, string>>();
    const ext = new Extender(config, state, {
      annotate: async (_ns, name, a) => {
        annotations.set(name, a);
        writes.push(`annotate ${name}`);
      },
      bind: async (args, a) => {
        if (a) annotations.set(args.PodName, a);
        writes.push(`bind ${args.PodName}${a ? ' with annotations' : ''}`);
      },
      getPod: async () => {
        throw new Error('not found');
      },
    });
    return { state, ext, writes, annotations };
  }

  const schedule = async (ext: Extender, pod: Pod, node: string) => {
    ext.filter({ Pod: pod, Nodes: null, NodeNames: ['a', 'b'] });
    return ext.bind({
      PodName: pod.metadata!.name!,
      PodNamespace: 'ns',
      PodUID: pod.metadata!.uid!,
      Node: node,
    });
  };

  it('filters a share by single devices, not by the node total', async () => {
    const { ext } = sharing();
    expect(await schedule(ext, gpuPod('s1', { 'aliyun.com/gpu-mem': '10' }), 'a')).toBe('');
    expect(await schedule(ext, gpuPod('s2', { 'aliyun.com/gpu-mem': '10' }), 'a')).toBe('');
    // Node a has 12 of 32 free, but no device has 8.
    const res = ext.filter({
      Pod: gpuPod('s3', { 'aliyun.com/gpu-mem': '8' }),
      Nodes: null,
      NodeNames: ['a', 'b'],
    });
    expect(res.NodeNames).toEqual(['b']);
    expect(res.FailedNodes).toEqual({ a: 'no single GPU has 8 aliyun.com/gpu-mem free' });
    const whole = ext.filter({ Pod: gpuPod('w', { 'nvidia.com/gpu': '1' }), Nodes: null, NodeNames: ['a'] });
    expect(whole.FailedNodes).toEqual({ a: 'Insufficient nvidia.com/gpu' });
  });

  /** What bind records for s1 (6 units on device 0 of a 16-unit GPU) and w1 (whole devices 1 and 2). */
  const expectDevicesOfS1AndW1 = (annotations: Map<string, Record<string, string>>) => {
    expect(annotations.get('s1')).toMatchObject({
      ALIYUN_COM_GPU_MEM_IDX: '0',
      ALIYUN_COM_GPU_MEM_POD: '6',
      ALIYUN_COM_GPU_MEM_DEV: '16',
      ALIYUN_COM_GPU_MEM_ASSIGNED: 'false',
    });
    expect(annotations.get('w1')).toEqual({ ALIYUN_COM_GPU_MEM_IDX: '1,2' });
  };

  it('binds on the best-fit device, records it on the pod with the Binding, and counts it at once', async () => {
    const { ext, writes, annotations } = sharing();
    await schedule(ext, gpuPod('s1', { 'aliyun.com/gpu-mem': '6' }), 'b'); // device 0: 10 left
    await schedule(ext, gpuPod('w1', { 'nvidia.com/gpu': '2' }), 'b'); // devices 1 and 2
    await schedule(ext, gpuPod('s2', { 'aliyun.com/gpu-mem': '4' }), 'b'); // best fit: device 0 again
    await schedule(ext, pod(1, 1, 0, undefined, 'cpu1'), 'a'); // no GPU: a plain Binding
    expect(writes).toEqual([
      'bind s1 with annotations',
      'bind w1 with annotations',
      'bind s2 with annotations',
      'bind cpu1',
    ]);
    expectDevicesOfS1AndW1(annotations);
    expect(annotations.get('s2')).toMatchObject({ ALIYUN_COM_GPU_MEM_IDX: '0' });
  });

  it('with deviceAnnotations: update, updates the pod with its devices before the Binding', async () => {
    const { ext, state, writes, annotations } = sharing(
      parseConfig('policy: {packing: 0.25}\ndeviceAnnotations: update'),
    );
    await schedule(ext, gpuPod('s1', { 'aliyun.com/gpu-mem': '6' }), 'b'); // device 0: 10 left
    await schedule(ext, gpuPod('w1', { 'nvidia.com/gpu': '2' }), 'b'); // devices 1 and 2
    await schedule(ext, gpuPod('s2', { 'aliyun.com/gpu-mem': '4' }), 'b'); // best fit: device 0 again
    expect(writes).toEqual(['annotate s1', 'bind s1', 'annotate w1', 'bind w1', 'annotate s2', 'bind s2']);
    expectDevicesOfS1AndW1(annotations);
    expect(annotations.get('s2')?.ALIYUN_COM_GPU_MEM_IDX).toBe('0');
    expect(state.placementOf(gpuPod('s2', {}))).toMatchObject({ node: 'b', assumed: true, devices: [0] });
    const snap = state.snapshot();
    const i = snap.index.get('b')!;
    expect(Array.from(snap.devFree.subarray(i * 16, i * 16 + 4))).toEqual([6, 0, 0, 16]);
  });

  it('rebuilds per-device state from the pods annotations after a restart', async () => {
    const { ext, state, annotations } = sharing();
    const pods = [
      gpuPod('s1', { 'aliyun.com/gpu-mem': '6' }),
      gpuPod('w1', { 'nvidia.com/gpu': '2' }),
      gpuPod('s2', { 'aliyun.com/gpu-mem': '12' }),
    ];
    for (const p of pods) await schedule(ext, p, 'b');
    const restarted = new MemoryClusterState({
      dims: shareConfig.dimensions.map((d) => d.name),
      gpu: shareConfig.gpu,
    });
    // The watch replays bound pods in any order, before or after their node.
    for (const p of [...pods].reverse()) {
      restarted.upsertPod({
        ...p,
        metadata: { ...p.metadata, annotations: annotations.get(p.metadata!.name!) },
        spec: { ...p.spec, nodeName: 'b' },
      });
    }
    restarted.upsertNode(gpuNode('a', 2));
    restarted.upsertNode(gpuNode('b', 4, 'V100'));
    const before = state.snapshot();
    const after = restarted.snapshot();
    const at = (s: typeof before) => {
      const i = s.index.get('b')!;
      return [
        Array.from(s.devFree.subarray(i * 16, i * 16 + 4)),
        Array.from(s.free.subarray(i * s.dims, (i + 1) * s.dims)),
      ];
    };
    expect(at(after)).toEqual(at(before));
  });

  it.each(['binding', 'update'])(
    'with deviceAnnotations: %s, returns the placement when a write fails',
    async (mode) => {
      const config = parseConfig(`policy: {packing: 0.25}\ndeviceAnnotations: ${mode}`);
      const state = new MemoryClusterState({ dims: config.dimensions.map((d) => d.name), gpu: config.gpu });
      state.upsertNode(gpuNode('a', 2));
      const forbidden = async () => {
        throw new Error('pods "s1" is forbidden');
      };
      const ext = new Extender(config, state, {
        annotate: forbidden,
        bind: mode === 'binding' ? forbidden : async () => {},
        getPod: async () => gpuPod('s1', { 'aliyun.com/gpu-mem': '6' }),
      });
      const error = await ext.bind({ PodName: 's1', PodNamespace: 'ns', PodUID: 's1', Node: 'a' });
      expect(error).toMatch(/forbidden/);
      expect(state.placementOf(gpuPod('s1', {}))).toBeUndefined();
    },
  );

  it('counts GPU-model constraints of arrived pods as pressure on that model', () => {
    const { ext, state } = sharing();
    const constrained = gpuPod(
      'c1',
      { 'nvidia.com/gpu': '1' },
      {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['T4'] }] },
                ],
              },
            },
          },
        },
      },
    );
    ext.prioritize({ Pod: constrained, Nodes: null, NodeNames: ['a'] });
    expect(state.modelPressure('T4')).toBeCloseTo(0.5); // 1 of node a's 2 T4s
    expect(state.modelPressure('V100')).toBe(0);
    state.removePod(constrained);
    expect(state.modelPressure('T4')).toBe(0);
  });

  it('normalises Nodes requests by the same cluster reference as NodeNames requests', () => {
    const { ext } = sharing();
    const p = gpuPod('s', { 'aliyun.com/gpu-mem': '4' });
    expect(ext.prioritize({ Pod: p, Nodes: { items: [gpuNode('a', 2)] }, NodeNames: null })).toEqual(
      ext.prioritize({ Pod: p, Nodes: null, NodeNames: ['a'] }),
    );
  });
});
