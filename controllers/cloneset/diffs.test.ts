import type { IntOrString } from '../../apis';
import { calculateDiffs, resolveBudgets } from './diffs';
import { cloneSet, NOW, pod, revisionOf, withImage } from './testing/fixtures';

describe('resolveBudgets: OpenKruise rounding', () => {
  const cases: {
    replicas: number;
    partition?: IntOrString;
    maxUnavailable?: IntOrString;
    maxSurge?: IntOrString;
    paused?: boolean;
    want: { partition: number; maxUnavailable: number; maxSurge: number };
  }[] = [
    { replicas: 10, partition: '50%', want: { partition: 5, maxUnavailable: 2, maxSurge: 0 } },
    { replicas: 5, partition: '50%', want: { partition: 3, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 4, partition: '99%', want: { partition: 3, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 4, partition: '100%', want: { partition: 4, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 1, partition: '99%', want: { partition: 1, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 4, partition: 9, want: { partition: 4, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 3, maxUnavailable: '50%', want: { partition: 0, maxUnavailable: 2, maxSurge: 0 } },
    {
      replicas: 3,
      maxUnavailable: '50%',
      maxSurge: 1,
      want: { partition: 0, maxUnavailable: 1, maxSurge: 1 },
    },
    {
      replicas: 3,
      maxUnavailable: 0,
      maxSurge: '50%',
      want: { partition: 0, maxUnavailable: 0, maxSurge: 2 },
    },
    { replicas: 3, maxSurge: '50%', paused: true, want: { partition: 0, maxUnavailable: 1, maxSurge: 0 } },
    { replicas: 7, want: { partition: 0, maxUnavailable: 2, maxSurge: 0 } },
  ];
  it.each(cases)(
    'replicas $replicas partition $partition maxUnavailable $maxUnavailable maxSurge $maxSurge',
    (c) => {
      const cs = cloneSet({
        replicas: c.replicas,
        updateStrategy: {
          partition: c.partition,
          maxUnavailable: c.maxUnavailable,
          maxSurge: c.maxSurge,
          paused: c.paused,
        },
      });
      expect(resolveBudgets(cs)).toMatchObject(c.want);
    },
  );

  it('resolves scaleStrategy.maxUnavailable rounding up, unlimited when unset', () => {
    expect(
      resolveBudgets(cloneSet({ replicas: 5, scaleStrategy: { maxUnavailable: '30%' } })).scaleMaxUnavailable,
    ).toBe(2);
    expect(resolveBudgets(cloneSet()).scaleMaxUnavailable).toBe(2147483647);
  });
});

describe('calculateDiffs', () => {
  const v1 = cloneSet();
  const r1 = revisionOf(v1);
  const r2 = revisionOf(withImage(v1, 'nginx:2'), 2);
  const at = (rev: typeof r1, n: number, prefix: string, o = {}) =>
    Array.from({ length: n }, (_, i) => pod(`web-${prefix}${i}`, rev, o));

  const cases = [
    {
      name: 'scale up from 1 to 4',
      cs: cloneSet(),
      pods: at(r1, 1, 'a'),
      update: r1,
      want: { scaleUpNum: 3, scaleUpLimit: 3, updateNum: 0 },
    },
    {
      name: 'scaleStrategy.maxUnavailable limits creations by the unavailable pods',
      cs: cloneSet({ scaleStrategy: { maxUnavailable: 2 } }),
      pods: at(r1, 1, 'a', { ready: false }),
      update: r1,
      want: { scaleUpNum: 3, scaleUpLimit: 1 },
    },
    {
      name: 'scale down from 6 to 4',
      cs: cloneSet(),
      pods: at(r1, 6, 'a'),
      update: r1,
      want: { scaleDownNum: 2, deleteReadyLimit: 3 },
    },
    {
      name: 'update all to r2',
      cs: cloneSet(),
      pods: at(r1, 4, 'a'),
      update: r2,
      want: { updateNum: 4, updateMaxUnavailable: 1 },
    },
    {
      name: 'partition 50% keeps 2 old pods',
      cs: cloneSet({ updateStrategy: { partition: '50%' } }),
      pods: [...at(r1, 3, 'a'), ...at(r2, 1, 'b')],
      update: r2,
      want: { updateNum: 1 },
    },
    {
      name: 'partition reached: nothing to update',
      cs: cloneSet({ updateStrategy: { partition: 2 } }),
      pods: [...at(r1, 2, 'a'), ...at(r2, 2, 'b')],
      update: r2,
      want: { updateNum: 0, scaleUpNum: 0, scaleDownNum: 0 },
    },
    {
      name: 'maxSurge 1 creates one extra pod at the update revision',
      cs: cloneSet({ updateStrategy: { maxSurge: 1, maxUnavailable: 0 } }),
      pods: at(r1, 4, 'a'),
      update: r2,
      want: { useSurge: 1, useSurgeOldRevision: 0, scaleUpNum: 1, scaleUpNumOldRevision: 0, updateNum: 4 },
    },
    {
      name: 'surge pod created: the surplus old pod goes next',
      cs: cloneSet({ updateStrategy: { maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...at(r1, 4, 'a'), ...at(r2, 1, 'b')],
      update: r2,
      want: { useSurge: 1, scaleUpNum: 0, scaleDownNum: 0, updateNum: 3, updateMaxUnavailable: 1 },
    },
    {
      name: 'specified delete uses surge when the budget is spent',
      cs: cloneSet({ updateStrategy: { maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...at(r1, 3, 'a'), pod('web-x', r1, { labels: { 'apps.kruise.io/specified-delete': 'true' } })],
      update: r1,
      want: { useSurge: 1, scaleUpNum: 1, deleteReadyLimit: 0 },
    },
    {
      name: 'specified delete: once the surge pod exists the ready pod may go',
      cs: cloneSet({ updateStrategy: { maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...at(r1, 4, 'a'), pod('web-x', r1, { labels: { 'apps.kruise.io/specified-delete': 'true' } })],
      update: r1,
      want: { useSurge: 1, scaleUpNum: 0, scaleDownNum: 0, deleteReadyLimit: 1 },
    },
    {
      name: 'paused forces maxSurge to 0',
      cs: cloneSet({ updateStrategy: { maxSurge: 1, paused: true } }),
      pods: at(r1, 4, 'a'),
      update: r2,
      want: { useSurge: 0, scaleUpNum: 0 },
    },
  ];
  it.each(cases)('$name', ({ cs, pods, update, want }) => {
    expect(calculateDiffs(cs, pods, update.metadata.name!, NOW)).toMatchObject(want);
  });

  it('counts a PreparingDelete pod as unavailable and not active', () => {
    const pods = [...at(r1, 4, 'a'), pod('web-z', r1, { state: 'PreparingDelete' })];
    const d = calculateDiffs(cloneSet(), pods, r2.metadata.name!, NOW);
    expect(d.updateNum).toBe(4);
    expect(d.scaleDownNum).toBe(1);
    expect(d.deleteReadyLimit).toBe(1 + 1 - 1);
  });

  it('minReadySeconds: a pod ready for less time is unavailable', () => {
    const pods = [...at(r1, 3, 'a'), pod('web-n', r1, { readyMinutesAgo: 0.5 })];
    const d = calculateDiffs(
      cloneSet({ minReadySeconds: 60, replicas: 5, scaleStrategy: { maxUnavailable: 1 } }),
      pods,
      r1.metadata.name!,
      NOW,
    );
    expect(d).toMatchObject({ scaleUpNum: 1, scaleUpLimit: 0 });
  });
});
