// The update half of a CloneSet reconcile (Kruise cloneset/sync/cloneset_update.go): refresh in-place
// progress and lifecycle states, then pick the pods to move to updateRevision under the unavailability
// budget and update each in place (through the shared engine) or by recreation.
import type { Pod } from '../../apis';
import {
  ControllerRevisionHashLabel,
  PodTemplateHashLabel,
  SpecifiedDeleteLabel,
} from '../../apis/well-known';
import { drainedFor, readGraceSpec } from '../inplace';
import {
  type Action,
  coalescePodWrites,
  isAtRevision,
  isPodAvailable,
  lifecycleState,
  type PodUpdateContext,
  priorityOrder,
  RECREATE_FOR_UPDATE,
  type RefreshContext,
  refreshPod,
  revisionDiffs,
  scatterOrder,
  shortHash,
  sortActivePods,
  updatePod,
  updateRoundEvents,
} from '../workload';
import { emptyResult, type PhaseResult, type SyncContext } from './context';
import { calculateDiffs, type ExpectationDiffs } from './diffs';

/** The patch of a ReCreate update, and its Event pair (Kruise's SuccessfulUpdatePodReCreate). */
function markForRecreate(name: string): Action {
  return {
    type: 'patchPodMetadata',
    name,
    patch: { metadata: { labels: { [SpecifiedDeleteLabel]: 'true' } } },
    reason: RECREATE_FOR_UPDATE,
    report: { reason: 'UpdatePodReCreate', what: `patch pod ${name} specified-delete for update` },
  };
}

/**
 * Unlike Kruise, which returns once the refresh wrote anything, the refresh and new updates share a
 * reconcile: pods keep entering the rollout while others finish instead of in waves. The budget stays
 * safe because pods being refreshed still count as they are cached (unavailable), and they are not
 * picked for an update in the same reconcile.
 */
export function planUpdate(ctx: SyncContext): PhaseResult {
  const refreshed = refreshPods(ctx);
  const strategy = ctx.cs.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete' || strategy?.paused) return refreshed;
  const update = ctx.updateRevision.metadata.name ?? '';
  const diffs = calculateDiffs(ctx.cs, ctx.pods, update, ctx.now, ctx.budgets);
  if (diffs.updateNum <= 0) return refreshed;
  const touched = new Set(refreshed.actions.map((a) => (a as { name?: string }).name));
  const candidates = podsToUpdate(ctx).filter((pod) => !touched.has(pod.metadata.name));
  const chosen = limitByBudget(ctx, diffs, candidates);
  const result = refreshed;
  const decisions: string[] = [];
  const updating = podUpdateContext(ctx);
  const diffTo = revisionDiffs(updating);
  for (const pod of chosen) {
    const r = updatePod(updating, pod, diffTo);
    if (r.type === 'failed') result.failure = r.failure;
    else if (r.type === 'inPlace') {
      result.actions.push(...r.actions);
      if (r.decision) decisions.push(`${pod.metadata.name} (${r.decision})`);
    } else if (pod.metadata.labels?.[SpecifiedDeleteLabel] === undefined) {
      // Not yet marked: the scale phase deletes it when the budget allows.
      result.actions.push(markForRecreate(pod.metadata.name ?? ''));
      decisions.push(`${pod.metadata.name} (recreate)`);
    }
  }
  result.modified = result.actions.length > 0;
  result.events.push(...updateRoundEvents(update, decisions, result.failure));
  return result;
}

/**
 * The kit's refreshPod for every pod, plus Kruise fixPodTemplateHashLabel (pods created before the label
 * was set get it). One pod's changes go out in as few writes as the API allows.
 */
