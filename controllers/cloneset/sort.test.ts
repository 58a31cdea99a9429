import { cloneSet, NOW, pod, revisionOf } from './fixtures';
import { isPodAvailable } from './pods';
import { deletionCost, priorityOrder, sameNodeRanks, scaleInOrder } from './sort';

const r1 = revisionOf(cloneSet());
const available = (p: Parameters<typeof isPodAvailable>[0]) => isPodAvailable(p, 0, NOW);
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
