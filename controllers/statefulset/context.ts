// What one Advanced StatefulSet reconcile decides from, resolved once: the ordinal range, the pods in
// their slots and the condemned ones, the revisions, and the pod facts Kruise's ASTS uses.
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '../../apis';
import type { KubeObject } from '../../runtime/meta';
import {
  type Action,
  isPodAvailable,
  isPodReady,
  lifecycleState,
  type OrdinalRange,
  type PlanEvent,
  readySince,
} from '../workload';

export interface StsContext {
  sts: StatefulSet;
  name: string;
  range: OrdinalRange;
  /** Pods at the ordinals the set runs (terminal and terminating ones too), by ordinal. */
  slots: Map<number, Pod>;
  /** Pods at ordinals outside the range or reserved, highest ordinal first. */
  condemned: Pod[];
  currentRevision: ControllerRevision;
  updateRevision: ControllerRevision;
  /** Every revision, the update revision included. */
  revisions: ControllerRevision[];
  /** OrderedReady: one pod at a time, each after its predecessors are available. */
  monotonic: boolean;
  minReadySeconds: number;
  now: Date;
  claim(name: string): (PersistentVolumeClaim & KubeObject) | undefined;
  resizeSupported: boolean;
  envFromMetadata: boolean;
}

export interface HalfResult {
  actions: Action[];
  events: PlanEvent[];
  /** OrderedReady is waiting (or acted): nothing after this half runs in this reconcile. */
  exit: boolean;
  requeueAfterMs?: number;
  failure?: string;
}

export function emptyHalf(): HalfResult {
  return { actions: [], events: [], exit: false };
}

/** Also sets `requeueAfterMs` to the earlier of the two. */
export function requeueAt(result: { requeueAfterMs?: number }, ms: number | undefined): void {
  if (ms === undefined) return;
  result.requeueAfterMs = Math.min(result.requeueAfterMs ?? ms, ms);
}

export const isTerminating = (pod: Pod) => Boolean(pod.metadata.deletionTimestamp);
export const isTerminal = (pod: Pod) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
export const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);

/** Kruise isHealthy: lifecycle Normal (or none), Running and Ready, not terminating. */
export function isHealthy(pod: Pod): boolean {
  const state = lifecycleState(pod);
  return (state === '' || state === 'Normal') && isRunningAndReady(pod) && !isTerminating(pod);
}

type Availability = { available: boolean; waitMs?: number };

const AVAILABLE: Availability = Object.freeze({ available: true });
const UNAVAILABLE: Availability = Object.freeze({ available: false });

/**
 * With minReadySeconds a plan's questions (scale, update, status) would parse each ready pod's timestamp
 * several times: worked out once per plan. Without it the answer is cheaper than a lookup.
 */
const availabilityByPlan = new WeakMap<StsContext, Map<Pod, Availability>>();

/** Kruise isRunningAndAvailable, and how long until minReadySeconds has passed for a ready pod. */
export function availability(ctx: StsContext, pod: Pod): Availability {
  if (ctx.minReadySeconds === 0) return isPodAvailable(pod, 0, ctx.now) ? AVAILABLE : UNAVAILABLE;
  let known = availabilityByPlan.get(ctx);
  if (!known) {
    known = new Map();
    availabilityByPlan.set(ctx, known);
  }
  let result = known.get(pod);
  if (!result) {
    result = availabilityOf(ctx, pod);
    known.set(pod, result);
  }
  return result;
}

function availabilityOf(ctx: StsContext, pod: Pod): Availability {
  if (isPodAvailable(pod, ctx.minReadySeconds, ctx.now)) return { available: true };
  const since = isRunningAndReady(pod) ? readySince(pod) : undefined;
  if (since === undefined || ctx.minReadySeconds === 0) return { available: false };
  const waitMs = since + ctx.minReadySeconds * 1000 - ctx.now.getTime();
  return { available: false, waitMs: waitMs > 0 ? waitMs : undefined };
}
