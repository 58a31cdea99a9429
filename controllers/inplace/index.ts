// The shared in-place update engine (OpenKruise pkg/util/inplaceupdate): CloneSet now, Advanced
// StatefulSet and SidecarSet later. Pure functions over plain pods and revisions; the caller does the I/O.
export {
  type ChangeKind,
  canUpdateInPlace,
  changeKind,
  type DiffOptions,
  diffPodTemplates,
  type MetadataPatch,
  qosClass,
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
export { hasInPlaceReadinessGate, strategyCanUpdateInPlace, withInPlaceReadinessGate } from './readiness';
export { ResourceVersionExpectations, type VersionedObject } from './resource-version';
export { type GraceSpec, isUpdateCompleted, readGraceSpec, readUpdateState } from './state';
export * from './types';
