// Advanced StatefulSet (apps.kruise.io/v1beta1): `plan` decides; the workload kit (../workload) executes
// and wires the watches; see README.md.
export { type StatefulSetControllerOptions, setupStatefulSetController } from './controller';
export { revisionSource, StatefulSetKind, statefulSetRef } from './kind';
export { identityLabels, newPod, ordinalClaims } from './new-pods';
export { type Plan, type PlanInput, plan } from './plan';
export { computeStatus } from './status';
