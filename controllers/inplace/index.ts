// The shared in-place update engine (OpenKruise pkg/util/inplaceupdate): CloneSet and Advanced StatefulSet
// with the default InPlaceConfig, SidecarSet with its own. Pure functions over plain pods and revisions;
// the workload executor does the I/O.
export {
  type ChangeKind,
  canUpdateInPlace,
  changeKind,
  type DiffOptions,
  diffPodTemplates,
  type MetadataPatch,
  qosClass,
  RESIZABLE_RESOURCES,
  type Resources,
  revisionChangeKind,
  sameResources,
  type TemplateDiff,
} from './diff';
export {
  drainedFor,
  type InPlaceOptions,
  type InPlaceStep,
  type InPlaceUpdateRequest,
  isInPlaceUpdating,
  type PodPatch,
  type RefreshOptions,
  type ResizePatch,
  refreshInPlace,
  StartInPlaceUpdateReason,
  startInPlaceUpdate,
} from './engine';
export { hasReadinessGate, strategyCanUpdateInPlace, withReadinessGates } from './readiness';
export {
  type GraceSpec,
  type InPlaceConfig,
  isUpdateCompleted,
  readGraceSpec,
  readUpdateState,
  stateAnnotations,
  workloadInPlace,
} from './state';
