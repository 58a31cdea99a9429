// Moving one pod to the update revision, and refreshing pods between updates: the part of a rolling update
// every revision-based workload shares (Kruise's CloneSet and Advanced StatefulSet do the same per pod).
// The kind decides which pods and how many; this decides, per pod, in place (through ../inplace, with the
// inPlaceUpdate lifecycle hook) or recreate, and writes the refresh steps (in-place completion, the
// KruisePodReady gate condition, lifecycle transitions).
import type { ControllerRevision, Lifecycle, Pod, PodCondition } from '../../apis';
import { podCondition, templateOfRevision } from '../../apis/core-objects';
import {
  ControllerRevisionHashLabel,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  LifecycleTimestampKey,
} from '../../apis/well-known';
import {
  changeKind,
  diffPodTemplates,
  hasReadinessGate,
  type InPlaceStep,
  refreshInPlace,
  startInPlaceUpdate,
  strategyCanUpdateInPlace,
  type TemplateDiff,
} from '../inplace';
import type { Action, PlanEvent } from './actions';
import { isHooked, lifecycleActions, nextLifecycleState, rfc3339 } from './lifecycle';
import { isAtRevision, isScheduled, isUnschedulable, lifecycleState } from './pods';

/** The engine's next step as the executor's action on pod `name`. */
export function inPlaceStepActions(name: string, revision: string, step: InPlaceStep): Action[] {
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

/** Kruise's podreadiness controller: a pod with the KruisePodReady gate and no condition gets it True. */
function kruisePodReadyInit(pod: Pod, now: Date): PodCondition | undefined {
  if (!hasReadinessGate(pod.spec, KruisePodReadyCondition)) return undefined;
  if (podCondition(pod, KruisePodReadyCondition)) return undefined;
  return { type: KruisePodReadyCondition, status: 'True', lastTransitionTime: now.toISOString() };
}

export interface RefreshContext {
  updateRevision: string;
  /** A rollout is going on (not OnDelete, not paused): a pod drained for the update stays drained. */
  updating: boolean;
  lifecycle: Lifecycle | undefined;
  now: Date;
}

/**
 * Kruise refreshPodState + inplaceupdate.Refresh + the podreadiness controller for one pod: finish its
 * in-place update, set a missing KruisePodReady condition True, move its lifecycle state on. The actions
 * are not yet coalesced (the kind may add its own for the same pod first).
 */
export function refreshPod(pod: Pod, ctx: RefreshContext): { actions: Action[]; requeueAfterMs?: number } {
  const name = pod.metadata.name ?? '';
  const revision = pod.metadata.labels?.[ControllerRevisionHashLabel] ?? ctx.updateRevision;
  const keepDrainedFor = ctx.updating ? ctx.updateRevision : undefined;
  const step = refreshInPlace(pod, { now: ctx.now, keepDrainedFor });
  // A gate turns True once the pod is bound: before, no kubelet can report it Ready, and a write then
  // races kube-scheduler's binding of the same pod. The binding's event brings the pod back here. A pod
  // the scheduler found no node for gets them at once, as in Kruise: no binding is under way then.
  const gatesDue = isScheduled(pod) || isUnschedulable(pod);
  const actions = step.type === 'setCondition' && !gatesDue ? [] : inPlaceStepActions(name, revision, step);
  const ready = gatesDue ? kruisePodReadyInit(pod, ctx.now) : undefined;
  if (ready) actions.push({ type: 'setPodCondition', name, conditions: [ready] });
  const state = nextLifecycleState(ctx.lifecycle, pod, ctx.updateRevision);
  if (state) {
    const markPodNotReady = ctx.lifecycle?.inPlaceUpdate?.markPodNotReady;
    actions.push(...lifecycleActions(pod, state, ctx.now, state, { markPodNotReady }));
  }
  const requeueAfterMs = step.type === 'wait' ? step.requeueAfterMs : undefined;
  return { actions, requeueAfterMs };
}

export interface PodUpdateContext {
  updateRevision: ControllerRevision;
  /** Every revision the owner has, to find each pod's own. */
  revisions: ControllerRevision[];
  /** ReCreate, InPlaceIfPossible or InPlaceOnly (CloneSet updateStrategy.type, ASTS podUpdatePolicy). */
  policy: string | undefined;
  lifecycle: Lifecycle | undefined;
  gracePeriodSeconds?: number;
  now: Date;
  resizeSupported: boolean;
  /** Kruise's InPlaceUpdateEnvFromMetadata gate. */
  envFromMetadata: boolean;
  /** The revision labels a pod at `revision` carries (CloneSet adds pod-template-hash). */
  revisionLabels(revision: string): Record<string, string>;
}

export type PodUpdate =
  /** Written in place (or relabelled, or waiting for its hook): apply the actions. */
  | { type: 'inPlace'; actions: Action[]; decision?: string }
  /** Needs a new pod: the kind deletes it its own way (CloneSet: specified-delete; ASTS: delete). */
  | { type: 'recreate' }
  /** Cannot be updated (InPlaceOnly and the change is not in place, or a PreparingDelete pod). */
  | { type: 'failed'; failure: string };

/** The template diff from each old revision to the update revision, computed once per plan, not per pod. */
export function revisionDiffs(
  ctx: Pick<PodUpdateContext, 'updateRevision' | 'envFromMetadata'>,
): (old: ControllerRevision | undefined) => TemplateDiff | undefined {
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

/**
 * Kruise updatePod / inPlaceUpdatePod: in place when the policy allows and the revisions differ only in
 * place, else recreate. `diffTo` is revisionDiffs(ctx), shared by the plan's pods.
 */
export function updatePod(
  ctx: PodUpdateContext,
  pod: Pod,
  diffTo: (old: ControllerRevision | undefined) => TemplateDiff | undefined,
): PodUpdate {
  const name = pod.metadata.name ?? '';
  const diff = diffTo(ctx.revisions.find((r) => isAtRevision(pod, r.metadata.name ?? '')));
  const kind = diff ? changeKind(diff, { resizeSupported: ctx.resizeSupported }) : 'recreate';
  if (kind === 'none') return relabel(ctx, pod);
  if (strategyCanUpdateInPlace(ctx.policy)) {
    if (kind !== 'recreate') return updateInPlace(ctx, pod, diff!);
    if (ctx.policy === 'InPlaceOnly') {
      const why = diff ? `: ${diff.recreateReasons.join(', ')}` : '';
      return {
        type: 'failed',
        failure: `pod ${name}: update strategy is InPlaceOnly but it cannot be updated in place${why}`,
      };
    }
  }
  return { type: 'recreate' };
}

/** The Events of one update round: which pods moved to `revision` and how, and a plan-time failure. */
export function updateRoundEvents(revision: string, decisions: string[], failure?: string): PlanEvent[] {
  const events: PlanEvent[] = [];
  if (decisions.length > 0) {
    const message = `update pods to revision ${revision}: ${decisions.join(', ')}`;
    events.push({ type: 'Normal', reason: 'UpdatePods', message });
  }
  if (failure) events.push({ type: 'Warning', reason: 'FailedUpdate', message: failure });
  return events;
}

/**
 * Same template under another revision name (e.g. a workload taken over from OpenKruise, whose hashes
 * differ from ours): only the revision labels change, whatever the policy.
 */
function relabel(ctx: PodUpdateContext, pod: Pod): PodUpdate {
  const labels = ctx.revisionLabels(ctx.updateRevision.metadata.name ?? '');
  const action: Action = {
    type: 'patchPodMetadata',
    name: pod.metadata.name ?? '',
    patch: { metadata: { labels } },
    reason: 'relabel',
  };
  return { type: 'inPlace', actions: [action], decision: 'same template, relabel' };
}

function updateInPlace(ctx: PodUpdateContext, pod: Pod, diff: TemplateDiff): PodUpdate {
  const name = pod.metadata.name ?? '';
  const hook = ctx.lifecycle?.inPlaceUpdate;
  const state = lifecycleState(pod);
  const markPodNotReady = hook?.markPodNotReady;
  if ((state === '' || state === 'PreparingNormal' || state === 'Normal') && isHooked(hook, pod)) {
    const actions = lifecycleActions(pod, 'PreparingUpdate', ctx.now, 'inPlaceUpdate hook', {
      markPodNotReady,
    });
    return { type: 'inPlace', actions, decision: 'hooked' };
  }
  if (state === 'Updated') {
    // Kruise UpdatePodLifecycleWithHandler: put the hook handlers back before the next update.
    const options = { markPodNotReady, handler: hook };
    return {
      type: 'inPlace',
      actions: lifecycleActions(pod, 'PreparingUpdate', ctx.now, 'inPlaceUpdate hook', options),
      decision: 'hooked',
    };
  }
  if (state === 'PreparingUpdate' && isHooked(hook, pod)) return { type: 'inPlace', actions: [] };
  if (state === 'PreparingDelete') {
    return { type: 'failed', failure: `pod ${name}: cannot update in state ${state}` };
  }
  const update = ctx.updateRevision.metadata.name ?? '';
  const step = startInPlaceUpdate(
    pod,
    {
      revision: update,
      diff,
      labels: { ...ctx.revisionLabels(update), [LifecycleStateLabel]: 'Updating' },
      annotations: { [LifecycleTimestampKey]: rfc3339(ctx.now) },
    },
    { now: ctx.now, gracePeriodSeconds: ctx.gracePeriodSeconds },
  );
  const actions = inPlaceStepActions(name, update, step);
  const decision = step.type === 'drain' ? 'in place: drain, then patch' : 'in place';
  return { type: 'inPlace', actions, decision: actions.length > 0 ? decision : undefined };
}
