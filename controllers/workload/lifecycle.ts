// Lifecycle hooks (Kruise pkg/util/lifecycle) and the state transitions a workload makes on its own
// (refreshPodState): PreparingNormal → Normal, PreparingUpdate → Normal/Updated on rollback (#1156),
// Updating → Updated/Normal once the in-place update completed, Updated → Normal once re-hooked.
// With a hook's markPodNotReady, entering PreparingDelete or PreparingUpdate also sets the KruisePodReady
// condition False (and Ready with it), so the pod leaves Service endpoints before its hook runs.
import type { Lifecycle, LifecycleHook, LifecycleState, Pod, PodCondition } from '../../apis';
import { podCondition } from '../../apis/core-objects';
import { KruisePodReadyCondition, LifecycleStateLabel, LifecycleTimestampKey } from '../../apis/well-known';
import { hasReadinessGate, isUpdateCompleted, readUpdateState } from '../inplace';
import type { Action, PodMetadataPatch } from './actions';
import { isAtRevision, isScheduled, lifecycleState } from './pods';

/** The pod carries at least one of the hook's handler labels/finalizers. */
export function isHooked(hook: LifecycleHook | undefined, pod: Pod): boolean {
  if (!hook) return false;
  if ((hook.finalizersHandler ?? []).some((f) => pod.metadata.finalizers?.includes(f))) return true;
  return Object.entries(hook.labelsHandler ?? {}).some(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The pod carries all of the hook's handlers (false for a missing hook, as in Kruise). */
export function isAllHooked(hook: LifecycleHook | undefined, pod: Pod): boolean {
  if (!hook) return false;
  if (!(hook.finalizersHandler ?? []).every((f) => pod.metadata.finalizers?.includes(f))) return false;
  return Object.entries(hook.labelsHandler ?? {}).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** Kruise IsLifecycleMarkPodNotReady: preDelete or inPlaceUpdate asks for KruisePodReady=False. */
export function marksPodNotReady(lifecycle: Lifecycle | undefined): boolean {
  return Boolean(lifecycle?.preDelete?.markPodNotReady || lifecycle?.inPlaceUpdate?.markPodNotReady);
}

/** Go time.RFC3339 (seconds precision), as Kruise writes lifecycle timestamps. */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function lifecyclePatch(state: LifecycleState, now: Date): PodMetadataPatch {
  return {
    metadata: {
      labels: { [LifecycleStateLabel]: state },
      annotations: { [LifecycleTimestampKey]: rfc3339(now) },
    },
  };
}

/** After an in-place update: Updated while the inPlaceUpdate hook is not fully back, else Normal. */
function afterUpdate(lifecycle: Lifecycle | undefined, pod: Pod): LifecycleState {
  const hook = lifecycle?.inPlaceUpdate;
  // Kruise passes through Updated for one reconcile even without a hook; we go straight to Normal.
  return hook && !isAllHooked(hook, pod) ? 'Updated' : 'Normal';
}

/** The state the workload moves the pod to on its own in this reconcile, if any. */
export function nextLifecycleState(
  lifecycle: Lifecycle | undefined,
  pod: Pod,
  updateRevision: string,
): LifecycleState | undefined {
  switch (lifecycleState(pod)) {
    case 'PreparingNormal': {
      // Kruise #1485: without a preNormal hook wait until the pod is scheduled.
      const ready = lifecycle?.preNormal ? isAllHooked(lifecycle.preNormal, pod) : isScheduled(pod);
      return ready ? 'Normal' : undefined;
    }
    case 'PreparingUpdate':
      // Rolled back while waiting for the hook: nothing to patch, just leave the state (Kruise #1156).
      return isAtRevision(pod, updateRevision) ? afterUpdate(lifecycle, pod) : undefined;
    case 'Updating': {
      const state = readUpdateState(pod);
      return !state || isUpdateCompleted(pod, state) ? afterUpdate(lifecycle, pod) : undefined;
    }
    case 'Updated':
      return !lifecycle?.inPlaceUpdate || isAllHooked(lifecycle.inPlaceUpdate, pod) ? 'Normal' : undefined;
    default:
      return undefined;
  }
}

/** Kruise podreadiness keys, one per hook that holds the pod not ready. */
const NOT_READY_KEYS: Partial<Record<LifecycleState, string>> = {
  PreparingDelete: 'preDeleteHook',
  PreparingUpdate: 'preUpdateHook',
};

interface NotReadyMessage {
  userAgent: string;
  key: string;
}

function notReadyMessages(pod: Pod): NotReadyMessage[] {
  const condition = podCondition(pod, KruisePodReadyCondition);
  if (!condition?.message || condition.status === 'True') return [];
  try {
    const parsed: unknown = JSON.parse(condition.message);
    return Array.isArray(parsed) ? (parsed as NotReadyMessage[]) : [];
  } catch {
    return [];
  }
}

/**
 * Kruise executePodNotReadyPolicy: entering PreparingDelete/PreparingUpdate adds the hook's key to the
 * KruisePodReady condition (False); leaving the update (Updated, or Normal, where Kruise forgets it)
 * removes the update key (True once no key is left). Only for pods with the KruisePodReady gate.
 */
export function notReadyConditions(pod: Pod, state: LifecycleState, now: Date): PodCondition[] {
  if (!hasReadinessGate(pod.spec, KruisePodReadyCondition)) return [];
  const messages = notReadyMessages(pod);
  const at = now.toISOString();
  const key = NOT_READY_KEYS[state];
  if (key) {
    if (messages.some((m) => m.userAgent === 'Lifecycle' && m.key === key)) return [];
    const message = JSON.stringify([...messages, { userAgent: 'Lifecycle', key }]);
    return [
      { type: KruisePodReadyCondition, status: 'False', message, lastTransitionTime: at },
      // As Kruise's SetPodReadyCondition: endpoints drop the pod before the kubelet notices the gate.
      {
        type: 'Ready',
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: `the status of pod readiness gate "${KruisePodReadyCondition}" is not "True", but False`,
        lastTransitionTime: at,
      },
    ];
  }
  if (state !== 'Updated' && state !== 'Normal') return [];
  const kept = messages.filter((m) => !(m.userAgent === 'Lifecycle' && m.key === 'preUpdateHook'));
  if (kept.length === messages.length) return [];
  const status = kept.length === 0 ? 'True' : 'False';
  const message = kept.length === 0 ? '' : JSON.stringify(kept);
  return [{ type: KruisePodReadyCondition, status, message, lastTransitionTime: at }];
}

export interface LifecycleOptions {
  /** The hook asks for KruisePodReady=False while the pod waits for it. */
  markPodNotReady?: boolean;
  /** Kruise UpdatePodLifecycleWithHandler: put these handler labels and finalizers back. */
  handler?: LifecycleHook;
}

/**
 * The writes moving `pod` to `state` (Kruise UpdatePodLifecycle[WithHandler]): the state label and
 * timestamp, and with markPodNotReady the KruisePodReady condition in the same pods/status write.
 * Finalizers cannot go through pods/status, so handler finalizers take a pod patch of their own.
 */
export function lifecycleActions(
  pod: Pod,
  state: LifecycleState,
  now: Date,
  reason: string,
  options: LifecycleOptions = {},
): Action[] {
  const name = pod.metadata.name ?? '';
  const patch = lifecyclePatch(state, now);
  const handler = options.handler;
  patch.metadata.labels = { ...patch.metadata.labels, ...handler?.labelsHandler };
  const conditions = options.markPodNotReady ? notReadyConditions(pod, state, now) : [];
  const actions: Action[] = [];
  if (handler?.finalizersHandler?.length) {
    actions.push({
      type: 'patchPodMetadata',
      name,
      patch: { metadata: { ...patch.metadata, finalizers: [...handler.finalizersHandler] } },
      reason,
    });
    if (conditions.length > 0) actions.push({ type: 'setPodCondition', name, conditions });
    return actions;
  }
  if (conditions.length > 0) return [{ type: 'setPodCondition', name, conditions, metadata: patch.metadata }];
  return [{ type: 'patchPodMetadata', name, patch, reason }];
}
