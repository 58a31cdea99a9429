// The scale half of a CloneSet reconcile (Kruise cloneset/sync/cloneset_scale.go): cancel pending
// deletions when replicas grew, create missing pods, delete pods in PreparingDelete, specified pods and
// excess pods, in that order, stopping at the first step that changes anything.
import type { Pod } from '../../apis';
import {
  type Action,
  isAtRevision,
  isHooked,
  isPodAvailable,
  isSpecifiedDelete,
  lifecycleActions,
  lifecyclePatch,
  lifecycleState,
  marksPodNotReady,
  scaleInOrder,
} from '../workload';
import { emptyResult, type PhaseResult, type SyncContext } from './context';
import { calculateDiffs, type ExpectationDiffs } from './diffs';
import { availableInstanceIds, instanceClaims, instanceIdOf, newPod } from './new-pods';

export function planScale(ctx: SyncContext): PhaseResult {
  const { cs, pods } = ctx;
  const podsToDelete = cs.spec?.scaleStrategy?.podsToDelete;
  const specified = pods.filter((p) => isSpecifiedDelete(p, podsToDelete));
  const preDeleting = pods.filter((p) => lifecycleState(p) === 'PreparingDelete');
  const numToDelete = new Set([...specified, ...preDeleting]).size;

  const regret = cancelPreparingDelete(ctx, preDeleting, numToDelete);
  if (regret.modified) return regret;

  const diffs = calculateDiffs(cs, pods, ctx.updateRevision.metadata.name ?? '', ctx.now, ctx.budgets);
  const result = emptyResult();
  if (diffs.scaleUpNum > diffs.scaleUpLimit) {
    result.events.push({
      type: 'Warning',
      reason: 'ScaleUpLimited',
      message: `scaleUp is limited because of scaleStrategy.maxUnavailable, limit: ${diffs.scaleUpLimit}`,
    });
  }
  if (diffs.scaleUpNum > 0) return merge(result, createPods(ctx, diffs));

  if (preDeleting.length > 0) {
    const r = deletePods(ctx, preDeleting, 'preDelete hook released');
    if (r.modified) return merge(result, r);
  }
  const specifiedOnly = specified.filter((p) => !preDeleting.includes(p));
  if (specifiedOnly.length > 0) {
    const r = deletePods(ctx, underDeleteBudget(ctx, specifiedOnly, diffs), 'specified to delete');
    if (r.modified) return merge(result, r);
  }
  // Kruise: no scale-in while specified or preDelete pods are still pending.
  if (diffs.scaleDownNum > 0 && numToDelete === 0) {
    const chosen = choosePodsToDelete(ctx, diffs);
    return merge(result, deletePods(ctx, underDeleteBudget(ctx, chosen, diffs), 'scale in'));
  }
  return result;
}

function merge(into: PhaseResult, from: PhaseResult): PhaseResult {
  return {
    actions: [...into.actions, ...from.actions],
    events: [...into.events, ...from.events],
    modified: from.modified,
  };
}

/** The names of the pods the actions write to. */
function namesOf(actions: Action[]): string[] {
  return [...new Set(actions.map((a) => ('name' in a ? a.name : '')).filter(Boolean))];
}

/** Kruise managePreparingDelete: replicas grew again, take PreparingDelete pods back (not with markPodNotReady). */
function cancelPreparingDelete(ctx: SyncContext, preDeleting: Pod[], numToDelete: number): PhaseResult {
  const result = emptyResult();
  if (marksPodNotReady(ctx.cs.spec?.lifecycle)) return result;
  const podsToDelete = ctx.cs.spec?.scaleStrategy?.podsToDelete;
  let missing = (ctx.cs.spec?.replicas ?? 1) - ctx.pods.length + numToDelete;
  for (const pod of preDeleting) {
    if (missing <= 0) break;
    if (isSpecifiedDelete(pod, podsToDelete)) continue;
    result.actions.push({
      type: 'patchPodMetadata',
      name: pod.metadata.name ?? '',
      patch: lifecyclePatch('PreparingNormal', ctx.now),
      reason: 'replicas grew: cancel deletion',
    });
    missing--;
  }
  result.modified = result.actions.length > 0;
  if (result.modified) {
    const names = namesOf(result.actions).join(', ');
    result.events.push({
      type: 'Normal',
      reason: 'CancelDelete',
      message: `cancel deletion of pods ${names}`,
    });
  }
  return result;
}

