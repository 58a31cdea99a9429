// The update half of a CloneSet reconcile (Kruise cloneset/sync/cloneset_update.go): refresh in-place
// progress and lifecycle states, then pick the pods to move to updateRevision under the unavailability
// budget and update each in place (through the shared engine) or by recreation.
import {
  type ControllerRevision,
  ControllerRevisionHashLabel,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  LifecycleTimestampKey,
  type Pod,
  type PodCondition,
  PodTemplateHashLabel,
  podCondition,
  SpecifiedDeleteLabel,
  templateOfRevision,
} from '../../apis';
import {
  changeKind,
  diffPodTemplates,
  drainedFor,
  hasReadinessGate,
  type InPlaceStep,
  readGraceSpec,
  refreshInPlace,
  startInPlaceUpdate,
  strategyCanUpdateInPlace,
  type TemplateDiff,
} from '../inplace';
import {
  type Action,
  coalescePodWrites,
  isAtRevision,
  isHooked,
  isPodAvailable,
  lifecycleActions,
  lifecycleState,
  nextLifecycleState,
  priorityOrder,
  rfc3339,
  scatterOrder,
  shortHash,
  sortActivePods,
} from '../workload';
import { emptyResult, type PhaseResult, type SyncContext } from './context';
import { calculateDiffs, type ExpectationDiffs } from './diffs';

/** The patch of a ReCreate update, and its Event pair (Kruise's SuccessfulUpdatePodReCreate). */
function markForRecreate(name: string): Action {
  return {
    type: 'patchPodMetadata',
    name,
    patch: { metadata: { labels: { [SpecifiedDeleteLabel]: 'true' } } },
    reason: 'recreate update',
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
  const diffTo = revisionDiffs(ctx);
  for (const pod of chosen) {
    const r = updatePod(ctx, pod, diffTo);
    if (r.failure) result.failure = r.failure;
    result.actions.push(...r.actions);
    if (r.decision) decisions.push(`${pod.metadata.name} (${r.decision})`);
  }
  result.modified = result.actions.length > 0;
  if (decisions.length > 0) {
    const message = `update pods to revision ${update}: ${decisions.join(', ')}`;
    result.events.push({ type: 'Normal', reason: 'UpdatePods', message });
  }
  if (result.failure)
    result.events.push({ type: 'Warning', reason: 'FailedUpdate', message: result.failure });
  return result;
}

/**
 * Kruise refreshPodState + inplaceupdate.Refresh + the podreadiness controller for every pod: finish
 * in-place updates, set missing readiness gate conditions True, move lifecycle states on, backfill a
 * missing pod-template-hash label. One pod's changes go out in as few writes as the API allows.
 */
function refreshPods(ctx: SyncContext): PhaseResult {
  const result = emptyResult();
  const updateName = ctx.updateRevision.metadata.name ?? '';
  const strategy = ctx.cs.spec?.updateStrategy;
  const updating = strategy?.type !== 'OnDelete' && !strategy?.paused;
  const lifecycle = ctx.cs.spec?.lifecycle;
  let requeue: number | undefined;
  for (const pod of ctx.pods) {
    const name = pod.metadata.name ?? '';
    const revision = pod.metadata.labels?.[ControllerRevisionHashLabel];
    const step = refreshInPlace(pod, { now: ctx.now, keepDrainedFor: updating ? updateName : undefined });
    if (step.type === 'wait' && step.requeueAfterMs !== undefined) {
      requeue = Math.min(requeue ?? step.requeueAfterMs, step.requeueAfterMs);
    }
    const actions = stepActions(name, revision ?? updateName, step);
    const ready = kruisePodReadyInit(pod, ctx.now);
    if (ready) actions.push({ type: 'setPodCondition', name, conditions: [ready] });
    const state = nextLifecycleState(lifecycle, pod, updateName);
    if (state) {
      const markPodNotReady = lifecycle?.inPlaceUpdate?.markPodNotReady;
      actions.push(...lifecycleActions(pod, state, ctx.now, state, { markPodNotReady }));
    }
    if (revision && pod.metadata.labels?.[PodTemplateHashLabel] === undefined) {
      // Kruise fixPodTemplateHashLabel: pods created before it was set get it.
      const patch = { metadata: { labels: { [PodTemplateHashLabel]: shortHash(revision) } } };
      actions.push({ type: 'patchPodMetadata', name, patch, reason: 'backfill pod-template-hash' });
    }
    result.actions.push(...actions);
  }
  result.actions = coalescePodWrites(result.actions);
  result.modified = result.actions.length > 0;
  result.requeueAfterMs = requeue;
  return result;
}

/** Kruise's podreadiness controller: a pod with the KruisePodReady gate and no condition gets it True. */
function kruisePodReadyInit(pod: Pod, now: Date): PodCondition | undefined {
  if (!hasReadinessGate(pod.spec, KruisePodReadyCondition)) return undefined;
  if (podCondition(pod, KruisePodReadyCondition)) return undefined;
  return { type: KruisePodReadyCondition, status: 'True', lastTransitionTime: now.toISOString() };
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

interface PodUpdate {
  actions: Action[];
  decision?: string;
  failure?: string;
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
      const options = { envFromMetadata: ctx.envFromMetadata };
      memo.set(old, from && target ? diffPodTemplates(from, target, options) : undefined);
    }
    return memo.get(old);
  };
}

/** Kruise updatePod: in place when the policy allows and the revisions differ only in place, else recreate. */
function updatePod(ctx: SyncContext, pod: Pod, diffTo: ReturnType<typeof revisionDiffs>): PodUpdate {
  const type = ctx.cs.spec?.updateStrategy?.type;
  const name = pod.metadata.name ?? '';
  const diff = diffTo(ctx.revisions.find((r) => isAtRevision(pod, r.metadata.name ?? '')));
  const kind = diff ? changeKind(diff, { resizeSupported: ctx.cluster.resizeSupported }) : 'recreate';
  if (kind === 'none') return relabel(ctx, pod);
  if (strategyCanUpdateInPlace(type)) {
    if (kind !== 'recreate') return updateInPlace(ctx, pod, diff!);
    if (type === 'InPlaceOnly') {
      const why = diff ? `: ${diff.recreateReasons.join(', ')}` : '';
      return {
        actions: [],
        failure: `pod ${name}: update strategy is InPlaceOnly but it cannot be updated in place${why}`,
      };
    }
  }
  // Already marked: the scale phase deletes it when the budget allows; do not patch again.
  if (pod.metadata.labels?.[SpecifiedDeleteLabel] !== undefined) return { actions: [] };
  return { actions: [markForRecreate(name)], decision: 'recreate' };
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
  const markPodNotReady = hook?.markPodNotReady;
  if ((state === '' || state === 'PreparingNormal' || state === 'Normal') && isHooked(hook, pod)) {
    const actions = lifecycleActions(pod, 'PreparingUpdate', ctx.now, 'inPlaceUpdate hook', {
      markPodNotReady,
    });
    return { actions, decision: 'hooked' };
  }
  if (state === 'Updated') {
    // Kruise UpdatePodLifecycleWithHandler: put the hook handlers back before the next update.
    const options = { markPodNotReady, handler: hook };
    return {
      actions: lifecycleActions(pod, 'PreparingUpdate', ctx.now, 'inPlaceUpdate hook', options),
      decision: 'hooked',
    };
  }
  if (state === 'PreparingUpdate' && isHooked(hook, pod)) return { actions: [] };
  if (state === 'PreparingDelete')
    return { actions: [], failure: `pod ${name}: cannot update in state ${state}` };
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
