import { selectorMatches, selectorString, selectorsOverlap } from './labels';

describe('selectorMatches (metav1.LabelSelectorAsSelector)', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
  ] as const)('%j → %p', (selector, want) => {
    expect(selectorMatches(selector as never, labels)).toBe(want);
  });
});

describe('selectorsOverlap (Kruise util.IsSelectorOverlapping)', () => {
  it.each([
    [{ matchLabels: { a: '1' } }, { matchLabels: { a: '2' } }, false],
    [{ matchLabels: { a: '1' } }, { matchLabels: { b: '2' } }, true],
    [
      { matchLabels: { a: '1' } },
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] },
      true,
    ],
    [
      { matchLabels: { a: '1' } },
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] },
      false,
    ],
    [{ matchLabels: { a: '1' } }, { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, false],
  ])('%j vs %j → %p', (a, b, want) => {
    expect(selectorsOverlap(a, b)).toBe(want);
  });
});

describe('selectorString', () => {
  it('renders matchLabels and expressions sorted by key, as labels.Selector.String()', () => {
    const s = selectorString({
      matchLabels: { b: '2', a: '1' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'c', operator: 'DoesNotExist' },
      ],
    });
    expect(s).toBe('a=1,b=2,!c,env in (dev,prod)');
  });
});