function refreshPods(ctx: SyncContext): PhaseResult {
  const result = emptyResult();
  const strategy = ctx.cs.spec?.updateStrategy;
  const refresh: RefreshContext = {
    updateRevision: ctx.updateRevision.metadata.name ?? '',
    updating: strategy?.type !== 'OnDelete' && !strategy?.paused,
    lifecycle: ctx.cs.spec?.lifecycle,
    now: ctx.now,
  };
  let requeue: number | undefined;
  for (const pod of ctx.pods) {
    const { actions, requeueAfterMs } = refreshPod(pod, refresh);
    if (requeueAfterMs !== undefined) requeue = Math.min(requeue ?? requeueAfterMs, requeueAfterMs);
    const revision = pod.metadata.labels?.[ControllerRevisionHashLabel];
    if (revision && pod.metadata.labels?.[PodTemplateHashLabel] === undefined) {
      const patch = { metadata: { labels: { [PodTemplateHashLabel]: shortHash(revision) } } };
      const name = pod.metadata.name ?? '';
      actions.push({ type: 'patchPodMetadata', name, patch, reason: 'backfill pod-template-hash' });
    }
    result.actions.push(...actions);
  }
  result.actions = coalescePodWrites(result.actions);
  result.modified = result.actions.length > 0;
  result.requeueAfterMs = requeue;
  return result;
}

/**
 * Candidates, best first: pods not at updateRevision, skipping PreparingDelete pods and pods in their
 * grace period (Updated pods are allowed). Order: k8s ActivePods, then priorityStrategy, then
 * scatterStrategy, then pods already half-way (PreparingUpdate, or drained by the engine) first.
 */
export function podsToUpdate(ctx: SyncContext): Pod[] {
  const update = ctx.updateRevision.metadata.name ?? '';
  const candidates = ctx.pods.filter((pod) => {
    if (isAtRevision(pod, update)) return false;
    const state = lifecycleState(pod);
    if (state === 'PreparingDelete') return false;
    return state === 'Updated' || !readGraceSpec(pod);
  });
  const strategy = ctx.cs.spec?.updateStrategy;
  const sorted = scatterOrder(
    priorityOrder(sortActivePods(candidates), strategy?.priorityStrategy),
    ctx.pods,
    strategy?.scatterStrategy,
  );
  const inFlight = (p: Pod) => lifecycleState(p) === 'PreparingUpdate' || drainedFor(p) === update;
  // A stable partition: pods already half-way first, each group in the order above.
  return [...sorted.filter(inFlight), ...sorted.filter((p) => !inFlight(p))];
}

/** Kruise limitUpdateIndexes: at most updateNum pods, and unavailable pods within updateMaxUnavailable. */
export function limitByBudget(ctx: SyncContext, diffs: ExpectationDiffs, candidates: Pod[]): Pod[] {
  const minReady = ctx.cs.spec?.minReadySeconds ?? 0;
  const update = ctx.updateRevision.metadata.name ?? '';
  const available = (p: Pod) => isPodAvailable(p, minReady, ctx.now);
  let unavailable = ctx.pods.filter((p) => !available(p)).length;
  const targetUnavailable = ctx.pods.filter((p) => !available(p) && isAtRevision(p, update)).length;
  const chosen: Pod[] = [];
  for (const pod of candidates.slice(0, diffs.updateNum)) {
    if (targetUnavailable + chosen.length >= diffs.updateMaxUnavailable) break;
    // Updating a pod that is already unavailable costs nothing more.
    if (available(pod)) {
      if (unavailable >= diffs.updateMaxUnavailable) break;
      unavailable++;
    }
    chosen.push(pod);
  }
  return chosen;
}

/** CloneSet's revision labels: the full revision name and the short pod-template-hash. */
export function cloneSetRevisionLabels(revision: string): Record<string, string> {
  return { [ControllerRevisionHashLabel]: revision, [PodTemplateHashLabel]: shortHash(revision) };
}

function podUpdateContext(ctx: SyncContext): PodUpdateContext {
  const strategy = ctx.cs.spec?.updateStrategy;
  return {
    updateRevision: ctx.updateRevision,
    revisions: ctx.revisions,
    policy: strategy?.type,
    lifecycle: ctx.cs.spec?.lifecycle,
    gracePeriodSeconds: strategy?.inPlaceUpdateStrategy?.gracePeriodSeconds,
    now: ctx.now,
    resizeSupported: ctx.cluster.resizeSupported,
    envFromMetadata: ctx.envFromMetadata,
    revisionLabels: cloneSetRevisionLabels,
  };
}
