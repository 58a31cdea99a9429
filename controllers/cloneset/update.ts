// The update half of a CloneSet reconcile (Kruise cloneset/sync/cloneset_update.go): refresh in-place
// progress and lifecycle states, then pick the pods to move to updateRevision under the unavailability
// budget and update each in place (through the shared engine) or by recreation.
import {
  ControllerRevisionHashLabel,
  LifecycleStateLabel,
  LifecycleTimestampKey,
  PodTemplateHashLabel,
  SpecifiedDeleteLabel,
} from '../../apis';
import {
  type ControllerRevision,
  changeKind,
  diffPodTemplates,
  drainedFor,
  type InPlaceStep,
  type Pod,
  readGraceSpec,
  refreshInPlace,
  startInPlaceUpdate,
  strategyCanUpdateInPlace,
  type TemplateDiff,
  templateOfRevision,
} from '../inplace';
import {
  type Action,
  emptyResult,
  type PhaseResult,
  RecreateUpdateReason,
  type SyncContext,
} from './actions';
import { calculateDiffs, type ExpectationDiffs } from './diffs';
import { isHooked, nextLifecycleState } from './lifecycle';
import { rfc3339 } from './new-pods';
import { isAtRevision, isPodAvailable, lifecycleState, shortHash } from './pods';
import { lifecyclePatch } from './scale';
import { priorityOrder, sortActivePods } from './sort';

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
  const diffs = calculateDiffs(ctx.cs, ctx.pods, ctx.updateRevision.metadata.name ?? '', ctx.now);
  if (diffs.updateNum <= 0) return refreshed;
  const touched = new Set(refreshed.actions.map((a) => (a as { name?: string }).name));
  const candidates = podsToUpdate(ctx).filter((pod) => !touched.has(pod.metadata.name));
  const chosen = limitByBudget(ctx, diffs, candidates);
  const result = refreshed;
  const decisions: string[] = [];
  const diffTo = revisionDiffs(ctx);
  for (const pod of chosen) {
    const r = updatePod(ctx, pod, diffTo);
    if (r.error) result.error = r.error;
    result.actions.push(...r.actions);
    if (r.decision) decisions.push(`${pod.metadata.name} (${r.decision})`);
  }
  result.modified = result.actions.length > 0;
  if (decisions.length > 0) {
    const message = `update pods to revision ${ctx.updateRevision.metadata.name}: ${decisions.join(', ')}`;
    result.events.push({ type: 'Normal', reason: 'UpdatePods', message });
  }
  if (result.error) result.events.push({ type: 'Warning', reason: 'FailedUpdate', message: result.error });
  return result;
}

/** Kruise refreshPodState + inplaceupdate.Refresh for every pod. */
function refreshPods(ctx: SyncContext): PhaseResult {
  const result = emptyResult();
  const updateName = ctx.updateRevision.metadata.name ?? '';
  const strategy = ctx.cs.spec?.updateStrategy;
  const updating = strategy?.type !== 'OnDelete' && !strategy?.paused;
  let requeue: number | undefined;
  for (const pod of ctx.pods) {
    const name = pod.metadata.name ?? '';
    const step = refreshInPlace(pod, {
      now: ctx.now,
      podRevision: pod.metadata.labels?.[ControllerRevisionHashLabel],
      keepDrainedFor: updating ? updateName : undefined,
    });
    if (step.type === 'wait' && step.requeueAfterMs !== undefined) {
      requeue = Math.min(requeue ?? step.requeueAfterMs, step.requeueAfterMs);
    }
    const actions = stepActions(name, pod.metadata.labels?.[ControllerRevisionHashLabel] ?? updateName, step);
    const state = nextLifecycleState(ctx.cs, pod, updateName);
    const condition = actions.find((a) => a.type === 'setPodCondition');
    if (state && condition) condition.metadata = lifecyclePatch(state, ctx.now).metadata;
    else if (state) {
      actions.push({ type: 'patchPodMetadata', name, patch: lifecyclePatch(state, ctx.now), reason: state });
    }
    result.actions.push(...actions);
  }
  result.modified = result.actions.length > 0;
  result.requeueAfterMs = requeue;
  return result;
}

function stepActions(name: string, revision: string, step: InPlaceStep): Action[] {
  if (step.type === 'setCondition') {
    return [
      { type: 'setPodCondition', name, conditions: step.conditions, resourceVersion: step.resourceVersion },
    ];
  }
  if (step.type === 'patchPod') {
    return [{ type: 'inPlaceUpdate', name, revision, patch: step.patch, resizePatch: step.resizePatch }];
  }
  if (step.type === 'drain') {
    const { conditions, request, options } = step;
    return [{ type: 'drainAndUpdate', name, revision, conditions, request, options }];
  }
  return [];
}

/**
 * Candidates, best first: pods not at updateRevision, skipping PreparingDelete pods and pods in their
 * grace period (Updated pods are allowed). Order: k8s ActivePods, then priorityStrategy, then pods already
 * half-way (PreparingUpdate, or drained by the engine) first. scatterStrategy is not applied.
 */
