// What a CloneSet plan asks the executor to do. Actions are plain data, applied in order; every pod
// patch is a strategic merge patch.
import type { CloneSet, PersistentVolumeClaim } from '../../apis';
import type { EventType } from '../../runtime/events';
import type { OwnerReference } from '../../runtime/meta';
import type {
  ControllerRevision,
  InPlaceOptions,
  InPlaceUpdateRequest,
  Pod,
  PodCondition,
  PodPatch,
  ResizePatch,
} from '../inplace';
import type { RevisionAction } from './revisions';

/** A PVC to create: a volumeClaimTemplate stamped for one instance id. */
export interface PersistentVolumeClaimObject extends PersistentVolumeClaim {
  apiVersion: 'v1';
  kind: 'PersistentVolumeClaim';
  metadata: NonNullable<PersistentVolumeClaim['metadata']> & {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
}

/** A patch of labels/annotations/finalizers only (lifecycle transitions, specified-delete). */
export interface PodMetadataPatch {
  metadata: {
    labels?: Record<string, string | null>;
    annotations?: Record<string, string | null>;
    /** Strategic merge: listed finalizers are added. */
    finalizers?: string[];
  };
}

export type Action =
  | RevisionAction
  /** Create before the pod that mounts it; skip (not fail) on AlreadyExists. */
  | { type: 'createPVC'; pvc: PersistentVolumeClaimObject }
  | { type: 'createPod'; pod: Pod; revision: string }
  /** Delete the pod, then the PVCs of its instance id (Kruise deletes them with the pod). */
  | { type: 'deletePod'; name: string; pvcs: string[]; reason: string }
  | { type: 'deletePVC'; name: string; reason: string }
  /** disablePVCReuse: hand a PVC of a finished pod over to that pod so it is collected with it. */
  | { type: 'setPVCOwner'; name: string; owner: OwnerReference }
  | { type: 'patchPodMetadata'; name: string; patch: PodMetadataPatch; reason: string }
  /**
   * In-place engine: strategic merge patch of pods/<name>/status; conditional when resourceVersion is
   * set. `metadata` (a lifecycle state change due at the same time) rides along: pods/status accepts
   * labels and annotations, so the pod gets one write instead of two.
   */
  | {
      type: 'setPodCondition';
      name: string;
      conditions: PodCondition[];
      resourceVersion?: string;
      metadata?: PodMetadataPatch['metadata'];
    }
  /** In-place engine: resize subresource first (if any), then the conditional pod patch. */
  | { type: 'inPlaceUpdate'; name: string; revision: string; patch: PodPatch; resizePatch?: ResizePatch }
  /**
   * In-place engine: drain (strategic merge patch of pods/<name>/status conditions), then the
   * inPlaceUpdate that startInPlaceUpdate(<the pod the drain returned>, request, options) gives.
   */
  | {
      type: 'drainAndUpdate';
      name: string;
      revision: string;
      conditions: PodCondition[];
      request: InPlaceUpdateRequest;
      options: InPlaceOptions;
    }
  /** Drop names of pods that no longer exist from spec.scaleStrategy.podsToDelete. */
  | { type: 'setPodsToDelete'; podsToDelete: string[] };

/** patchPodMetadata reason of a ReCreate update (the specified-delete label). */
export const RecreateUpdateReason = 'recreate update';

export interface PlanEvent {
  type: EventType;
  reason: string;
  message: string;
}

/** Everything one reconcile's decisions depend on, resolved once. */
export interface SyncContext {
  cs: CloneSet;
  /** Active pods (not terminal, not being deleted). */
  pods: Pod[];
  pvcs: PersistentVolumeClaim[];
  revisions: ControllerRevision[];
  currentRevision: ControllerRevision;
  updateRevision: ControllerRevision;
  now: Date;
  resizeSupported: boolean;
  newInstanceId: () => string;
}

export interface PhaseResult {
  actions: Action[];
  events: PlanEvent[];
  /** Something was changed: the reconcile stops here, as Kruise's "modified". */
  modified: boolean;
  requeueAfterMs?: number;
  /** Plan-time failure to report as the FailedScale/FailedUpdate condition. */
  error?: string;
}

export function emptyResult(): PhaseResult {
  return { actions: [], events: [], modified: false };
}
