// The numbers behind every CloneSet decision (Kruise calculateDiffsWithExpectation): how many pods to
// create or delete, how many to update, and the unavailability budgets that limit each.
import {
  type CloneSet,
  CloneSetScalingExcludePreparingDeleteLabel,
  type Pod,
  resolveCloneSetMaxSurge,
  resolveCloneSetMaxUnavailable,
  resolveCloneSetScaleMaxUnavailable,
  resolvePartition,
} from '../../apis';
import { isAtRevision, isPodAvailable, isSpecifiedDelete, lifecycleState } from '../workload';

export interface Budgets {
  replicas: number;
  /** Pods kept at old revisions (resolved, OpenKruise rounding). */
  partition: number;
  maxSurge: number;
  maxUnavailable: number;
  scaleMaxUnavailable: number;
}

export interface ExpectationDiffs {
  scaleUpNum: number;
  /** Of scaleUpNum, how many should be created at the current (old) revision. */
  scaleUpNumOldRevision: number;
  scaleDownNum: number;
  scaleDownNumOldRevision: number;
  /** Creations allowed by scaleStrategy.maxUnavailable. */
  scaleUpLimit: number;
  /** Ready pods that may still be deleted under updateStrategy.maxUnavailable. */
  deleteReadyLimit: number;
  useSurge: number;
  useSurgeOldRevision: number;
  /** > 0: pods to move to updateRevision; 0: nothing to update. */
  updateNum: number;
  updateMaxUnavailable: number;
}

/**
 * Resolves partition, maxSurge and the maxUnavailable budgets with OpenKruise's rounding (apis/intstr.ts),
 * with the parser admission uses. Throws only for a value admission would have rejected.
 */
export function resolveBudgets(cs: CloneSet): Budgets {
  const replicas = cs.spec?.replicas ?? 1;
  const strategy = cs.spec?.updateStrategy ?? {};
  const maxSurge = resolveCloneSetMaxSurge(strategy.maxSurge, replicas, strategy.paused ?? false);
  return {
    replicas,
    partition: resolvePartition(strategy.partition, replicas),
    maxSurge,
    maxUnavailable: resolveCloneSetMaxUnavailable(strategy.maxUnavailable, replicas, maxSurge),
    scaleMaxUnavailable: resolveCloneSetScaleMaxUnavailable(cs.spec?.scaleStrategy?.maxUnavailable, replicas),
  };
}

interface RevisionCounts {
  total: number;
  active: number;
  unavailable: number;
  toDelete: number;
  preDeleting: number;
}

function countPods(cs: CloneSet, pods: Pod[], updateRevision: string, now: Date) {
  const minReady = cs.spec?.minReadySeconds ?? 0;
  const podsToDelete = cs.spec?.scaleStrategy?.podsToDelete;
  const zero = (): RevisionCounts => ({ total: 0, active: 0, unavailable: 0, toDelete: 0, preDeleting: 0 });
  const counts = { updated: zero(), old: zero() };
  for (const pod of pods) {
    const c = isAtRevision(pod, updateRevision) ? counts.updated : counts.old;
    c.total++;
    if (lifecycleState(pod) === 'PreparingDelete') c.preDeleting++;
    else {
      c.active++;
      if (isSpecifiedDelete(pod, podsToDelete)) c.toDelete++;
      else if (!isPodAvailable(pod, minReady, now)) c.unavailable++;
    }
  }
  return counts;
}

