// plan: one Advanced StatefulSet reconcile as a pure function (Kruise UpdateStatefulSet). (set, pods,
// revisions, claims, now) → the actions to apply in order, the Events, the status and when to look again.
// Unlike CloneSet, one reconcile scales and updates (Kruise does both, scaling first), except that
// OrderedReady stops at the first pod it must wait for.
import type {
  ControllerRevision,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
  StatefulSetStatus,
} from '../../apis';
import type { KubeObject } from '../../runtime/meta';
import {
  type Action,
  activeRevisions,
  claimPods,
  coalescePodWrites,
  inRange,
  ordinalOf,
  ordinalRange,
  refreshPod,
  reservedOrdinals,
  truncateHistory,
  type WorkloadPlan,
} from '../workload';
import { type HalfResult, isTerminal, isTerminating, requeueAt, type StsContext } from './context';
import { revisionSource } from './kind';
import { planScale } from './scale';
import { computeStatus } from './status';
import { planRollingUpdate } from './update';

export interface PlanInput {
  /** The StatefulSet from the cache, with apis applyDefaults('StatefulSet', …) applied. */
  statefulSet: StatefulSet;
  /** Every pod whose controller reference is the StatefulSet (terminal and terminating ones included). */
  pods: Pod[];
  revisions: ControllerRevision[];
  /** A PVC of the set's namespace by name (claims are found by name: most have no owner). */
  claim?: (name: string) => (PersistentVolumeClaim & KubeObject) | undefined;
  now: Date;
  /** The cluster serves pods/resize: cpu and memory changes are then done in place. */
  resizeSupported?: boolean;
  /** Kruise's InPlaceUpdateEnvFromMetadata gate (default on). */
  envFromMetadata?: boolean;
}

export type Plan = WorkloadPlan<StatefulSetStatus>;

/**
 * One reconcile. Never throws: a spec the controller cannot resolve (only possible when admission was
 * bypassed) reports a failure and the status, and changes no pod.
 */
export function plan(input: PlanInput): Plan {
  const sts = input.statefulSet;
  const name = sts.metadata?.name ?? '';
  const deleting = Boolean(sts.metadata?.deletionTimestamp);
  const claims = claimPods(sts.spec?.selector, input.pods, deleting);
  const actions: Action[] = claims.released.map((p) => ({
    type: 'releasePod',
    name: p.metadata.name ?? '',
    uid: p.metadata.uid ?? '',
  }));
  const revs = activeRevisions(revisionSource(sts), input.revisions);
  actions.push(...revs.actions);
  const reserved = reservedOrdinals(sts.spec?.reserveOrdinals);
  const range = ordinalRange(
    sts.spec?.ordinals?.start ?? 0,
    sts.spec?.replicas ?? 1,
    reserved instanceof Set ? reserved : new Set(),
  );
  // Pods whose names carry no ordinal of this set are left alone, as Kruise does.
  const slots = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const pod of claims.claimed) {
    const ordinal = ordinalOf(pod.metadata.name, name);
    if (ordinal === undefined) continue;
    if (inRange(range, ordinal)) slots.set(ordinal, pod);
    else condemned.push(pod);
  }
  condemned.sort((a, b) => (ordinalOf(b.metadata.name, name) ?? 0) - (ordinalOf(a.metadata.name, name) ?? 0));
  const ctx: StsContext = {
    sts,
    name,
    range,
    slots,
    condemned,
    currentRevision: revs.currentRevision,
    updateRevision: revs.updateRevision,
    revisions: [
      ...input.revisions.filter((r) => r.metadata.name !== revs.updateRevision.metadata.name),
      revs.updateRevision,
    ],
    monotonic: sts.spec?.podManagementPolicy !== 'Parallel',
    minReadySeconds: sts.spec?.updateStrategy?.rollingUpdate?.minReadySeconds ?? 0,
    now: input.now,
    claim: input.claim ?? (() => undefined),
    resizeSupported: input.resizeSupported ?? false,
    envFromMetadata: input.envFromMetadata ?? true,
  };
  const result: Plan = {
    actions,
    events: [],
    status: computeStatus(ctx, revs.collisionCount),
    phase: 'none',
    // Native's slow start runs over every ordinal and counts each pod already there as a success: a set
    // missing a few of its pods (a rolling update's recreations) creates them at once.
    createsAtOnce: slots.size + 1,
  };
  if (!(reserved instanceof Set)) {
    result.failure = `cannot resolve the ordinals: ${reserved.error}`;
    result.events.push({ type: 'Warning', reason: 'FailedScale', message: result.failure });
  } else if (!deleting) {
    sync(ctx, result);
  }
  const pods = [...slots.values(), ...condemned];
  const live = [result.status.currentRevision ?? '', result.status.updateRevision ?? ''];
  actions.push(...truncateHistory(input.revisions, pods, live, sts.spec?.revisionHistoryLimit));
  return result;
}

/** Refresh every pod, then scale, then (unless OrderedReady must wait) roll the update on. */
function sync(ctx: StsContext, result: Plan): void {
  const refreshed = refreshPods(ctx);
  const scale = planScale(ctx);
  const touched = new Set([...refreshed.actions, ...scale.actions].filter(isPodWrite).map((a) => a.name));
  const update: HalfResult = scale.exit ? emptyUpdate() : planRollingUpdate(ctx, { touched });
  result.actions.push(...refreshed.actions, ...scale.actions, ...update.actions);
  result.events.push(...scale.events, ...update.events);
  result.failure = update.failure;
  result.phase = scale.actions.length > 0 ? 'scale' : update.actions.length > 0 ? 'update' : 'none';
  for (const half of [refreshed, scale, update]) requeueAt(result, half.requeueAfterMs);
}

const POD_WRITES = new Set([
  'deletePod',
  'patchPodMetadata',
  'setPodCondition',
  'inPlaceUpdate',
  'drainAndUpdate',
]);
const isPodWrite = (a: Action): a is Extract<Action, { name: string }> => POD_WRITES.has(a.type);

function emptyUpdate(): HalfResult {
  return { actions: [], events: [], exit: false };
}

/** The kit's refreshPod for every pod: in-place completion, KruisePodReady, lifecycle transitions. */
function refreshPods(ctx: StsContext): { actions: Action[]; requeueAfterMs?: number } {
  const strategy = ctx.sts.spec?.updateStrategy;
  const refresh = {
    updateRevision: ctx.updateRevision.metadata.name ?? '',
    updating: strategy?.type !== 'OnDelete' && !strategy?.rollingUpdate?.paused,
    lifecycle: ctx.sts.spec?.lifecycle,
    now: ctx.now,
  };
  const result: { actions: Action[]; requeueAfterMs?: number } = { actions: [] };
  for (const pod of [...ctx.slots.values(), ...ctx.condemned]) {
    if (isTerminating(pod) || isTerminal(pod)) continue;
    const { actions, requeueAfterMs } = refreshPod(pod, refresh);
    result.actions.push(...actions);
    requeueAt(result, requeueAfterMs);
  }
  result.actions = coalescePodWrites(result.actions);
  return result;
}
