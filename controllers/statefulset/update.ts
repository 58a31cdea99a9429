// The rolling update of an Advanced StatefulSet (Kruise rollingUpdateStatefulsetPods): a sliding window of
// at most maxUnavailable unavailable pods. Specified-delete pods go first; then, highest ordinal first (or
// by unorderedUpdate priority), the pods beyond the partition move to the update revision, in place when
// the policy and the change allow it, else by deletion (the scale half recreates them at the update
// revision). A target that is available while the window is full stops the round: the order holds.
import type { Pod } from '../../apis';
import { resolveStatefulSetMaxUnavailable } from '../../apis/intstr';
import { ControllerRevisionHashLabel, SpecifiedDeleteLabel } from '../../apis/well-known';
import { isInPlaceUpdating } from '../inplace';
import {
  type Action,
  isAtRevision,
  ordinalOf,
  type PodUpdateContext,
  priorityOrder,
  RECREATE_FOR_UPDATE,
  rangeOrdinals,
  revisionDiffs,
  updatePod,
  updateRoundEvents,
} from '../workload';
import {
  availability,
  emptyHalf,
  type HalfResult,
  isHealthy,
  isTerminating,
  requeueAt,
  type StsContext,
} from './context';
import { deleteOrHold, partitionOf } from './scale';

/** ASTS pods carry the full revision name only. */
export const statefulSetRevisionLabels = (revision: string) => ({ [ControllerRevisionHashLabel]: revision });

export interface UpdateInput {
  /** Pods written by this reconcile already (refresh, scale): not updated in the same one. */
  touched: ReadonlySet<string>;
}

/**
 * Kruise's unavailable set: pods missing, unhealthy (lifecycle not Normal, not Running and Ready,
 * terminating), in the middle of an in-place update, or not yet available for minReadySeconds.
 */
function unavailablePods(ctx: StsContext, result: HalfResult): Set<number> {
  const unavailable = new Set<number>();
  for (const ordinal of rangeOrdinals(ctx.range)) {
    const pod = ctx.slots.get(ordinal);
    if (!pod || !isHealthy(pod) || isInPlaceUpdating(pod)) {
      unavailable.add(ordinal);
      continue;
    }
    const { available, waitMs } = availability(ctx, pod);
    if (!available) {
      unavailable.add(ordinal);
      requeueAt(result, waitMs);
    }
  }
  return unavailable;
}

/**
 * Kruise sortPodsToUpdate: the ordinals to bring to the update revision, first first. Ordered: from the
 * highest ordinal down to slot `partition`, at most replicas − partition of them. unorderedUpdate: pods
 * already updated or terminating first, then the others by priorityStrategy, truncated the same way.
 */
export function updateOrder(ctx: StsContext): number[] {
  const rolling = ctx.sts.spec?.updateStrategy?.rollingUpdate;
  const partition = partitionOf(ctx.sts);
  const maxUpdate = (ctx.sts.spec?.replicas ?? 1) - partition;
  if (maxUpdate <= 0) return [];
  const descending = rangeOrdinals(ctx.range).reverse();
  if (!rolling?.unorderedUpdate) {
    return descending.filter((o) => o - ctx.range.start >= partition).slice(0, maxUpdate);
  }
  const update = ctx.updateRevision.metadata.name ?? '';
  const done = (o: number) => {
    const pod = ctx.slots.get(o);
    return !pod || isTerminating(pod) || isAtRevision(pod, update);
  };
  const waiting = descending.filter((o) => !done(o)).map((o) => ctx.slots.get(o) as Pod);
  const prioritized = priorityOrder(waiting, rolling.unorderedUpdate.priorityStrategy).map(
    (p) => ordinalOf(p.metadata.name, ctx.name) as number,
  );
  return [...descending.filter(done), ...prioritized].slice(0, maxUpdate);
}

function podUpdateContext(ctx: StsContext): PodUpdateContext {
  const rolling = ctx.sts.spec?.updateStrategy?.rollingUpdate;
  return {
    updateRevision: ctx.updateRevision,
    revisions: ctx.revisions,
    policy: rolling?.podUpdatePolicy,
    lifecycle: ctx.sts.spec?.lifecycle,
    gracePeriodSeconds: rolling?.inPlaceUpdateStrategy?.gracePeriodSeconds,
    now: ctx.now,
    resizeSupported: ctx.resizeSupported,
    envFromMetadata: ctx.envFromMetadata,
    revisionLabels: statefulSetRevisionLabels,
  };
}

export function planRollingUpdate(ctx: StsContext, input: UpdateInput): HalfResult {
  const result = emptyHalf();
  const strategy = ctx.sts.spec?.updateStrategy;
  if (strategy?.type === 'OnDelete' || strategy?.rollingUpdate?.paused) return result;
  const maxUnavailable = resolveStatefulSetMaxUnavailable(
    strategy?.rollingUpdate?.maxUnavailable,
    ctx.sts.spec?.replicas ?? 1,
  );
  const unavailable = unavailablePods(ctx, result);
  const windowFull = (ordinal: number) => unavailable.size >= maxUnavailable && !unavailable.has(ordinal);
  const decisions: string[] = [];

  // Specified-delete pods first, each under the budget; the partition does not hold them.
  const specified = new Set<number>();
  for (const ordinal of rangeOrdinals(ctx.range).reverse()) {
    const pod = ctx.slots.get(ordinal);
    if (!pod || pod.metadata.labels?.[SpecifiedDeleteLabel] === undefined || input.touched.has(name(pod)))
      continue;
    if (windowFull(ordinal)) continue;
    specified.add(ordinal);
    if (!isTerminating(pod)) {
      result.actions.push(...deleteOrHold(ctx, pod, 'specified to delete').actions);
      decisions.push(`${name(pod)} (specified delete)`);
    }
    unavailable.add(ordinal);
  }

  const update = ctx.updateRevision.metadata.name ?? '';
  const updating = podUpdateContext(ctx);
  const diffTo = revisionDiffs(updating);
  for (const ordinal of updateOrder(ctx)) {
    const pod = ctx.slots.get(ordinal);
    // A missing pod is recreated at its revision by the scale half.
    if (!pod || isAtRevision(pod, update)) continue;
    if (windowFull(ordinal)) break;
    if (input.touched.has(name(pod))) {
      // Written this round already: wait for the cache, keeping the order.
      if (!unavailable.has(ordinal)) break;
      continue;
    }
    unavailable.add(ordinal);
    if (specified.has(ordinal) || isTerminating(pod)) continue;
    const r = updatePod(updating, pod, diffTo);
    if (r.type === 'failed') {
      // Kruise returns the error: this pod and those after it wait.
      result.failure = r.failure;
      break;
    }
    if (r.type === 'inPlace') {
      result.actions.push(...r.actions);
      if (r.decision) decisions.push(`${name(pod)} (${r.decision})`);
      continue;
    }
    const deleted = deleteOrHold(ctx, pod, RECREATE_FOR_UPDATE);
    result.actions.push(...deleted.actions);
    decisions.push(`${name(pod)} (${deleted.actions.some(isDelete) ? 'recreate' : 'preDelete hook'})`);
  }
  result.events.push(...updateRoundEvents(update, decisions, result.failure));
  return result;
}

const name = (pod: Pod) => pod.metadata.name ?? '';
const isDelete = (a: Action) => a.type === 'deletePod';
