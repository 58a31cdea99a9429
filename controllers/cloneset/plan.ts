// plan: one CloneSet reconcile as a pure function. (cloneSet, pods, revisions, pvcs, now) → the actions
// to apply in order, the Events describing each decision, the status to write and when to look again.
// Like Kruise, one reconcile either scales or updates, never both.
import type { CloneSet, CloneSetStatus, PersistentVolumeClaim } from '../../apis';
import type { ControllerRevision, Pod } from '../inplace';
import {
  type Action,
  type PhaseResult,
  type PlanEvent,
  RecreateUpdateReason,
  type SyncContext,
} from './actions';
import { instanceIdOf, randomInstanceId } from './new-pods';
import { isActive } from './pods';
import { activeRevisions, truncateHistory } from './revisions';
import { planScale } from './scale';
import { computeStatus, withFailureCondition } from './status';
import { planUpdate } from './update';

export interface PlanInput {
  /** The CloneSet from the cache, with apis applyDefaults('CloneSet', …) applied. */
  cloneSet: CloneSet;
  /** Every pod the CloneSet controls (terminal and terminating ones included; the plan filters). */
  pods: Pod[];
  /** Every ControllerRevision the CloneSet controls. */
  revisions: ControllerRevision[];
  /** PVCs owned by the CloneSet that are not being deleted. */
  pvcs: PersistentVolumeClaim[];
  now: Date;
  /** The cluster serves pods/resize: container resource changes are then done in place. */
  resizeSupported?: boolean;
  /** Source of new instance ids (tests inject a deterministic one). */
  newInstanceId?: () => string;
}

export interface Plan {
  /** Apply in order; stop at the first failure (the next reconcile re-plans from the cache). */
  actions: Action[];
  /** One Event per scale/update decision, to record on the CloneSet. */
  events: PlanEvent[];
  /** Write through the status subresource when it differs from cloneSet.status. */
  status: CloneSetStatus;
  /** Requeue the CloneSet after this many ms (in-place grace, minReadySeconds, progress deadline). */
  requeueAfterMs?: number;
  /** Which half ran: 'scale' when pods were created/deleted/held, 'update' otherwise. */
  phase: 'scale' | 'update' | 'none';
}

export function plan(input: PlanInput): Plan {
  const cs = input.cloneSet;
  const active = input.pods.filter(isActive);
  const revs = activeRevisions(cs, input.revisions);
  const actions: Action[] = [...revs.actions];
  const pvcCleanup = cleanupPVCs(
    cs,
    active,
    input.pods.filter((p) => !isActive(p)),
    input.pvcs,
  );
  actions.push(...pvcCleanup.actions);

  const computed = computeStatus({
    cs,
    pods: active,
    currentRevision: revs.currentRevision.metadata.name ?? '',
    updateRevision: revs.updateRevision.metadata.name ?? '',
    collisionCount: revs.collisionCount,
    now: input.now,
  });
  let status = computed.status;
  const result: Plan = { actions, events: [], status, phase: 'none' };
  if (!cs.metadata?.deletionTimestamp) {
    const ctx: SyncContext = {
      cs,
      pods: active,
      pvcs: pvcCleanup.kept,
      revisions: [
        ...input.revisions.filter((r) => r.metadata.name !== revs.updateRevision.metadata.name),
        revs.updateRevision,
      ],
      currentRevision: revs.currentRevision,
      updateRevision: revs.updateRevision,
      now: input.now,
      resizeSupported: input.resizeSupported ?? false,
      newInstanceId: input.newInstanceId ?? randomInstanceId,
    };
    const scale = planScale(ctx);
    const phase: PhaseResult = scale.modified ? scale : mergeEvents(scale, planUpdate(ctx));
    result.phase = scale.modified ? 'scale' : phase.modified ? 'update' : 'none';
    actions.push(...phase.actions);
    result.events.push(...phase.events);
    if (phase.error) status = withFailureCondition(status, 'FailedUpdate', phase.error, input.now);
    result.requeueAfterMs = minDefined(computed.requeueAfterMs, phase.requeueAfterMs);
  }
  result.status = status;
  actions.push(...truncatePodsToDelete(cs, active));
  actions.push(
    ...truncateHistory(cs, active, input.revisions, [
      status.currentRevision ?? '',
      status.updateRevision ?? '',
    ]),
  );
  return result;
}

