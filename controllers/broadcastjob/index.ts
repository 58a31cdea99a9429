// BroadcastJob (apps.kruise.io/v1alpha1): `plan` decides; the workload kit (../workload) executes and wires
// the watches; see README.md.
export {
  BroadcastJobControllerName,
  type BroadcastJobControllerOptions,
  nodeFitChanged,
  setupBroadcastJobController,
} from './controller';
export { BroadcastJobKind, broadcastJobRef } from './kind';
export { jobLabels, newPod, podNameFor } from './new-pod';
export { finishedCondition, type Plan, type PlanInput, plan, podState, RESOURCE_RECHECK_MS } from './plan';
