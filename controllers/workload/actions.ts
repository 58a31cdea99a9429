// What a workload plan asks the executor to do: one Action union for every kind. Actions are plain data,
// applied in order; every pod patch is a strategic merge patch. A kind's own objects are whole objects
// in the action (a pod with its name, ordinal or node; a PVC per instance or ordinal), so a new kind
// needs no new action to create them.
import type { ControllerRevision, PersistentVolumeClaimObject, Pod, PodCondition } from '../../apis';
import type { EventType } from '../../runtime/events';
import type { KubeObject, OwnerReference } from '../../runtime/meta';
import type { InPlaceOptions, InPlaceUpdateRequest, PodPatch, ResizePatch } from '../inplace';

/** A patch of labels/annotations/finalizers only (lifecycle transitions, specified-delete). */
export interface PodMetadataPatch {
  metadata: {
    labels?: Record<string, string | null>;
    annotations?: Record<string, string | null>;
    /** Strategic merge: listed finalizers are added. */
    finalizers?: string[];
  };
}

/**
 * Revisions live in the owner's namespace unless `namespace` says otherwise (a cluster-scoped SidecarSet
 * keeps them in the operator's namespace).
 */
export type RevisionAction =
  | { type: 'createRevision'; revision: ControllerRevision }
  /** Rollback to an older equal revision: bump its `revision` number (update, not create). */
  | { type: 'updateRevisionNumber'; name: string; revision: number; namespace?: string }
  /** Set labels on an existing revision (SidecarSet's custom version moving to the latest revision). */
  | { type: 'labelRevision'; name: string; labels: Record<string, string>; namespace?: string }
  | { type: 'deleteRevision'; name: string; namespace?: string };

/**
 * Where a pod write goes: the pod's name, and its namespace when it is not the owner's (a cluster-scoped
 * owner such as SidecarSet writes to pods in every namespace).
 */
interface PodRef {
  name: string;
  namespace?: string;
  /** Names the pod in an Event about it (kubectl describe pod matches Events by uid). */
  uid?: string;
}

/** The reason of the write that sends a pod to be recreated at the update revision (a delete, or a mark). */
export const RECREATE_FOR_UPDATE = 'recreate update';

export type Action =
  | RevisionAction
  /** Create before the pod that mounts it; skip (not fail) on AlreadyExists. */
  | { type: 'createPVC'; pvc: PersistentVolumeClaimObject }
  /** `revision` names the revision in the Event. Consecutive creates go out with a slow start. */
  | { type: 'createPod'; pod: Pod; revision: string }
  /** Delete the pod (only this uid), then its PVCs. */
  | ({ type: 'deletePod'; uid?: string; pvcs: string[]; reason: string } & PodRef)
  | { type: 'deletePVC'; name: string; reason: string }
  /** Hand a PVC over to another owner (e.g. its finished pod, so it is collected with it). */
  | { type: 'setPVCOwner'; name: string; owner: OwnerReference }
  /**
   * Drop the owner references with these uids and add these, leaving any other owner alone (strategic
   * merge by uid): a claim's retention policy (StatefulSet persistentVolumeClaimRetentionPolicy).
   */
  | { type: 'updatePVCOwners'; name: string; remove: string[]; add: OwnerReference[]; reason: string }
  /**
   * `report` asks for Kruise's per-pod Event pair: Successful<reason> "successfully <what>", or
   * Failed<reason> "failed to <what>: <error>". Without it the patch is bookkeeping and says nothing.
   */
  | ({
      type: 'patchPodMetadata';
      patch: PodMetadataPatch;
      reason: string;
      report?: { reason: string; what: string };
    } & PodRef)
  /**
   * Strategic merge patch of pods/<name>/status; conditional when resourceVersion is set. `metadata`
   * (a lifecycle change due at the same time) rides along: pods/status accepts labels and annotations,
   * so the pod gets one write instead of two.
   */
  | ({
      type: 'setPodCondition';
      conditions: PodCondition[];
      resourceVersion?: string;
      metadata?: PodMetadataPatch['metadata'];
    } & PodRef)
  /** In-place engine: resize subresource first (if any), then the conditional pod patch. */
  | ({ type: 'inPlaceUpdate'; revision: string; patch: PodPatch; resizePatch?: ResizePatch } & PodRef)
  /**
   * In-place engine: drain (strategic merge patch of pods/<name>/status conditions), then the
   * inPlaceUpdate that startInPlaceUpdate(<the pod the drain returned>, request, options) gives.
   */
  | ({
      type: 'drainAndUpdate';
      revision: string;
      conditions: PodCondition[];
      request: InPlaceUpdateRequest;
      options: InPlaceOptions;
    } & PodRef)
  /** Kruise claimPods: remove our controller reference from a pod the selector no longer matches. */
  | ({ type: 'releasePod'; uid: string } & PodRef)
  /** Merge patch of the owner itself (e.g. CloneSet spec.scaleStrategy.podsToDelete). */
  | { type: 'patchOwner'; patch: Record<string, unknown>; reason: string }
  /**
   * Delete the owner itself (e.g. a finished job past its TTL), only the one planned on (uid
   * precondition); what it controls goes by garbage collection.
   */
  | { type: 'deleteOwner'; reason: string };

