// The workload kit: the machinery every workload controller shares (see README.md). A kind brings its
// pure plan; the kit brings pod facts, orderings, lifecycle, history, ownership, conditions, PVCs, the
// Action union, the one executor and the wiring.
export {
  type Action,
  coalescePodWrites,
  type Phase,
  type PlanEvent,
  type PodMetadataPatch,
  RECREATE_FOR_UPDATE,
  type RevisionAction,
  type WorkloadPlan,
} from './actions';
export { setCondition, type WorkloadCondition, withFailureCondition } from './conditions';
export {
  type ClusterFacts,
  type Observed,
  setupWorkloadController,
  type WorkloadController,
} from './controller';
export {
  type ExecuteResult,
  type ExecutorDeps,
  execute,
  groupActions,
  messageOf,
  type Owner,
  resultEvent,
  type WorkloadKind,
} from './execute';
export {
  type ActiveRevisions,
  activeRevisions,
  hashRevision,
  newRevision,
  type RevisionSource,
  sortRevisions,
  templateRevisionSource,
  truncateHistory,
} from './history';
export {
  isAllHooked,
  isHooked,
  type LifecycleOptions,
  lifecycleActions,
  lifecyclePatch,
  marksPodNotReady,
  nextLifecycleState,
  notReadyConditions,
  rfc3339,
} from './lifecycle';
export { keyedPodName, SAFE_ALPHANUMS } from './naming';
export {
  deletionCost,
  priorityOrder,
  type ScaleInOptions,
  sameNodeRanks,
  scaleInOrder,
  scatterOrder,
  sortActivePods,
  spreadConstraintRanks,
} from './ordering';
export {
  inRange,
  type OrdinalRange,
  ordinalName,
  ordinalOf,
  ordinalRange,
  parseOrdinalName,
  rangeOrdinals,
  reservedOrdinals,
} from './ordinals';
export {
  type Claims,
  claimPods,
  controllerRef,
  type OwnerMeta,
  observing,
  ownedBy,
  releasePatch,
} from './ownership';
export {
  createdAt,
  isActive,
  isAtRevision,
  isPodAvailable,
  isPodReady,
  isPodUpdateReady,
  isScheduled,
  isSpecifiedDelete,
  lifecycleState,
  maxRestarts,
  readySince,
  shortHash,
} from './pods';
export {
  type ClaimObject,
  type ClaimOwnerChange,
  type ClaimOwners,
  type ClaimStamp,
  claimOwnerChange,
  claimsFor,
  isClaimStale,
  type RetentionPolicy,
  withClaimVolumes,
} from './pvcs';
export {
  inPlaceStepActions,
  type PodUpdate,
  type PodUpdateContext,
  type RefreshContext,
  refreshPod,
  revisionDiffs,
  updatePod,
  updateRoundEvents,
} from './update';
