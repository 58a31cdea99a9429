import type { ControllerRevision, Pod } from '../../apis';
import {
  deletionCost,
  priorityOrder,
  sameNodeRanks,
  scaleInOrder,
  scatterOrder,
  sortActivePods,
  spreadConstraintRanks,
} from './ordering';
import { isPodAvailable } from './pods';
import { NOW, pod } from './testing/pods';

const r1: ControllerRevision = {
  metadata: { name: 'web-r1' },
  data: { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1' }] } } } },
  revision: 1,
};
const available = { isAvailable: (p: Pod) => isPodAvailable(p, 0, NOW) };
const COST = 'controller.kubernetes.io/pod-deletion-cost';
const names = (pods: { metadata: { name?: string } }[]) => pods.map((p) => p.metadata.name);

describe('scaleInOrder (first deleted first)', () => {
  const cases = [
    {
      name: 'unassigned before assigned',
      pods: [pod('web-a', r1, { node: 'n1' }), pod('web-b', r1, { node: '' })],
      first: 'web-b',
    },
    {
      name: 'Pending before Running',
      pods: [
        pod('web-a', r1, { node: 'n1' }),
        pod('web-b', r1, { node: 'n2', phase: 'Pending', ready: false }),
      ],
      first: 'web-b',
    },
    {
      name: 'unavailable (lifecycle not Normal) before available',
      pods: [pod('web-a', r1, { node: 'n1' }), pod('web-b', r1, { node: 'n2', state: 'PreparingUpdate' })],
      first: 'web-b',
    },
    {
      name: 'not ready before ready',
      pods: [pod('web-a', r1, { node: 'n1' }), pod('web-b', r1, { node: 'n2', ready: false })],
      first: 'web-b',
    },
    {
      name: 'lower pod-deletion-cost first',
      pods: [
        pod('web-a', r1, { node: 'n1', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '10' } }),
        pod('web-b', r1, { node: 'n2', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-5' } }),
      ],
      first: 'web-b',
    },
    {
      name: 'pods sharing a node first',
      pods: [
        pod('web-a', r1, { node: 'n1' }),
        pod('web-b', r1, { node: 'n2' }),
        pod('web-c', r1, { node: 'n2', createdMinutesAgo: 120 }),
      ],
      first: 'web-b',
    },
    {
      name: 'ready for less time first',
      pods: [
        pod('web-a', r1, { node: 'n1', readyMinutesAgo: 50 }),
        pod('web-b', r1, { node: 'n2', readyMinutesAgo: 5 }),
      ],
      first: 'web-b',
    },
    {
      name: 'more restarts first',
      pods: [pod('web-a', r1, { node: 'n1' }), pod('web-b', r1, { node: 'n2', restarts: 3 })],
      first: 'web-b',
    },
    {
      name: 'newer first',
      pods: [
        pod('web-a', r1, { node: 'n1', createdMinutesAgo: 90 }),
        pod('web-b', r1, { node: 'n2', createdMinutesAgo: 30 }),
      ],
      first: 'web-b',
    },
  ];
  it.each(cases)('$name', ({ pods, first }) => {
    expect(scaleInOrder(pods, available)[0]!.metadata.name).toBe(first);
    expect(scaleInOrder([...pods].reverse(), available)[0]!.metadata.name).toBe(first);
  });

  it('deletion cost outranks node sharing and age', () => {
    const pods = [
      pod('web-a', r1, { node: 'n1', createdMinutesAgo: 1 }),
      pod('web-b', r1, { node: 'n1', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1' } }),
      pod('web-c', r1, {
        node: 'n2',
        annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1' },
        createdMinutesAgo: 500,
      }),
    ];
    expect(names(scaleInOrder(pods, available))).toEqual(['web-b', 'web-c', 'web-a']);
  });
});

describe('deletionCost', () => {
  it.each([
    ['5', 5],
    ['-3', -3],
    ['0', 0],
    ['+4', 0],
    ['007', 0],
    ['abc', 0],
    ['99999999999', 0],
    [undefined, 0],
  ])('%s → %d', (value, cost) => {
    const annotations =
      value === undefined ? undefined : { 'controller.kubernetes.io/pod-deletion-cost': value };
    expect(deletionCost(pod('web-a', r1, { annotations }))).toBe(cost);
  });
});

describe('sameNodeRanks', () => {
  it('ranks all but the best pod on a crowded node, the worst highest', () => {
    const pods = [
      pod('web-a', r1, { node: 'n1', createdMinutesAgo: 300 }),
      pod('web-b', r1, { node: 'n1', createdMinutesAgo: 200 }),
      pod('web-c', r1, { node: 'n1', createdMinutesAgo: 100 }),
      pod('web-d', r1, { node: 'n2' }),
    ];
    const ranks = sameNodeRanks(pods);
    expect(pods.map((p) => ranks.get(p) ?? 0)).toEqual([0, 1, 2, 0]);
  });

  it('orders a crowded node by pod-deletion-cost before age, as Kruise sorts it', () => {
    const pods = [
      pod('web-a', r1, { node: 'n1', createdMinutesAgo: 300, annotations: { [COST]: '-10' } }),
      pod('web-b', r1, { node: 'n1', createdMinutesAgo: 100, annotations: { [COST]: '10' } }),
    ];
    const ranks = sameNodeRanks(pods);
    // The older pod would be kept by age alone; its lower cost makes it the one ranked for deletion.
    expect(pods.map((p) => ranks.get(p) ?? 0)).toEqual([1, 0]);
  });
});

describe('spreadConstraintRanks and scaleInOrder by topology', () => {
  const zones: Record<string, Record<string, string>> = {
    n1: { zone: 'a', 'kubernetes.io/hostname': 'n1' },
    n2: { zone: 'a', 'kubernetes.io/hostname': 'n2' },
    n3: { zone: 'b', 'kubernetes.io/hostname': 'n3' },
  };
  const nodeLabels = (node: string) => zones[node];
  const pods = [
    pod('web-a', r1, { node: 'n1', createdMinutesAgo: 50 }),
    pod('web-b', r1, { node: 'n2', createdMinutesAgo: 40 }),
    pod('web-c', r1, { node: 'n2', createdMinutesAgo: 30 }),
    pod('web-d', r1, { node: 'n3', createdMinutesAgo: 10 }),
  ];

  it('ranks the crowded zone higher, weighted by ln(values + 2)', () => {
    const ranks = spreadConstraintRanks(pods, ['zone'], nodeLabels);
    const w = Math.log(4);
    // Zone a holds 3 pods: ranks 3, 2, 1 (n2's pods first: they share a node); zone b's only pod gets 1.
    expect(pods.map((p) => ranks.get(p))).toEqual([1 * w, 2 * w, 3 * w, 1 * w]);
  });

  it('scale-in takes pods from the crowded zone first, not the newest pod', () => {
    const order = scaleInOrder(pods, { ...available, topologyKeys: ['zone'], nodeLabels });
    expect(names(order).slice(0, 2)).toEqual(['web-c', 'web-b']);
    // Without constraints the same-node ranker and age decide.
    expect(names(scaleInOrder(pods, available))[0]).toBe('web-c');
  });

  it('gives no rank for a key nodes do not carry or an unknown node', () => {
    const ranks = spreadConstraintRanks(pods, ['rack'], nodeLabels);
    expect(ranks.size).toBe(0);
    expect(spreadConstraintRanks(pods, ['zone'], () => undefined).size).toBe(0);
  });
});

describe('scatterOrder (Kruise scatterSort)', () => {
  const at = (name: string, zone: string) => pod(name, r1, { labels: { zone } });
  const zonesOf = (order: Pod[]) => order.map((p) => p.metadata.labels?.zone).join('');

  it('spreads the pods matching a term through the order instead of updating them together', () => {
    const candidates = [
      at('a1', 'a'),
      at('a2', 'a'),
      at('a3', 'a'),
      at('b1', 'b'),
      at('b2', 'b'),
      at('b3', 'b'),
    ];
    const order = scatterOrder(candidates, candidates, [{ key: 'zone', value: 'a' }]);
    // Kruise: the last matched pod goes last; the rest in groups of round(2/2)=1 a and round(3/2)=2 b.
    expect(zonesOf(order)).toBe('abbaba');
    expect(names(order)).toEqual(['a1', 'b1', 'b2', 'a2', 'b3', 'a3']);
  });

  it('weighs the densities over all pods: a later round puts an unmatched pod first', () => {
    // The second round of a one-at-a-time rollout of x x x u u u, after x0 was updated.
    const all = [at('x0', 'a'), at('x1', 'a'), at('x2', 'a'), at('u0', 'b'), at('u1', 'b'), at('u2', 'b')];
    const order = scatterOrder(all.slice(1), all, [{ key: 'zone', value: 'a' }]);
    expect(names(order)).toEqual(['u0', 'x1', 'u1', 'u2', 'x2']);
  });

  it('leaves the order alone without a strategy, or with one matched pod', () => {
    const candidates = [at('a1', 'a'), at('b1', 'b'), at('b2', 'b')];
    expect(scatterOrder(candidates, candidates, undefined)).toBe(candidates);
    expect(scatterOrder(candidates, candidates, [{ key: 'zone', value: 'a' }])).toEqual(candidates);
  });
});

describe('priorityOrder', () => {
  const labelled = (name: string, labels: Record<string, string>) => pod(name, r1, { labels });
  it('orderPriority: higher trailing number first, pods without the key first (as Kruise)', () => {
    const pods = [
      labelled('web-a', { order: 'x-2' }),
      labelled('web-b', { order: 'x-10' }),
      labelled('web-c', {}),
    ];
    expect(names(priorityOrder(pods, { orderPriority: [{ orderedKey: 'order' }] }))).toEqual([
      'web-c',
      'web-b',
      'web-a',
    ]);
  });
  it('weightPriority: heavier first, stable otherwise', () => {
    const pods = [labelled('web-a', {}), labelled('web-b', { canary: 'true' }), labelled('web-c', {})];
    const strategy = { weightPriority: [{ weight: 50, matchSelector: { matchLabels: { canary: 'true' } } }] };
    expect(names(priorityOrder(pods, strategy))).toEqual(['web-b', 'web-a', 'web-c']);
  });
});

describe('sortActivePods ties', () => {
  it('pods equal in every fact come in name order, whatever order they are listed in', () => {
    const same = { createdMinutesAgo: 5, readyMinutesAgo: 4 };
    const pods = ['web-c', 'web-a', 'web-b'].map((n) => pod(n, r1, same));
    expect(names(sortActivePods(pods))).toEqual(['web-a', 'web-b', 'web-c']);
    expect(names(sortActivePods([...pods].reverse()))).toEqual(['web-a', 'web-b', 'web-c']);
  });
});