/** The actions written to one pod (the executor chains each pod's in order). */
export type PodAction = Extract<
  Action,
  {
    type:
      | 'deletePod'
      | 'patchPodMetadata'
      | 'setPodCondition'
      | 'inPlaceUpdate'
      | 'drainAndUpdate'
      | 'releasePod';
  }
>;

export interface PlanEvent {
  type: EventType;
  reason: string;
  message: string;
  /** The object the Event is about; the owner when absent. */
  regarding?: KubeObject;
}

export type Phase = 'scale' | 'update' | 'none';

/** One reconcile of any workload: what to write, what to say, the status, when to look again. */
export interface WorkloadPlan<Status = unknown> {
  /** Apply in order; stop at the first failure (the next reconcile re-plans from the cache). */
  actions: Action[];
  /** One Event per decision, recorded on the owner. */
  events: PlanEvent[];
  /** Written through the owner's status subresource when it differs from the owner's status. */
  status: Status;
  /** Which half acted; it names the failure condition (e.g. FailedScale / FailedUpdate). */
  phase: Phase;
  /** A failure the plan found itself (e.g. InPlaceOnly cannot update a pod); reported like a failed write. */
  failure?: string;
  /** Requeue the owner after this many ms. */
  requeueAfterMs?: number;
  /**
   * How many creates the slow start may send at once from its first round (default 1; more when the
   * owner's last create group of the same revision reached more, see `CreateWindows`).
   */
  createsAtOnce?: number;
}

type ConditionWrite = Extract<Action, { type: 'setPodCondition' }>;

/**
 * One pod's writes as few as the API allows: its status writes become one (conditions together, the
 * first resourceVersion precondition kept), and its label/annotation patches ride along (pods/status
 * accepts labels and annotations, not finalizers). A lifecycle change and a condition cost one write.
 */
export function coalescePodWrites(actions: Action[]): Action[] {
  const keyOf = (a: { name: string; namespace?: string }) => `${a.namespace ?? ''}/${a.name}`;
  const writes = new Map<string, ConditionWrite>();
  for (const a of actions) {
    if (a.type === 'setPodCondition' && !writes.has(keyOf(a))) writes.set(keyOf(a), { ...a });
  }
  const placed = new Set<string>();
  const out: Action[] = [];
  for (const a of actions) {
    if (a.type === 'setPodCondition') {
      const into = writes.get(keyOf(a)) as ConditionWrite;
      if (placed.has(keyOf(a))) mergeConditions(into, a);
      else {
        placed.add(keyOf(a));
        out.push(into);
      }
      continue;
    }
    const into = a.type === 'patchPodMetadata' ? writes.get(keyOf(a)) : undefined;
    if (a.type === 'patchPodMetadata' && into && !a.report && !a.patch.metadata.finalizers) {
      into.metadata = mergeMetadata(into.metadata, a.patch.metadata);
    } else out.push(a);
  }
  return out;
}

function mergeConditions(into: ConditionWrite, from: ConditionWrite): void {
  const replaced = (c: PodCondition) => from.conditions.some((d) => d.type === c.type);
  into.conditions = [...into.conditions.filter((c) => !replaced(c)), ...from.conditions];
  into.resourceVersion ??= from.resourceVersion;
  if (from.metadata) into.metadata = mergeMetadata(into.metadata, from.metadata);
}

function mergeMetadata(
  a: PodMetadataPatch['metadata'] | undefined,
  b: PodMetadataPatch['metadata'],
): PodMetadataPatch['metadata'] {
  return {
    labels: { ...a?.labels, ...b.labels },
    annotations: { ...a?.annotations, ...b.annotations },
  };
}