/** Use surge for the larger of the specified-delete and the update need (never both, as Kruise). */
function surgeToUse(b: Budgets, n: ReturnType<typeof countPods>, oldDiff: number, newDiff: number) {
  const totalUnavailable =
    n.updated.preDeleting + n.old.preDeleting + n.updated.unavailable + n.old.unavailable;
  const toDelete = n.updated.toDelete + n.old.toDelete;
  let scaleSurge = 0;
  let scaleOldSurge = 0;
  if (toDelete > 0) {
    scaleSurge = Math.min(Math.max(totalUnavailable + toDelete - b.maxUnavailable, 0), toDelete);
    if (scaleSurge > n.updated.toDelete) scaleOldSurge = scaleSurge - n.updated.toDelete;
  }
  let updateSurge = 0;
  let updateOldSurge = 0;
  if ((oldDiff > 0 && newDiff < 0) || (oldDiff < 0 && newDiff > 0)) {
    if (Math.abs(oldDiff) <= Math.abs(newDiff)) {
      updateSurge = Math.abs(oldDiff);
      if (oldDiff < 0) updateOldSurge = updateSurge;
    } else {
      updateSurge = Math.abs(newDiff);
      if (newDiff > 0) updateOldSurge = updateSurge;
    }
  }
  const [surge, oldSurge] =
    scaleSurge >= updateSurge ? [scaleSurge, scaleOldSurge] : [updateSurge, updateOldSurge];
  const useSurge = Math.min(b.maxSurge, surge);
  return { useSurge, useSurgeOldRevision: Math.min(useSurge, oldSurge), totalUnavailable };
}

/** calculateDiffsWithExpectation; rollback of partition (gate CloneSetPartitionRollback) is not supported. */
export function calculateDiffs(
  cs: CloneSet,
  pods: Pod[],
  updateRevision: string,
  now: Date,
  b: Budgets = resolveBudgets(cs),
): ExpectationDiffs {
  const n = countPods(cs, pods, updateRevision, now);
  // Pods only ever move forward to updateRevision.
  const oldDiff = Math.max(n.old.active - b.partition, 0);
  const newDiff = Math.min(n.updated.active - (b.replicas - b.partition), 0);
  const { useSurge, useSurgeOldRevision, totalUnavailable } =
    b.maxSurge > 0
      ? surgeToUse(b, n, oldDiff, newDiff)
      : { useSurge: 0, useSurgeOldRevision: 0, ...unavailableOf(n) };
  const excludePreDeleting = cs.metadata?.labels?.[CloneSetScalingExcludePreparingDeleteLabel] === 'true';
  const currentTotal = pods.length - (excludePreDeleting ? n.old.preDeleting + n.updated.preDeleting : 0);
  const currentOld = n.old.total - (excludePreDeleting ? n.old.preDeleting : 0);
  const expectedTotal = b.replicas + useSurge;
  const expectedOld = b.partition + useSurgeOldRevision;
  const toDelete = n.old.toDelete + n.updated.toDelete;

  const res: ExpectationDiffs = {
    ...{
      scaleUpNum: 0,
      scaleUpNumOldRevision: 0,
      scaleDownNum: 0,
      scaleDownNumOldRevision: 0,
      scaleUpLimit: 0,
    },
    ...{ deleteReadyLimit: 0, useSurge, useSurgeOldRevision, updateNum: 0, updateMaxUnavailable: 0 },
  };
  if (expectedTotal > currentTotal) {
    res.scaleUpNum = expectedTotal - currentTotal;
    res.scaleUpNumOldRevision = Math.max(expectedOld - currentOld, 0);
    res.scaleUpLimit = Math.min(res.scaleUpNum, Math.max(b.scaleMaxUnavailable - totalUnavailable, 0));
  }
  if (currentTotal - toDelete - expectedTotal > 0) {
    res.scaleDownNum = currentTotal - toDelete - expectedTotal;
    res.scaleDownNumOldRevision = Math.max(currentOld - n.old.toDelete - expectedOld, 0);
  }
  if (toDelete > 0 || res.scaleDownNum > 0) {
    res.deleteReadyLimit = Math.max(b.maxUnavailable + (pods.length - b.replicas) - totalUnavailable, 0);
  }
  res.updateNum = Math.abs(oldDiff) <= Math.abs(newDiff) ? oldDiff : -newDiff;
  if (res.updateNum !== 0) res.updateMaxUnavailable = b.maxUnavailable + pods.length - b.replicas;
  return res;
}

function unavailableOf(n: ReturnType<typeof countPods>) {
  return {
    totalUnavailable: n.updated.preDeleting + n.old.preDeleting + n.updated.unavailable + n.old.unavailable,
  };
}
