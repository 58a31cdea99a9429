import { parseConfig } from '../config';
import type { Node, Pod } from '../types';
import { Extender } from './extender';
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
  const state = new MemoryClusterState(dims);
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
    expect(score.ghost).toBe(0);
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
    const state = new MemoryClusterState(dims);
    state.upsertNode(node('a', 4, 8, 0));
    const bound: string[] = [];
    const ext = new Extender(config, state, async (args) => {
      bound.push(`${args.PodNamespace}/${args.PodName}->${args.Node}`);
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
