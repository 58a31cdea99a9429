// `rollout status`: how far a rollout is, what holds it, and the one-line progress bar. Pure: the
// command reads the workload and its pods, this says what they mean.
import {
  type BroadcastJob,
  type CloneSet,
  type LifecycleHook,
  type Pod,
  resolvePartition,
  resolveStatefulSetMaxUnavailable,
  type SidecarSet,
  type StatefulSet,
} from '../apis';
import { resolveBudgets } from '../controllers/cloneset';
import { isAtRevision, isHooked, isPodAvailable, lifecycleState } from '../controllers/workload';
import type { TargetKind } from './kinds';

export interface Progress {
  kind: TargetKind;
  name: string;
  /** Pods the workload wants (desired for a BroadcastJob, matched pods for a SidecarSet). */
  replicas: number;
  /** Pods that should reach the update revision (replicas minus the partition). */
  target: number;
  updated: number;
  ready: number;
  available: number;
  updatedReady: number;
  /** The controller has seen the latest spec. */
  observed: boolean;
  /** 1-based batch in progress and the number of batches, when the rollout moves in batches. */
  batch?: { index: number; total: number; size: number };
  /** Pods being updated right now (started, not yet ready at the update revision). */
  inFlight: string[];
  /** What keeps the rollout from moving on, in words. */
  blockers: string[];
  done: boolean;
  /** The rollout cannot finish (failed job, failed update condition); the message says why. */
  failed?: string;
}

type Conditioned = { status?: { conditions?: { type: string; status: string; message?: string }[] } };

function failedCondition(obj: Conditioned, types: string[]): string | undefined {
  const c = obj.status?.conditions?.find((x) => types.includes(x.type) && x.status === 'True');
  return c ? `${c.type}: ${c.message ?? ''}`.trim() : undefined;
}

function generationObserved(obj: { metadata?: { generation?: number }; status?: unknown }): boolean {
  const observed = (obj.status as { observedGeneration?: number } | undefined)?.observedGeneration;
  return observed !== undefined && observed >= (obj.metadata?.generation ?? 0);
}

/** Pods in a lifecycle state their hook holds. */
function hookBlockers(
  pods: Pod[],
  lifecycle: { preDelete?: LifecycleHook; inPlaceUpdate?: LifecycleHook } | undefined,
): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    const state = lifecycleState(pod);
    const hook =
      state === 'PreparingUpdate'
        ? lifecycle?.inPlaceUpdate
        : state === 'PreparingDelete'
          ? lifecycle?.preDelete
          : undefined;
    if (hook && isHooked(hook, pod)) {
      const which = state === 'PreparingUpdate' ? 'inPlaceUpdate' : 'preDelete';
      const handlers = [...(hook.finalizersHandler ?? []), ...Object.keys(hook.labelsHandler ?? {})].join(
        ', ',
      );
      out.push(`pod ${pod.metadata.name} is stuck in its ${which} lifecycle hook (${handlers})`);
    }
  }
  return out;
}

interface RollingInput {
  kind: TargetKind;
  name: string;
  replicas: number;
  partition: number;
  maxUnavailable: number;
  maxSurge: number;
  paused: boolean;
  onDelete: boolean;
  status: {
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReadyReplicas?: number;
    replicas?: number;
    updateRevision?: string;
  };
  observed: boolean;
  pods: Pod[];
  minReadySeconds: number;
  lifecycle?: { preDelete?: LifecycleHook; inPlaceUpdate?: LifecycleHook };
  failure?: string;
  now: Date;
}

function rolling(i: RollingInput): Progress {
  const target = Math.max(0, i.replicas - i.partition);
  const s = i.status;
  const update = s.updateRevision ?? '';
  const updated = s.updatedReplicas ?? 0;
  const updatedReady = s.updatedReadyReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const active = i.pods.filter((p) => !p.metadata.deletionTimestamp);
  const isAvailable = (p: Pod) => isPodAvailable(p, i.minReadySeconds, i.now);
  const inFlight = active
    .filter((p) => update && isAtRevision(p, update) && !isAvailable(p))
    .map((p) => p.metadata.name ?? '')
    .sort();
  const done =
    i.observed &&
    updatedReady >= target &&
    updated >= target &&
    (s.replicas ?? 0) === i.replicas &&
    available >= i.replicas &&
    active.length === i.replicas;
  const blockers: string[] = [];
  if (!i.observed) blockers.push('the controller has not yet seen the latest spec');
  if (i.paused && updated < target) blockers.push('paused: resume it to go on');
  if (i.onDelete && updated < target)
    blockers.push('updateStrategy OnDelete: pods update when you delete them');
  if (i.partition > 0)
    blockers.push(
      `partition ${i.partition}: ${Math.min(i.partition, i.replicas)} pods stay at the old revision`,
    );
  const unavailable = active.filter((p) => !isAvailable(p));
  if (
    !done &&
    !i.paused &&
    updated < target &&
    unavailable.length >= i.maxUnavailable &&
    i.maxUnavailable > 0
  ) {
    const names = unavailable
      .map((p) => p.metadata.name)
      .sort()
      .join(', ');
    blockers.push(`maxUnavailable ${i.maxUnavailable} reached: waiting for ${names} to become available`);
  }
  blockers.push(...hookBlockers(active, i.lifecycle));
  const size = Math.max(1, i.maxUnavailable + i.maxSurge);
  const total = Math.max(1, Math.ceil(target / size));
  const batch =
    target > 0
      ? { index: Math.min(total, Math.floor(updatedReady / size) + (done ? 0 : 1)), total, size }
      : undefined;
  return {
    kind: i.kind,
    name: i.name,
    replicas: i.replicas,
    target,
    updated,
    ready: s.readyReplicas ?? 0,
    available,
    updatedReady,
    observed: i.observed,
    batch,
    inFlight,
    blockers,
    done,
    failed: i.failure,
  };
}

