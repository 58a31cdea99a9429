// The InPlaceUpdateReady readiness gate. CloneSet injects it into the pods it creates, but only when its
// update strategy can update in place: with ReCreate/OnDelete nothing would ever set the condition and
// the pod would stay NotReady (OpenKruise #892).
import { type CloneSetUpdateStrategyType, InPlaceUpdateReadyCondition, type PodSpec } from '../../apis';

export function strategyCanUpdateInPlace(type: CloneSetUpdateStrategyType | string | undefined): boolean {
  return type === 'InPlaceIfPossible' || type === 'InPlaceOnly';
}

export function hasInPlaceReadinessGate(spec: Pick<PodSpec, 'readinessGates'>): boolean {
  return (spec.readinessGates ?? []).some((g) => g.conditionType === InPlaceUpdateReadyCondition);
}

/** A copy of `spec` with the gate added when `strategyType` can update in place (idempotent). */
export function withInPlaceReadinessGate<S extends PodSpec>(spec: S, strategyType: string | undefined): S {
  if (!strategyCanUpdateInPlace(strategyType) || hasInPlaceReadinessGate(spec)) return spec;
  return {
    ...spec,
    readinessGates: [...(spec.readinessGates ?? []), { conditionType: InPlaceUpdateReadyCondition }],
  };
}