function mergeEvents(scale: PhaseResult, update: PhaseResult): PhaseResult {
  return { ...update, events: [...scale.events, ...update.events] };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Kruise truncatePodsToDelete: forget names of pods that are gone. */
function truncatePodsToDelete(cs: CloneSet, pods: Pod[]): Action[] {
  const listed = cs.spec?.scaleStrategy?.podsToDelete ?? [];
  const names = new Set(pods.map((p) => p.metadata.name));
  const kept = listed.filter((n) => names.has(n));
  return kept.length === listed.length ? [] : [{ type: 'setPodsToDelete', podsToDelete: kept }];
}

/**
 * Kruise cleanupPVCs, only with scaleStrategy.disablePVCReuse: a PVC whose instance has no active pod is
 * handed to its finished pod (collected with it) or deleted. Otherwise PVCs stay for reuse.
 */
function cleanupPVCs(cs: CloneSet, active: Pod[], inactive: Pod[], pvcs: PersistentVolumeClaim[]) {
  if (!cs.spec?.scaleStrategy?.disablePVCReuse) return { actions: [] as Action[], kept: pvcs };
  const activeIds = new Set(active.map(instanceIdOf));
  const actions: Action[] = [];
  const kept: PersistentVolumeClaim[] = [];
  for (const pvc of pvcs) {
    const id = instanceIdOf(pvc);
    if (id && activeIds.has(id)) {
      kept.push(pvc);
      continue;
    }
    const name = pvc.metadata?.name ?? '';
    const finished = inactive.find((p) => id && instanceIdOf(p) === id);
    if (finished) {
      const owner = {
        apiVersion: 'v1',
        kind: 'Pod',
        name: finished.metadata.name ?? '',
        uid: finished.metadata.uid ?? '',
      };
      actions.push({ type: 'setPVCOwner', name, owner });
    } else {
      actions.push({ type: 'deletePVC', name, reason: 'disablePVCReuse: its pod is gone' });
    }
  }
  return { actions, kept };
}

/** Kruise's per-pod Event for an applied action (reason, message), for the executor to record. */
export function resultEvent(action: Action, error?: unknown): PlanEvent | undefined {
  const failed = error !== undefined;
  const why = failed ? `: ${error instanceof Error ? error.message : String(error)}` : '';
  const type = failed ? 'Warning' : 'Normal';
  switch (action.type) {
    case 'createPod':
      return failed
        ? { type, reason: 'FailedCreate', message: `failed to create pod ${action.pod.metadata.name}${why}` }
        : { type, reason: 'SuccessfulCreate', message: `succeed to create pod ${action.pod.metadata.name}` };
    case 'createPVC':
      return failed
        ? { type, reason: 'FailedCreate', message: `failed to create pvc ${action.pvc.metadata.name}${why}` }
        : undefined;
    case 'deletePod':
      return failed
        ? { type, reason: 'FailedDelete', message: `failed to delete pod ${action.name}${why}` }
        : { type, reason: 'SuccessfulDelete', message: `succeed to delete pod ${action.name}` };
    case 'inPlaceUpdate':
    case 'drainAndUpdate':
      return failed
        ? {
            type,
            reason: 'FailedUpdatePodInPlace',
            message: `failed to update pod ${action.name} in-place(revision ${action.revision})${why}`,
          }
        : {
            type,
            reason: 'SuccessfulUpdatePodInPlace',
            message: `successfully update pod ${action.name} in-place(revision ${action.revision})`,
          };
    case 'patchPodMetadata':
      if (action.reason !== RecreateUpdateReason) return undefined;
      return failed
        ? {
            type,
            reason: 'FailedUpdatePodReCreate',
            message: `failed to patch pod ${action.name} specified-delete for update${why}`,
          }
        : {
            type,
            reason: 'SuccessfulUpdatePodReCreate',
            message: `successfully patch pod ${action.name} specified-delete for update`,
          };
    default:
      return undefined;
  }
}
