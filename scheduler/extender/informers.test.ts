import type { EventHandler } from '../../runtime/informer';
import type { Node, Pod } from '../types';
import { type ClusterInformers, feedClusterState } from './informers';
import { MemoryClusterState } from './state';

// Only the handler side of an informer: the real list-watch path runs in test/e2e/extender-scheduler.test.ts.
function handlerSink<T>() {
  const handlers: EventHandler<T>[] = [];
  const informer = {
    addEventHandler: (h: EventHandler<T>) => {
      handlers.push(h);
      return () => handlers.splice(handlers.indexOf(h), 1);
    },
  } as unknown;
  return { informer, handlers };
}

const node = (name: string, cpu: string): Node => ({
  metadata: { name },
  status: { allocatable: { cpu, memory: '8Gi' } },
});
const pod = (uid: string, nodeName?: string, phase?: string): Pod => ({
  metadata: { uid, name: uid, namespace: 'ns' },
  spec: { nodeName, containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
  status: { phase },
});

describe('feedClusterState', () => {
  function setup() {
    const nodes = handlerSink<Node>();
    const pods = handlerSink<Pod>();
    const state = new MemoryClusterState({ dims: ['cpu', 'memory'] });
    const detach = feedClusterState(
      { nodes: nodes.informer, pods: pods.informer } as unknown as ClusterInformers,
      state,
    );
    return { nodes: nodes.handlers, pods: pods.handlers, state, detach };
  }

  it('follows node adds, updates and deletes', () => {
    const { nodes, state } = setup();
    nodes[0]!.onAdd?.(node('a', '4'));
    nodes[0]!.onAdd?.(node('b', '4'));
    nodes[0]!.onUpdate?.(node('a', '4'), node('a', '8'));
    expect(Array.from(state.snapshot().alloc)).toEqual([8000, 8 * 2 ** 30, 4000, 8 * 2 ** 30]);
    nodes[0]!.onDelete?.(node('a', '8'));
    expect(state.nodeCount).toBe(1);
    expect(state.snapshot().index.has('a')).toBe(false);
  });

  it('counts bound pods until they end or go away, and ignores unbound ones', () => {
    const { nodes, pods, state } = setup();
    nodes[0]!.onAdd?.(node('a', '4'));
    pods[0]!.onAdd?.(pod('p1'));
    expect(state.used('a')[0]).toBe(0);
    pods[0]!.onUpdate?.(pod('p1'), pod('p1', 'a'));
    pods[0]!.onAdd?.(pod('p2', 'a'));
    expect(state.used('a')[0]).toBe(2000);
    pods[0]!.onUpdate?.(pod('p1', 'a'), pod('p1', 'a', 'Succeeded'));
    expect(state.used('a')[0]).toBe(1000);
    pods[0]!.onDelete?.(pod('p2', 'a'));
    expect(state.used('a')[0]).toBe(0);
  });

  it('replaces an assumed placement with the observed binding', () => {
    const { nodes, pods, state } = setup();
    nodes[0]!.onAdd?.(node('a', '4'));
    nodes[0]!.onAdd?.(node('b', '4'));
    state.assume(pod('p1'), 'a');
    expect(state.placementOf(pod('p1'))).toEqual({ node: 'a', assumed: true, devices: [] });
    pods[0]!.onAdd?.(pod('p1', 'b'));
    expect(state.placementOf(pod('p1'))).toEqual({ node: 'b', assumed: false, devices: [] });
    expect(state.used('a')[0]).toBe(0);
    expect(state.used('b')[0]).toBe(1000);
  });

  it('stops feeding once detached', () => {
    const { nodes, pods, detach } = setup();
    detach();
    expect(nodes).toHaveLength(0);
    expect(pods).toHaveLength(0);
  });
});
