// The scale half of an Advanced StatefulSet reconcile (Kruise updateStatefulSet: processReplica, then
// processCondemned): create missing ordinals (at the current revision inside the partition), replace
// failed pods, create a Pending pod's missing claims, fix identity labels and claim owners, then delete
// the condemned pods, highest ordinal first. OrderedReady does one thing at a time and stops at the first
// pod not available; Parallel does everything at once, bounded by scaleStrategy.maxUnavailable.
import type { ControllerRevision, Pod, StatefulSet } from '../../apis';
import { resolveStatefulSetMaxUnavailable } from '../../apis/intstr';
import { PodIndexLabel, StatefulSetPodNameLabel } from '../../apis/well-known';
import {
  type Action,
  claimOwnerChange,
  isAtRevision,
  isClaimStale,
  isHooked,
  lifecycleActions,
  lifecycleState,
  ordinalName,
  ordinalOf,
  rangeOrdinals,
} from '../workload';
import {
  availability,
  emptyHalf,
  type HalfResult,
  isHealthy,
  isRunningAndReady,
  isTerminal,
  isTerminating,
  requeueAt,
  type StsContext,
} from './context';
import { statefulSetRef } from './kind';
import { identityLabels, newPod, ordinalClaims } from './new-pods';

/** A claim whose earlier pod is still collecting it: look again after this long. */
const STALE_CLAIM_REQUEUE_MS = 1000;

