// CloneSet status and conditions, computed from the observed pods only (Kruise cloneset_status.go).
import {
  type CloneSet,
  type CloneSetCondition,
  CloneSetConditionReasons,
  type CloneSetStatus,
  type Pod,
} from '../../apis';
import { selectorString } from '../../apis/labels';
import { isAtRevision, isPodAvailable, isPodUpdateReady, setCondition } from '../workload';

export interface StatusInput {
  cs: CloneSet;
  /** Active pods. */
  pods: Pod[];
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  /** The resolved partition (expectedUpdatedReplicas = replicas - partition). */
  partition: number;
  now: Date;
}

export interface StatusResult {
  status: CloneSetStatus;
  /** When the Progressing condition must be re-evaluated (deadline), or minReadySeconds to pass. */
  requeueAfterMs?: number;
}

export function computeStatus(input: StatusInput): StatusResult {
  const { cs, pods, now } = input;
  const replicas = cs.spec?.replicas ?? 1;
  const minReady = cs.spec?.minReadySeconds ?? 0;
  const status: CloneSetStatus = {
    observedGeneration: cs.metadata?.generation,
    replicas: pods.length,
    readyReplicas: 0,
    availableReplicas: 0,
    updatedReplicas: 0,
    updatedReadyReplicas: 0,
    updatedAvailableReplicas: 0,
    expectedUpdatedReplicas: replicas - input.partition,
    updateRevision: input.updateRevision,
    currentRevision: input.currentRevision,
    collisionCount: input.collisionCount,
    labelSelector: selectorString(cs.spec?.selector),
    conditions: [...(cs.status?.conditions ?? [])],
  };
  for (const pod of pods) {
    const ready = isPodUpdateReady(pod, 0, now);
    const available = isPodAvailable(pod, minReady, now);
    const updated = isAtRevision(pod, input.updateRevision);
    status.readyReplicas += Number(ready);
    status.availableReplicas += Number(available);
    status.updatedReplicas += Number(updated);
    status.updatedReadyReplicas += Number(updated && ready);
    status.updatedAvailableReplicas! += Number(updated && available);
  }
  // Readiness is not required for the update revision to become current.
  if (status.updatedReplicas === status.replicas && status.replicas === replicas) {
    status.currentRevision = status.updateRevision;
  }
  const deadlineMs = progressing(cs, status, now);
  const minReadyMs =
    minReady > 0 && status.availableReplicas !== status.readyReplicas ? minReady * 1000 : undefined;
  const waits = [deadlineMs, minReadyMs].filter((ms): ms is number => ms !== undefined && ms >= 0);
  return { status, requeueAfterMs: waits.length > 0 ? Math.min(...waits) : undefined };
}

function condition(status: 'True' | 'False', reason: string, message: string, now: Date): CloneSetCondition {
  const at = now.toISOString();
  return { type: 'Progressing', status, reason, message, lastUpdateTime: at, lastTransitionTime: at };
}

/**
 * Kruise calculateProgressingStatus, only with progressDeadlineSeconds set: Available, Paused,
 * PartitionAvailable, DeadlineExceeded, else Updated (progressing). Returns ms until the deadline.
 */
function progressing(cs: CloneSet, status: CloneSetStatus, now: Date): number | undefined {
  const deadline = cs.spec?.progressDeadlineSeconds;
  if (deadline === undefined || deadline === 2147483647) {
    status.conditions = status.conditions?.filter((c) => c.type !== 'Progressing');
    return undefined;
  }
  const replicas = cs.spec?.replicas ?? 1;
  const R = CloneSetConditionReasons;
  if (
    status.currentRevision === status.updateRevision &&
    status.replicas === replicas &&
    status.updatedReplicas === replicas &&
    status.updatedAvailableReplicas === replicas
  ) {
    setCondition(status, condition('True', R.Available, 'CloneSet is available', now));
  } else if (cs.spec?.updateStrategy?.paused) {
    setCondition(status, condition('True', R.Paused, 'CloneSet is paused', now));
  } else if (
    (status.expectedUpdatedReplicas ?? replicas) < replicas &&
    (status.expectedUpdatedReplicas ?? replicas) <= (status.updatedAvailableReplicas ?? 0)
  ) {
    const message = 'CloneSet has been paused due to partition ready';
    setCondition(status, condition('True', R.PartitionAvailable, message, now));
  } else if (deadlineExceeded(status, deadline, now)) {
    const message = `CloneSet revision ${status.updateRevision} has timed out progressing`;
    setCondition(status, condition('False', R.ProgressDeadlineExceeded, message, now));
  } else {
    setCondition(status, condition('True', R.Updated, 'CloneSet is progressing', now));
    const current = status.conditions?.find((c) => c.type === 'Progressing');
    const since = Date.parse(current?.lastUpdateTime ?? now.toISOString());
    const after = since + deadline * 1000 - now.getTime();
    // Kruise adds a second to avoid waking just before the deadline.
    return after < 1000 ? after : after + 1000;
  }
  return undefined;
}

function deadlineExceeded(status: CloneSetStatus, deadlineSeconds: number, now: Date): boolean {
  const current = status.conditions?.find((c) => c.type === 'Progressing');
  if (!current) return false;
  if (current.reason === CloneSetConditionReasons.ProgressDeadlineExceeded) return true;
  // Only time spent progressing counts (an old Available/Paused condition starts a fresh clock).
  if (current.reason !== CloneSetConditionReasons.Updated) return false;
  return Date.parse(current.lastUpdateTime ?? '') + deadlineSeconds * 1000 < now.getTime();
}
