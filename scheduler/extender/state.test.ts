import type { Node, Pod } from '../types';
import { MemoryClusterState } from './state';

const dims = ['cpu', 'memory'];
const node = (name: string, cpu: string, memory: string): Node => ({
  metadata: { name },
  status: { allocatable: { cpu, memory } },
});
const pod = (uid: string, nodeName: string | undefined, cpu: string, phase = 'Running'): Pod => ({
  metadata: { uid, name: uid, namespace: 'ns' },
  spec: { nodeName, containers: [{ resources: { requests: { cpu, memory: '1Gi' } } }] },
  status: { phase },
});
const freeOf = (s: MemoryClusterState, name: string) => {
  const snap = s.snapshot();
  const i = snap.index.get(name)!;
  return Array.from(snap.free.subarray(i * 2, i * 2 + 2));
};
const GI = 2 ** 30;

describe('MemoryClusterState', () => {
  it('subtracts bound pods from allocatable and restores on removal', () => {
    const s = new MemoryClusterState({ dims });
    s.upsertNode(node('a', '4', '8Gi'));
    s.upsertPod(pod('p1', 'a', '1'));
    s.upsertPod(pod('p2', 'a', '500m'));
    expect(freeOf(s, 'a')).toEqual([2500, 6 * GI]);
    s.removePod(pod('p1', 'a', '1'));
    expect(freeOf(s, 'a')).toEqual([3500, 7 * GI]);
  });

  it('ignores unbound and terminal pods, and re-counts a pod whose request changes', () => {
    const s = new MemoryClusterState({ dims });
    s.upsertNode(node('a', '4', '8Gi'));
    s.upsertPod(pod('p1', undefined, '1'));
    expect(freeOf(s, 'a')).toEqual([4000, 8 * GI]);
    s.upsertPod(pod('p1', 'a', '1'));
    s.upsertPod(pod('p1', 'a', '2'));
    expect(freeOf(s, 'a')).toEqual([2000, 7 * GI]);
    s.upsertPod(pod('p1', 'a', '2', 'Succeeded'));
    expect(freeOf(s, 'a')).toEqual([4000, 8 * GI]);
  });

  it('counts pods that arrive before their node, and keeps arrays dense on node removal', () => {
    const s = new MemoryClusterState({ dims });
    s.upsertPod(pod('p1', 'b', '1'));
    s.upsertNode(node('a', '4', '8Gi'));
    s.upsertNode(node('b', '8', '16Gi'));
    s.upsertNode(node('c', '2', '2Gi'));
    expect(freeOf(s, 'b')).toEqual([7000, 15 * GI]);
    s.removeNode('a');
    expect(s.nodeCount).toBe(2);
    expect(freeOf(s, 'b')).toEqual([7000, 15 * GI]);
    expect(freeOf(s, 'c')).toEqual([2000, 2 * GI]);
    expect(Array.from(s.snapshot().ref)).toEqual([8000, 16 * GI]);
  });

  it('applies allocatable updates to free capacity', () => {
    const s = new MemoryClusterState({ dims });
    s.upsertNode(node('a', '4', '8Gi'));
    s.upsertPod(pod('p1', 'a', '1'));
    s.upsertNode(node('a', '6', '8Gi'));
    expect(freeOf(s, 'a')).toEqual([5000, 7 * GI]);
  });

  it('expires assumptions, lets the pod watch confirm them, and forgets on request', () => {
    let now = 0;
    const s = new MemoryClusterState({ dims, assumeTtlMs: 1000, now: () => now });
    s.upsertNode(node('a', '4', '8Gi'));
    s.assume(pod('p1', undefined, '1'), 'a');
    expect(freeOf(s, 'a')).toEqual([3000, 7 * GI]);
    now = 1500;
    expect(freeOf(s, 'a')).toEqual([4000, 8 * GI]);
    s.assume(pod('p2', undefined, '1'), 'a');
    s.upsertPod(pod('p2', 'a', '1'));
    now = 10_000;
    expect(freeOf(s, 'a')).toEqual([3000, 7 * GI]);
    s.assume(pod('p3', undefined, '1'), 'a');
    s.forget(pod('p3', undefined, '1'));
    s.forget(pod('p2', 'a', '1')); // bound pods are not forgotten
    expect(freeOf(s, 'a')).toEqual([3000, 7 * GI]);
  });
});