export function podsToUpdate(ctx: SyncContext): Pod[] {
  const update = ctx.updateRevision.metadata.name ?? '';
  const candidates = ctx.pods.filter((pod) => {
    if (isAtRevision(pod, update)) return false;
    const state = lifecycleState(pod);
    if (state === 'PreparingDelete') return false;
    return state === 'Updated' || !readGraceSpec(pod);
  });
  const sorted = priorityOrder(sortActivePods(candidates), ctx.cs.spec?.updateStrategy?.priorityStrategy);
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

interface PodUpdate {
  actions: Action[];
  decision?: string;
  error?: string;
}

/** The template diff from each old revision to updateRevision, computed once per plan, not per pod. */
function revisionDiffs(ctx: SyncContext): (old: ControllerRevision | undefined) => TemplateDiff | undefined {
  const memo = new Map<ControllerRevision, TemplateDiff | undefined>();
  const target = templateOfRevision(ctx.updateRevision);
  return (old) => {
    // A missing revision (pruned history) has no diff: the pod must be recreated.
    if (!old) return undefined;
    if (!memo.has(old)) {
      const from = templateOfRevision(old);
      memo.set(old, from && target ? diffPodTemplates(from, target) : undefined);
    }
    return memo.get(old);
  };
}

/** Kruise updatePod: in place when the policy allows and the revisions differ only in place, else recreate. */
function updatePod(ctx: SyncContext, pod: Pod, diffTo: ReturnType<typeof revisionDiffs>): PodUpdate {
  const type = ctx.cs.spec?.updateStrategy?.type;
  const name = pod.metadata.name ?? '';
  const diff = diffTo(ctx.revisions.find((r) => isAtRevision(pod, r.metadata.name ?? '')));
  const kind = diff ? changeKind(diff, { resizeSupported: ctx.resizeSupported }) : 'recreate';
  if (kind === 'none') return relabel(ctx, pod);
  if (strategyCanUpdateInPlace(type)) {
    if (kind !== 'recreate') return updateInPlace(ctx, pod, diff!);
    if (type === 'InPlaceOnly') {
      return {
        actions: [],
        error: `pod ${name}: update strategy is InPlaceOnly but it cannot be updated in place`,
      };
    }
  }
  // Already marked: the scale phase deletes it when the budget allows; do not patch again.
  if (pod.metadata.labels?.[SpecifiedDeleteLabel] !== undefined) return { actions: [] };
  const patch = { metadata: { labels: { [SpecifiedDeleteLabel]: 'true' } } };
  return {
    actions: [{ type: 'patchPodMetadata', name, patch, reason: RecreateUpdateReason }],
    decision: 'recreate',
  };
}

/**
 * Same template under another revision name (e.g. a CloneSet taken over from OpenKruise, whose hashes
 * differ from ours): only the revision labels change, whatever the strategy.
 */
function relabel(ctx: SyncContext, pod: Pod): PodUpdate {
  const update = ctx.updateRevision.metadata.name ?? '';
  const labels = { [ControllerRevisionHashLabel]: update, [PodTemplateHashLabel]: shortHash(update) };
  const action: Action = {
    type: 'patchPodMetadata',
    name: pod.metadata.name ?? '',
    patch: { metadata: { labels } },
    reason: 'relabel',
  };
  return { actions: [action], decision: 'same template, relabel' };
}

function updateInPlace(ctx: SyncContext, pod: Pod, diff: TemplateDiff): PodUpdate {
  const name = pod.metadata.name ?? '';
  const hook = ctx.cs.spec?.lifecycle?.inPlaceUpdate;
  const state = lifecycleState(pod);
  if ((state === '' || state === 'PreparingNormal' || state === 'Normal') && isHooked(hook, pod)) {
    const patch = lifecyclePatch('PreparingUpdate', ctx.now);
    return {
      actions: [{ type: 'patchPodMetadata', name, patch, reason: 'inPlaceUpdate hook' }],
      decision: 'hooked',
    };
  }
  if (state === 'Updated') {
    // Kruise UpdatePodLifecycleWithHandler: put the hook handlers back before the next update.
    const patch = lifecyclePatch('PreparingUpdate', ctx.now);
    patch.metadata.labels = { ...patch.metadata.labels, ...hook?.labelsHandler };
    if (hook?.finalizersHandler?.length) patch.metadata.finalizers = [...hook.finalizersHandler];
    return {
      actions: [{ type: 'patchPodMetadata', name, patch, reason: 'inPlaceUpdate hook' }],
      decision: 'hooked',
    };
  }
  if (state === 'PreparingUpdate' && isHooked(hook, pod)) return { actions: [] };
  if (state === 'PreparingDelete')
    return { actions: [], error: `pod ${name}: cannot update in state ${state}` };
  const update = ctx.updateRevision.metadata.name ?? '';
  const step = startInPlaceUpdate(
    pod,
    {
      revision: update,
      diff,
      labels: {
        [ControllerRevisionHashLabel]: update,
        [PodTemplateHashLabel]: shortHash(update),
        [LifecycleStateLabel]: 'Updating',
      },
      annotations: { [LifecycleTimestampKey]: rfc3339(ctx.now) },
    },
    {
      now: ctx.now,
      gracePeriodSeconds: ctx.cs.spec?.updateStrategy?.inPlaceUpdateStrategy?.gracePeriodSeconds,
    },
  );
  const actions = stepActions(name, update, step);
  const decision = step.type === 'drain' ? 'in place: drain, then patch' : 'in place';
  return { actions, decision: actions.length > 0 ? decision : undefined };
}
