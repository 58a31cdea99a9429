// Readiness gates. Kruise puts InPlaceUpdateReady (and KruisePodReady) on every pod its workloads
// create, so a pod created under ReCreate can later be drained for an in-place update like any other.
import type { PodSpec } from '../../apis';

/** The pod update policies that try in place first (CloneSet updateStrategy.type, ASTS podUpdatePolicy). */
export function strategyCanUpdateInPlace(type: string | undefined): boolean {
  return type === 'InPlaceIfPossible' || type === 'InPlaceOnly';
}

export function hasReadinessGate(spec: Pick<PodSpec, 'readinessGates'>, conditionType: string): boolean {
  return (spec.readinessGates ?? []).some((g) => g.conditionType === conditionType);
}

/** A copy of `spec` carrying each of the gates (idempotent). */
export function withReadinessGates<S extends PodSpec>(spec: S, conditionTypes: readonly string[]): S {
  const missing = conditionTypes.filter((type) => !hasReadinessGate(spec, type));
  if (missing.length === 0) return spec;
  const added = missing.map((conditionType) => ({ conditionType }));
  return { ...spec, readinessGates: [...(spec.readinessGates ?? []), ...added] };
}
