// Status conditions of workload objects (Kruise SetCloneSetCondition and friends), for any status with
// a `conditions` list.
export interface WorkloadCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

interface WithConditions<C extends WorkloadCondition> {
  conditions?: C[];
}

/** Kruise SetXCondition: same status and reason keep the old condition (and its times). */
export function setCondition<C extends WorkloadCondition>(status: WithConditions<C>, condition: C): void {
  const conditions = status.conditions ?? [];
  const current = conditions.find((c) => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...conditions.filter((c) => c.type !== condition.type), next];
}

/**
 * A copy of `status` with the failure condition `type` set True with `message` (Kruise sets FailedScale
 * and FailedUpdate this way and never clears them). The executor alone decides failures.
 */
export function withFailureCondition<S extends WithConditions<WorkloadCondition>>(
  status: S,
  type: string,
  message: string,
  now: Date,
): S {
  const at = now.toISOString();
  const conditions = (status.conditions ?? []).filter((c) => c.type !== type);
  return {
    ...status,
    conditions: [...conditions, { type, status: 'True', lastTransitionTime: at, message }],
  };
}
