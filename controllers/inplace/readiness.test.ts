import { InPlaceUpdateReadyCondition, KruisePodReadyCondition, type PodSpec } from '../../apis';
import { hasReadinessGate, strategyCanUpdateInPlace, withReadinessGates } from './readiness';

describe('readiness gates', () => {
  const spec: PodSpec = { containers: [{ name: 'c', image: 'x:1' }] };
  const gates = [InPlaceUpdateReadyCondition, KruisePodReadyCondition];

  it('adds each missing gate once', () => {
    const once = withReadinessGates(spec, gates);
    expect(gates.every((g) => hasReadinessGate(once, g))).toBe(true);
    expect(withReadinessGates(once, gates)).toBe(once);
    expect(withReadinessGates(once, gates).readinessGates).toHaveLength(2);
    expect(hasReadinessGate(spec, InPlaceUpdateReadyCondition)).toBe(false);
  });

  it.each([
    ['ReCreate', false],
    ['OnDelete', false],
    [undefined, false],
    ['InPlaceIfPossible', true],
    ['InPlaceOnly', true],
  ])('strategy %s tries in place: %s', (type, inPlace) => {
    expect(strategyCanUpdateInPlace(type)).toBe(inPlace);
  });
});
