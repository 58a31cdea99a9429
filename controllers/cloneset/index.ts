// CloneSet (apps.kruise.io/v1alpha1): `plan` decides, the executor applies, the controller wires the
// watches; see README.md.
export type { Action, PersistentVolumeClaimObject, PlanEvent, PodMetadataPatch } from './actions';
export { RecreateUpdateReason } from './actions';
export { type CloneSetControllerOptions, setupCloneSetController } from './controller';
export { type Budgets, calculateDiffs, type ExpectationDiffs, resolveBudgets } from './diffs';
export { type ExecuteResult, type ExecutorDeps, execute, groupActions } from './execute';
export { claimsFor, instanceIdOf, newPod, randomInstanceId } from './new-pods';
export { type Plan, type PlanInput, plan, resultEvent } from './plan';
export { isAtRevision, isPodAvailable, isPodUpdateReady, shortHash } from './pods';
export {
  type ActiveRevisions,
  activeRevisions,
  CloneSetApiVersion,
  controllerRef,
  hashRevision,
  newRevision,
  type RevisionAction,
  truncateHistory,
} from './revisions';
export { computeStatus, selectorString, setCondition, withFailureCondition } from './status';
