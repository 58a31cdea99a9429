import { InPlaceUpdateReadyCondition, type PodSpec } from '../../apis';
import { hasInPlaceReadinessGate, withInPlaceReadinessGate } from './readiness';

describe('withInPlaceReadinessGate (OpenKruise #892)', () => {
  const spec: PodSpec = { containers: [{ name: 'c', image: 'x:1' }] };
  it.each([
    ['ReCreate', false],
    ['OnDelete', false],
    [undefined, false],
    ['InPlaceIfPossible', true],
    ['InPlaceOnly', true],
  ])('strategy %s → gate %s', (type, gated) => {
    expect(hasInPlaceReadinessGate(withInPlaceReadinessGate(spec, type))).toBe(gated);
  });
  it('never adds the gate twice', () => {
    const once = withInPlaceReadinessGate(spec, 'InPlaceIfPossible');
    expect(withInPlaceReadinessGate(once, 'InPlaceIfPossible').readinessGates).toEqual([
      { conditionType: InPlaceUpdateReadyCondition },
    ]);
  });
});
