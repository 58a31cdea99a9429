import {
  type FitNode,
  type FitPod,
  type Misfit,
  NodeFit,
  pinnedNode,
  pinToNode,
  type Taint,
  type Toleration,
  toleratesTaint,
} from './node-fit';

const node = (over: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean } = {}) =>
  ({
    metadata: { name: 'n1', labels: { zone: 'a', gen: '5', ...over.labels } },
    spec: { taints: over.taints, unschedulable: over.unschedulable },
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '3', 'example.com/fpga': '1' } },
  }) satisfies FitNode;

const pod = (spec: NonNullable<FitPod['spec']> = {}): FitPod => ({
  spec: { containers: [{ name: 'c' }], ...spec },
});

const requesting = (requests: Record<string, string>, phase?: string): FitPod => ({
  spec: { containers: [{ name: 'c', resources: { requests } }] },
  status: { phase },
});

const affinity = (...terms: unknown[]) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});
const expr = (key: string, operator: string, values?: string[]) => ({
  matchExpressions: [{ key, operator, values }],
});

describe('toleratesTaint (core/v1 Toleration.ToleratesTaint)', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  it.each<[string, Toleration, boolean]>([
    [
      'Equal with the same key, value and effect',
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      true,
    ],
    ['an empty operator means Equal', { key: 'dedicated', value: 'gpu' }, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    ['Exists with the key', { key: 'dedicated', operator: 'Exists' }, true],
    ['Exists without a key tolerates every taint', { operator: 'Exists' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['an unknown operator', { key: 'dedicated', operator: 'Gt', value: 'gpu' }, false],
  ])('%s: %p', (_name, toleration, expected) => {
    expect(toleratesTaint(toleration, taint)).toBe(expected);
  });
});

describe('NodeFit.schedulingMisfit (kube-scheduler filters)', () => {
  const noSchedule: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const noExecute: Taint = { key: 'maintenance', effect: 'NoExecute' };
  const prefer: Taint = { key: 'spot', effect: 'PreferNoSchedule' };
  it.each<[string, FitPod, ReturnType<typeof node>, Misfit['reason'] | undefined]>([
    ['a plain pod on a plain node', pod(), node(), undefined],
    ['nodeName set to another node', pod({ nodeName: 'n2' }), node(), 'NodeName'],
    ['nodeName set to this node', pod({ nodeName: 'n1' }), node(), undefined],
    ['nodeSelector matches', pod({ nodeSelector: { zone: 'a' } }), node(), undefined],
    ['nodeSelector does not match', pod({ nodeSelector: { zone: 'b' } }), node(), 'NodeAffinity'],
    ['In', pod({ affinity: affinity(expr('zone', 'In', ['a', 'b'])) }), node(), undefined],
    ['In, no value matches', pod({ affinity: affinity(expr('zone', 'In', ['b'])) }), node(), 'NodeAffinity'],
    [
      'NotIn on a missing label',
      pod({ affinity: affinity(expr('disk', 'NotIn', ['ssd'])) }),
      node(),
      undefined,
    ],
    [
      'NotIn with the value',
      pod({ affinity: affinity(expr('zone', 'NotIn', ['a'])) }),
      node(),
      'NodeAffinity',
    ],
    ['Exists', pod({ affinity: affinity(expr('zone', 'Exists')) }), node(), undefined],
    ['DoesNotExist', pod({ affinity: affinity(expr('zone', 'DoesNotExist')) }), node(), 'NodeAffinity'],
    ['Gt', pod({ affinity: affinity(expr('gen', 'Gt', ['4'])) }), node(), undefined],
    ['Gt, not greater', pod({ affinity: affinity(expr('gen', 'Gt', ['5'])) }), node(), 'NodeAffinity'],
    ['Lt', pod({ affinity: affinity(expr('gen', 'Lt', ['6'])) }), node(), undefined],
    [
      'Lt on a non-integer label',
      pod({ affinity: affinity(expr('zone', 'Lt', ['6'])) }),
      node(),
      'NodeAffinity',
    ],
    [
      'terms are ORed',
      pod({ affinity: affinity(expr('zone', 'In', ['b']), expr('zone', 'In', ['a'])) }),
      node(),
      undefined,
    ],
    [
      'requirements in one term are ANDed',
      pod({
        affinity: affinity({
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a'] },
            { key: 'gen', operator: 'In', values: ['4'] },
          ],
        }),
      }),
      node(),
      'NodeAffinity',
    ],
    ['an empty term matches no node', pod({ affinity: affinity({}) }), node(), 'NodeAffinity'],
    [
      'matchFields metadata.name',
      pod({
        affinity: affinity({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }),
      }),
      node(),
      undefined,
    ],
    [
      'matchFields on another field',
      pod({ affinity: affinity({ matchFields: [{ key: 'spec.x', operator: 'In', values: ['n1'] }] }) }),
      node(),
      'NodeAffinity',
    ],
    [
      'nodeSelector and affinity must both match',
      pod({ nodeSelector: { zone: 'b' }, affinity: affinity(expr('zone', 'In', ['a'])) }),
      node(),
      'NodeAffinity',
    ],
    ['an untolerated NoSchedule taint', pod(), node({ taints: [noSchedule] }), 'Taint'],
    ['an untolerated NoExecute taint', pod(), node({ taints: [noExecute] }), 'Taint'],
    ['PreferNoSchedule never filters', pod(), node({ taints: [prefer] }), undefined],
    [
      'tolerated taints',
      pod({
        tolerations: [
          { key: 'dedicated', operator: 'Exists' },
          { key: 'maintenance', operator: 'Exists' },
        ],
      }),
      node({ taints: [noSchedule, noExecute] }),
      undefined,
    ],
    ['a cordoned node', pod(), node({ unschedulable: true }), 'Unschedulable'],
    [
      'a cordoned node, tolerated',
      pod({
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      }),
      node({ unschedulable: true }),
      undefined,
    ],
    ['requests that fit', requesting({ cpu: '4', memory: '8Gi' }), node(), undefined],
    ['more cpu than the node has', requesting({ cpu: '4100m' }), node(), 'Resources'],
    ['an extended resource the node has', requesting({ 'example.com/fpga': '1' }), node(), undefined],
    ['an extended resource the node lacks', requesting({ 'nvidia.com/gpu': '1' }), node(), 'Resources'],
    ['an invalid quantity', requesting({ cpu: 'lots' }), node(), 'Resources'],
  ])('%s', (_name, p, n, reason) => {
    expect(new NodeFit(p).schedulingMisfit(n, [])?.reason).toBe(reason);
  });

  it('counts what the pods bound to the node request, but not terminal pods', () => {
    const fit = new NodeFit(requesting({ cpu: '2', memory: '1Gi' }));
    expect(fit.schedulingMisfit(node(), [requesting({ cpu: '2' })])).toBeUndefined();
    expect(fit.schedulingMisfit(node(), [requesting({ cpu: '2100m' })])).toEqual({
      reason: 'Resources',
      message: 'Insufficient cpu',
    });
    expect(fit.schedulingMisfit(node(), [requesting({ cpu: '3' }, 'Succeeded')])).toBeUndefined();
    expect(fit.schedulingMisfit(node(), [requesting({ cpu: '3' }, 'Failed')])).toBeUndefined();
    expect(fit.schedulingMisfit(node(), [requesting({ memory: '7500Mi' })])?.message).toBe(
      'Insufficient memory',
    );
  });

  it('counts pods against allocatable pods, even for a pod that requests nothing', () => {
    const fit = new NodeFit(pod());
    expect(fit.schedulingMisfit(node(), [pod(), pod()])).toBeUndefined();
    expect(fit.schedulingMisfit(node(), [pod(), pod(), pod()])).toEqual({
      reason: 'Resources',
      message: 'Too many pods',
    });
    expect(fit.schedulingMisfit({ ...node(), status: {} }, [])?.message).toBe('Too many pods');
  });

  it('names the taint it found', () => {
    const fit = new NodeFit(pod());
    expect(
      fit.schedulingMisfit(node({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), []),
    ).toEqual({ reason: 'Taint', message: 'node(s) had untolerated taint {dedicated: gpu} (NoSchedule)' });
  });

  it('reads malformed input as absent rather than throwing', () => {
    const junk = {
      spec: { affinity: 'x', tolerations: [null, 3, { key: 7 }], nodeSelector: null, containers: [{}] },
    } as unknown as FitPod;
    const junkNode = { spec: { taints: [null, { key: 'k' }] }, status: { allocatable: { pods: 'many' } } };
    expect(new NodeFit(junk).schedulingMisfit(junkNode as FitNode, [])?.reason).toBe('Resources');
    expect(new NodeFit(junk).runningMisfit(junkNode as FitNode)).toBeUndefined();
  });
});

describe('NodeFit.runningMisfit (DaemonSet shouldContinueRunning)', () => {
  it.each<[string, FitPod, ReturnType<typeof node>, Misfit['reason'] | undefined]>([
    [
      'a NoSchedule taint keeps no running pod away',
      pod(),
      node({ taints: [{ key: 'k', effect: 'NoSchedule' }] }),
      undefined,
    ],
    [
      'an untolerated NoExecute taint evicts',
      pod(),
      node({ taints: [{ key: 'k', effect: 'NoExecute' }] }),
      'Taint',
    ],
    [
      'a tolerated NoExecute taint',
      pod({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }] }),
      node({ taints: [{ key: 'k', effect: 'NoExecute' }] }),
      undefined,
    ],
    ['a cordon', pod(), node({ unschedulable: true }), undefined],
    [
      'a node that no longer matches the selector',
      pod({ nodeSelector: { zone: 'b' } }),
      node(),
      'NodeAffinity',
    ],
    ['a full node', requesting({ cpu: '64' }), node(), undefined],
  ])('%s', (_name, p, n, reason) => {
    expect(new NodeFit(p).runningMisfit(n)?.reason).toBe(reason);
  });

  it("counts the running pod's own tolerations with the template's", () => {
    const notReady = node({ taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] });
    const fit = new NodeFit(pod());
    const admitted = pod({
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
    });
    expect(fit.runningMisfit(notReady)?.reason).toBe('Taint');
    expect(fit.runningMisfit(notReady, pod())?.reason).toBe('Taint');
    expect(fit.runningMisfit(notReady, admitted)).toBeUndefined();
    // Only tolerations: the running pod's own selector does not widen the template's.
    const elsewhere = new NodeFit(pod({ nodeSelector: { zone: 'b' } }));
    expect(elsewhere.runningMisfit(node(), admitted)?.reason).toBe('NodeAffinity');
  });
});

describe('pinning a pod to one node', () => {
  it('replaces the required terms and keeps everything else', () => {
    const original = {
      podAntiAffinity: { x: 1 },
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [expr('zone', 'In', ['a'])] },
      },
    };
    const pinned = pinToNode(original, 'n7');
    expect(pinned).toEqual({
      podAntiAffinity: { x: 1 },
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }],
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }],
        },
      },
    });
    expect(
      original.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toHaveLength(1);
    expect(pinnedNode({ spec: { affinity: pinned } })).toBe('n7');
    expect(pinnedNode({ spec: { affinity: pinToNode(undefined, 'n8') } })).toBe('n8');
  });

  it('reads the node from spec.nodeName first, and finds none in other affinities', () => {
    expect(pinnedNode({ spec: { nodeName: 'n1', affinity: pinToNode(undefined, 'n2') } })).toBe('n1');
    expect(pinnedNode({ spec: { affinity: affinity(expr('zone', 'In', ['a'])) } })).toBeUndefined();
    expect(
      pinnedNode({
        spec: {
          affinity: affinity({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }),
        },
      }),
    ).toBeUndefined();
  });
});
