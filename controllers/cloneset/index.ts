// CloneSet (apps.kruise.io/v1alpha1): `plan` decides; the workload kit (../workload) executes and wires
// the watches; see README.md.
export { type CloneSetControllerOptions, setupCloneSetController } from './controller';
export { type Budgets, calculateDiffs, type ExpectationDiffs, resolveBudgets } from './diffs';
export { CloneSetKind, cloneSetRef, revisionSource } from './kind';
export { CLONESET_READINESS_GATES, instanceClaims, instanceIdOf, newPod, randomInstanceId } from './new-pods';
export { type Plan, type PlanInput, plan } from './plan';
export { computeStatus } from './status';