export function cloneSetProgress(cs: CloneSet, pods: Pod[], now: Date): Progress {
  const b = resolveBudgets(cs);
  const strategy = cs.spec?.updateStrategy;
  return rolling({
    kind: 'CloneSet',
    name: cs.metadata?.name ?? '',
    replicas: b.replicas,
    partition: b.partition,
    maxUnavailable: b.maxUnavailable,
    maxSurge: b.maxSurge,
    paused: strategy?.paused ?? false,
    onDelete: strategy?.type === 'OnDelete',
    status: cs.status ?? {},
    observed: generationObserved(cs),
    pods,
    minReadySeconds: cs.spec?.minReadySeconds ?? 0,
    lifecycle: cs.spec?.lifecycle,
    failure: failedCondition(cs as Conditioned, ['FailedUpdate']),
    now,
  });
}

export function statefulSetProgress(sts: StatefulSet, pods: Pod[], now: Date): Progress {
  const replicas = sts.spec?.replicas ?? 1;
  const r = sts.spec?.updateStrategy?.rollingUpdate;
  return rolling({
    kind: 'StatefulSet',
    name: sts.metadata?.name ?? '',
    replicas,
    partition: resolvePartition(r?.partition, replicas),
    maxUnavailable: resolveStatefulSetMaxUnavailable(r?.maxUnavailable, replicas),
    maxSurge: 0,
    paused: r?.paused ?? false,
    onDelete: sts.spec?.updateStrategy?.type === 'OnDelete',
    status: sts.status ?? {},
    observed: generationObserved(sts),
    pods,
    minReadySeconds: sts.spec?.updateStrategy?.rollingUpdate?.minReadySeconds ?? 0,
    lifecycle: sts.spec?.lifecycle,
    now,
  });
}

export function broadcastJobProgress(job: BroadcastJob): Progress {
  const s = job.status ?? {};
  const desired = s.desired ?? 0;
  const succeeded = s.succeeded ?? 0;
  const phase = s.phase ?? '';
  const blockers: string[] = [];
  if (job.spec?.paused) blockers.push('paused: no new pods start until it is resumed');
  const failed =
    phase === 'failed' ? (failedCondition(job as Conditioned, ['Failed']) ?? 'the job failed') : undefined;
  return {
    kind: 'BroadcastJob',
    name: job.metadata?.name ?? '',
    replicas: desired,
    target: desired,
    updated: succeeded,
    ready: s.active ?? 0,
    available: succeeded,
    updatedReady: succeeded,
    observed: true,
    inFlight: [],
    blockers,
    done: phase === 'completed',
    failed,
  };
}

export function sidecarSetProgress(ss: SidecarSet): Progress {
  const s = ss.status ?? { matchedPods: 0, updatedPods: 0, readyPods: 0 };
  const matched = s.matchedPods ?? 0;
  const partition = resolvePartition(ss.spec?.updateStrategy?.partition, matched);
  const target = Math.max(0, matched - partition);
  const blockers: string[] = [];
  if (ss.spec?.updateStrategy?.paused) blockers.push('paused: resume it to go on');
  if (partition > 0) blockers.push(`partition ${partition}: ${partition} pods keep the old sidecars`);
  const observed = generationObserved(ss);
  const updatedReady = (s as { updatedReadyPods?: number }).updatedReadyPods ?? 0;
  return {
    kind: 'SidecarSet',
    name: ss.metadata?.name ?? '',
    replicas: matched,
    target,
    updated: s.updatedPods ?? 0,
    ready: s.readyPods ?? 0,
    available: s.readyPods ?? 0,
    updatedReady,
    observed,
    inFlight: [],
    blockers,
    done: observed && (s.updatedPods ?? 0) >= target && updatedReady >= target,
  };
}

const BAR_WIDTH = 24;

/** `[########········] 4/8 updated  3/8 ready  3/8 available  batch 2/4` */
export function progressLine(p: Progress): string {
  const total = Math.max(p.target, 1);
  const filled = Math.min(BAR_WIDTH, Math.round((p.updatedReady / total) * BAR_WIDTH));
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const noun =
    p.kind === 'BroadcastJob' ? ['succeeded', 'active', 'succeeded'] : ['updated', 'ready', 'available'];
  const parts = [`${bar} ${p.updated}/${p.target} ${noun[0]}`, `${p.ready}/${p.replicas} ${noun[1]}`];
  if (p.kind !== 'BroadcastJob') parts.push(`${p.available}/${p.replicas} ${noun[2]}`);
  if (p.batch && !p.done) parts.push(`batch ${p.batch.index}/${p.batch.total}`);
  if (p.inFlight.length > 0) parts.push(`updating ${p.inFlight.join(', ')}`);
  return parts.join('  ');
}

/** The final or one-shot message, as kubectl rollout status words it. */
export function summary(p: Progress): string {
  const what = `${p.kind.toLowerCase()} "${p.name}"`;
  if (p.failed) return `${what} cannot finish: ${p.failed}`;
  if (p.done) {
    if (p.kind === 'BroadcastJob') return `${what} completed: ${p.updated}/${p.target} pods succeeded`;
    if (p.target < p.replicas)
      return `${what} partitioned roll out complete: ${p.updated} of ${p.replicas} pods updated`;
    return `${what} successfully rolled out`;
  }
  const waiting = `Waiting for ${what} rollout to finish: ${p.updatedReady} of ${p.target} updated pods are ready`;
  return p.blockers.length > 0 ? `${waiting} (${p.blockers.join('; ')})` : waiting;
}
