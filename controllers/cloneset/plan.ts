// plan: one CloneSet reconcile as a pure function. (cloneSet, pods, revisions, pvcs, now) → the actions
// to apply in order, the Events describing each decision, the status to write and when to look again.
// Like Kruise, one reconcile either scales or updates, never both.
import type { CloneSet, CloneSetStatus, ControllerRevision, PersistentVolumeClaim, Pod } from '../../apis';
import {
  type Action,
  activeRevisions,
  type ClusterFacts,
  claimPods,
  isActive,
  truncateHistory,
  type WorkloadPlan,
} from '../workload';
import type { PhaseResult, SyncContext } from './context';
import { type Budgets, resolveBudgets } from './diffs';
import { revisionSource } from './kind';
import { instanceIdOf, randomInstanceId } from './new-pods';
import { planScale } from './scale';
import { computeStatus } from './status';
import { planUpdate } from './update';

export interface PlanInput {
  /** The CloneSet from the cache, with apis applyDefaults('CloneSet', …) applied. */
  cloneSet: CloneSet;
  /** Every pod whose controller reference is the CloneSet (terminal and terminating ones included). */
  pods: Pod[];
  /** Every ControllerRevision the CloneSet controls. */
  revisions: ControllerRevision[];
  /** PVCs owned by the CloneSet that are not being deleted. */
  pvcs: PersistentVolumeClaim[];
  now: Date;
  /** The cluster serves pods/resize: cpu and memory changes are then done in place. */
  resizeSupported?: boolean;
  /** Node labels from the cache, for the topology-spread scale-in ranker. */
  nodeLabels?: ClusterFacts['nodeLabels'];
  /** Kruise's InPlaceUpdateEnvFromMetadata gate (default on). */
  envFromMetadata?: boolean;
  /** Source of new instance ids (tests inject a deterministic one). */
  newInstanceId?: () => string;
}

export type Plan = WorkloadPlan<CloneSetStatus>;

/**
 * One CloneSet reconcile. Never throws: a spec the controller cannot resolve (only possible when
 * admission was bypassed) reports a failure and the status, and changes no pod.
 */
export function plan(input: PlanInput): Plan {
  const cs = input.cloneSet;
  const deleting = Boolean(cs.metadata?.deletionTimestamp);
  const claims = claimPods(cs.spec?.selector, input.pods, deleting);
  const actions: Action[] = claims.released.map((p) => ({
    type: 'releasePod',
    name: p.metadata.name ?? '',
    uid: p.metadata.uid ?? '',
  }));
  const active = claims.claimed.filter(isActive);
  const revs = activeRevisions(revisionSource(cs), input.revisions);
  actions.push(...revs.actions);
  const pvcCleanup = cleanupPVCs(
    cs,
    active,
    claims.claimed.filter((p) => !isActive(p)),
    input.pvcs,
  );
  actions.push(...pvcCleanup.actions);
  const budgets = resolveSafely(cs);
  const computed = computeStatus({
    cs,
    pods: active,
    currentRevision: revs.currentRevision.metadata.name ?? '',
    updateRevision: revs.updateRevision.metadata.name ?? '',
    collisionCount: revs.collisionCount,
    partition: 'error' in budgets ? 0 : budgets.partition,
    now: input.now,
  });
  const result: Plan = { actions, events: [], status: computed.status, phase: 'none' };
  if ('error' in budgets) {
    result.failure = `cannot resolve the update and scale strategy: ${budgets.error}`;
    result.events.push({ type: 'Warning', reason: 'FailedUpdate', message: result.failure });
  } else if (!deleting) {
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
      budgets,
      now: input.now,
      cluster: {
        resizeSupported: input.resizeSupported ?? false,
        nodeLabels: input.nodeLabels ?? (() => undefined),
      },
      envFromMetadata: input.envFromMetadata ?? true,
      newInstanceId: input.newInstanceId ?? randomInstanceId,
    };
    const scale = planScale(ctx);
    const phase: PhaseResult = scale.modified ? scale : mergeEvents(scale, planUpdate(ctx));
    result.phase = scale.modified ? 'scale' : phase.modified ? 'update' : 'none';
    actions.push(...phase.actions);
    result.events.push(...phase.events);
    result.failure = phase.failure;
    result.requeueAfterMs = minDefined(computed.requeueAfterMs, phase.requeueAfterMs);
  }
  actions.push(...truncatePodsToDelete(cs, active));
  const live = [result.status.currentRevision ?? '', result.status.updateRevision ?? ''];
  actions.push(...truncateHistory(input.revisions, active, live, cs.spec?.revisionHistoryLimit));
  return result;
}

function resolveSafely(cs: CloneSet): Budgets | { error: string } {
  try {
    return resolveBudgets(cs);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
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
  if (kept.length === listed.length) return [];
  const patch = { spec: { scaleStrategy: { podsToDelete: kept } } };
  return [{ type: 'patchOwner', patch, reason: 'forget podsToDelete of pods that are gone' }];
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