/** Scale out: old-revision pods first (to restore the partition), PVCs before their pods. */
function createPods(ctx: SyncContext, diffs: ExpectationDiffs): PhaseResult {
  const result = emptyResult();
  const count = diffs.scaleUpLimit;
  if (count <= 0) return result;
  const ids = availableInstanceIds(count, ctx.pods, ctx.pvcs, ctx.newInstanceId);
  const atCurrent = Math.min(count, diffs.scaleUpNumOldRevision);
  const existingClaims = new Set(ctx.pvcs.map((p) => p.metadata?.name));
  ids.forEach((id, i) => {
    const revision = i < atCurrent ? ctx.currentRevision : ctx.updateRevision;
    for (const pvc of instanceClaims(ctx.cs, id)) {
      if (!existingClaims.has(pvc.metadata.name)) result.actions.push({ type: 'createPVC', pvc });
    }
    const pod = newPod(ctx.cs, revision, id, ctx.now);
    result.actions.push({ type: 'createPod', pod, revision: revision.metadata.name ?? '' });
  });
  result.modified = true;
  const current = ctx.currentRevision.metadata.name;
  const update = ctx.updateRevision.metadata.name;
  const split = current === update ? '' : ` (${atCurrent} at ${current}, ${count - atCurrent} at ${update})`;
  result.events.push({ type: 'Normal', reason: 'ScaleUp', message: `scale up by ${count} pods${split}` });
  return result;
}

/** Ready pods only while deleteReadyLimit lasts; pods that are not ready cost nothing. */
function underDeleteBudget(ctx: SyncContext, pods: Pod[], diffs: ExpectationDiffs): Pod[] {
  let readyLimit = diffs.deleteReadyLimit;
  return pods.filter((pod) => {
    if (!isPodAvailable(pod, 0, ctx.now)) return true;
    if (readyLimit <= 0) return false;
    readyLimit--;
    return true;
  });
}

/** Kruise choosePodsToDelete: exactly scaleDownNumOldRevision old pods first, then new ones. */
function choosePodsToDelete(ctx: SyncContext, diffs: ExpectationDiffs): Pod[] {
  const update = ctx.updateRevision.metadata.name ?? '';
  const minReady = ctx.cs.spec?.minReadySeconds ?? 0;
  const options = {
    isAvailable: (p: Pod) => isPodAvailable(p, minReady, ctx.now),
    // Kruise: the template's topologySpreadConstraints switch to the spread ranker.
    topologyKeys: (ctx.cs.spec?.template.spec.topologySpreadConstraints ?? [])
      .map((c) => (c as { topologyKey?: string }).topologyKey)
      .filter((key): key is string => Boolean(key)),
    nodeLabels: ctx.cluster.nodeLabels,
  };
  const choose = (pods: Pod[], n: number) => scaleInOrder(pods, options).slice(0, Math.max(n, 0));
  const updated = ctx.pods.filter((p) => isAtRevision(p, update));
  const old = ctx.pods.filter((p) => !isAtRevision(p, update));
  const total = diffs.scaleDownNum;
  const oldCount = Math.min(diffs.scaleDownNumOldRevision, total);
  return [...choose(old, oldCount), ...choose(updated, total - oldCount)];
}

/** Hooked pods only move to PreparingDelete; others are deleted together with their PVCs. */
function deletePods(ctx: SyncContext, pods: Pod[], reason: string): PhaseResult {
  const result = emptyResult();
  const preDelete = ctx.cs.spec?.lifecycle?.preDelete;
  const deleted: string[] = [];
  const held: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (isHooked(preDelete, pod)) {
      if (lifecycleState(pod) !== 'PreparingDelete') {
        const markPodNotReady = preDelete?.markPodNotReady;
        result.actions.push(
          ...lifecycleActions(pod, 'PreparingDelete', ctx.now, 'preDelete hook', { markPodNotReady }),
        );
        held.push(name);
      }
      continue;
    }
    const id = instanceIdOf(pod);
    const pvcs = ctx.pvcs.filter((c) => id && instanceIdOf(c) === id).map((c) => c.metadata?.name ?? '');
    result.actions.push({ type: 'deletePod', name, uid: pod.metadata.uid, pvcs, reason });
    deleted.push(name);
  }
  result.modified = result.actions.length > 0;
  if (deleted.length > 0) {
    result.events.push({
      type: 'Normal',
      reason: 'ScaleDown',
      message: `delete pods (${reason}): ${deleted.join(', ')}`,
    });
  }
  if (held.length > 0) {
    const message = `pods wait for the preDelete hook: ${held.join(', ')}`;
    result.events.push({ type: 'Normal', reason: 'PreparingDelete', message });
  }
  return result;
}