export function planScale(ctx: StsContext): HalfResult {
  const result = processReplicas(ctx);
  if (result.exit) return result;
  const condemned = processCondemned(ctx);
  return {
    actions: [...result.actions, ...condemned.actions],
    events: [...result.events, ...condemned.events],
    exit: condemned.exit,
    requeueAfterMs: minOf(result.requeueAfterMs, condemned.requeueAfterMs),
  };
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Kruise getScaleMaxUnavailable: a budget of pods creating, terminating or unavailable (Parallel only). */
function scaleBudget(sts: StatefulSet): { consume(): boolean } {
  const limit = sts.spec?.scaleStrategy?.maxUnavailable;
  let remaining =
    limit === undefined ? undefined : resolveStatefulSetMaxUnavailable(limit, sts.spec?.replicas ?? 1);
  // Kruise decreaseAndCheckMaxUnavailable: true once the budget is used up.
  return { consume: () => remaining !== undefined && --remaining <= 0 };
}

export const partitionOf = (sts: StatefulSet) => sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;

/**
 * Kruise isCurrentRevisionNeeded for each missing ordinal: under RollingUpdate a new pod is created at the
 * current revision while the pods kept at old revisions (partition) are not all there. Ordered: the first
 * `partition` ordinals; unorderedUpdate: while fewer than `partition` other pods are not updated.
 */
export function revisionsOfMissing(ctx: StsContext): Map<number, ControllerRevision> {
  const strategy = ctx.sts.spec?.updateStrategy;
  const partition = partitionOf(ctx.sts);
  const update = ctx.updateRevision.metadata.name ?? '';
  const revisions = new Map<number, ControllerRevision>();
  const ordinals = rangeOrdinals(ctx.range);
  // Most reconciles find every slot filled: nothing to decide, so no map of the slots.
  if (ordinals.every((ordinal) => ctx.slots.has(ordinal))) return revisions;
  /** Revision names of the slots filled so far, ascending (Kruise fills its replicas array in order). */
  const filled = new Map<number, boolean>();
  for (const [ordinal, pod] of ctx.slots) filled.set(ordinal, isAtRevision(pod, update));
  ordinals.forEach((ordinal, index) => {
    if (ctx.slots.has(ordinal)) return;
    let current = false;
    if (strategy?.type === 'RollingUpdate') {
      if (!strategy.rollingUpdate?.unorderedUpdate) current = index + 1 <= partition;
      else {
        const notUpdated = [...filled].filter(([o, updated]) => o !== ordinal && !updated).length;
        current = notUpdated < partition;
      }
    }
    revisions.set(ordinal, current ? ctx.currentRevision : ctx.updateRevision);
    filled.set(ordinal, !current || ctx.currentRevision === ctx.updateRevision);
  });
  return revisions;
}

/** The claim owner changes `pod`'s retention policy asks for. */
function retentionActions(ctx: StsContext, pod: Pod, ordinal: number, scaledDown: boolean): Action[] {
  const actions: Action[] = [];
  if (!ctx.sts.spec?.volumeClaimTemplates?.length) return actions;
  const owners = {
    owner: statefulSetRef(ctx.sts),
    pod: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
    policy: ctx.sts.spec?.persistentVolumeClaimRetentionPolicy,
    scaledDown,
  };
  for (const template of ordinalClaims(ctx.sts, ordinal)) {
    const name = template.metadata.name;
    const claim = ctx.claim(name);
    const change = claim && !claim.metadata?.deletionTimestamp && claimOwnerChange(claim, owners);
    if (change) {
      const reason = scaledDown ? 'claim retention: scaled down' : 'claim retention';
      actions.push({ type: 'updatePVCOwners', name, ...change, reason });
    }
  }
  return actions;
}

/** The claims of `ordinal` that do not exist yet. */
function missingClaims(ctx: StsContext, ordinal: number): Action[] {
  return ordinalClaims(ctx.sts, ordinal)
    .filter((pvc) => !ctx.claim(pvc.metadata.name))
    .map((pvc) => ({ type: 'createPVC', pvc }));
}

/**
 * Kruise deletePod: with the preDelete hook on the pod it only moves to PreparingDelete (and waits for
 * whoever holds the hook); otherwise it is deleted. `modified` is whether anything was written.
 */
export function deleteOrHold(
  ctx: StsContext,
  pod: Pod,
  reason: string,
): { actions: Action[]; modified: boolean } {
  const preDelete = ctx.sts.spec?.lifecycle?.preDelete;
  if (isHooked(preDelete, pod)) {
    if (lifecycleState(pod) === 'PreparingDelete') return { actions: [], modified: false };
    const markPodNotReady = preDelete?.markPodNotReady;
    return {
      actions: lifecycleActions(pod, 'PreparingDelete', ctx.now, 'preDelete hook', { markPodNotReady }),
      modified: true,
    };
  }
  const name = pod.metadata.name ?? '';
  return { actions: [{ type: 'deletePod', name, uid: pod.metadata.uid, pvcs: [], reason }], modified: true };
}

function hasIdentityLabels(ctx: StsContext, pod: Pod, ordinal: number): boolean {
  const labels = pod.metadata.labels;
  return (
    labels?.[StatefulSetPodNameLabel] === ordinalName(ctx.name, ordinal) &&
    labels?.[PodIndexLabel] === String(ordinal)
  );
}

function processReplicas(ctx: StsContext): HalfResult {
  const result = emptyHalf();
  const budget = scaleBudget(ctx.sts);
  const policy = ctx.sts.spec?.persistentVolumeClaimRetentionPolicy;
  const newRevisions = revisionsOfMissing(ctx);
  const created: string[] = [];
  for (const ordinal of rangeOrdinals(ctx.range)) {
    const pod = ctx.slots.get(ordinal);
    if (!pod) {
      const name = ordinalName(ctx.name, ordinal);
      const claims = ordinalClaims(ctx.sts, ordinal);
      if (claims.some((c) => isClaimStale(ctx.claim(c.metadata.name), { name }, policy))) {
        // k8s PodClaimIsStale: the claim goes with the pod that was here before; wait for it.
        requeueAt(result, STALE_CLAIM_REQUEUE_MS);
        if (ctx.monotonic) {
          result.exit = true;
          break;
        }
        continue;
      }
      const revision = newRevisions.get(ordinal) ?? ctx.updateRevision;
      result.actions.push(...missingClaims(ctx, ordinal), {
        type: 'createPod',
        pod: newPod(ctx.sts, revision, ordinal, ctx.now),
        revision: revision.metadata.name ?? '',
      });
      created.push(name);
      if (ctx.monotonic) {
        result.exit = true;
        break;
      }
      if (budget.consume()) break;
      continue;
    }
    if (isTerminal(pod)) {
      if (budget.consume()) break;
      // Failed or Succeeded: replaced by a new pod of this ordinal once it is gone.
      if (!isTerminating(pod)) result.actions.push(...deleteOrHold(ctx, pod, 'pod finished').actions);
      if (ctx.monotonic) {
        result.exit = true;
        break;
      }
      continue;
    }
    if (pod.status?.phase === 'Pending') result.actions.push(...missingClaims(ctx, ordinal));
    if (isTerminating(pod)) {
      if (ctx.monotonic) {
        result.exit = true;
        break;
      }
      if (budget.consume()) break;
      continue;
    }
    const { available, waitMs } = availability(ctx, pod);
    if (!available) {
      requeueAt(result, waitMs);
      if (ctx.monotonic) {
        result.exit = true;
        break;
      }
      if (budget.consume()) break;
    }
    if (!hasIdentityLabels(ctx, pod, ordinal)) {
      const patch = { metadata: { labels: identityLabels(ctx.sts, ordinal) } };
      result.actions.push({
        type: 'patchPodMetadata',
        name: pod.metadata.name ?? '',
        patch,
        reason: 'identity',
      });
    }
    result.actions.push(...retentionActions(ctx, pod, ordinal, false));
  }
  if (created.length > 0) {
    result.events.push({ type: 'Normal', reason: 'ScaleUp', message: `create pods ${created.join(', ')}` });
  }
  return result;
}

function lowestUnhealthy(ctx: StsContext): Pod | undefined {
  const ordinalOfPod = (p: Pod) => ordinalOf(p.metadata.name, ctx.name) ?? -1;
  const unhealthy = [...ctx.slots.values(), ...ctx.condemned].filter((p) => !isHealthy(p));
  return unhealthy.sort((a, b) => ordinalOfPod(a) - ordinalOfPod(b))[0];
}

function processCondemned(ctx: StsContext): HalfResult {
  const result = emptyHalf();
  for (const pod of ctx.condemned) {
    const ordinal = ordinalOf(pod.metadata.name, ctx.name) ?? -1;
    if (!isTerminating(pod)) result.actions.push(...retentionActions(ctx, pod, ordinal, true));
  }
  if (ctx.condemned.length === 0) return result;
  // k8s: the lowest ordinal among the unhealthy pods may go even while it is unhealthy.
  const firstUnhealthy = ctx.monotonic ? lowestUnhealthy(ctx) : undefined;
  const deleted: string[] = [];
  for (const pod of ctx.condemned) {
    if (isTerminating(pod)) {
      if (ctx.monotonic) return { ...result, exit: true };
      continue;
    }
    if (ctx.monotonic && pod !== firstUnhealthy) {
      const { available, waitMs } = availability(ctx, pod);
      if (!isRunningAndReady(pod) || !available) {
        requeueAt(result, waitMs);
        return { ...result, exit: true };
      }
    }
    const { actions, modified } = deleteOrHold(ctx, pod, 'scale in');
    result.actions.push(...actions);
    if (actions.some((a) => a.type === 'deletePod')) deleted.push(pod.metadata.name ?? '');
    if (ctx.monotonic && modified) {
      result.exit = true;
      break;
    }
  }
  if (deleted.length > 0) {
    result.events.push({ type: 'Normal', reason: 'ScaleDown', message: `delete pods ${deleted.join(', ')}` });
  }
  return result;
}
