// Lifecycle hooks (Kruise pkg/util/lifecycle) and the state transitions CloneSet makes on its own
// (refreshPodState): PreparingNormal → Normal, PreparingUpdate → Normal/Updated on rollback (#1156),
// Updating → Updated/Normal once the in-place update completed, Updated → Normal once re-hooked.
import type { CloneSet, LifecycleHook, LifecycleState } from '../../apis';
import { isUpdateCompleted, type Pod, readUpdateState } from '../inplace';
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
export function marksPodNotReady(cs: CloneSet): boolean {
  const lifecycle = cs.spec?.lifecycle;
  return Boolean(lifecycle?.preDelete?.markPodNotReady || lifecycle?.inPlaceUpdate?.markPodNotReady);
}

/** After an in-place update: Updated while the inPlaceUpdate hook is not fully back, else Normal. */
function afterUpdate(cs: CloneSet, pod: Pod): LifecycleState {
  const hook = cs.spec?.lifecycle?.inPlaceUpdate;
  // Kruise passes through Updated for one reconcile even without a hook; we go straight to Normal.
  return hook && !isAllHooked(hook, pod) ? 'Updated' : 'Normal';
}

/** The state the CloneSet moves the pod to on its own in this reconcile, if any. */
export function nextLifecycleState(
  cs: CloneSet,
  pod: Pod,
  updateRevision: string,
): LifecycleState | undefined {
  const lifecycle = cs.spec?.lifecycle;
  switch (lifecycleState(pod)) {
    case 'PreparingNormal': {
      // Kruise #1485: without a preNormal hook wait until the pod is scheduled.
      const ready = lifecycle?.preNormal ? isAllHooked(lifecycle.preNormal, pod) : isScheduled(pod);
      return ready ? 'Normal' : undefined;
    }
    case 'PreparingUpdate':
      // Rolled back while waiting for the hook: nothing to patch, just leave the state (Kruise #1156).
      return isAtRevision(pod, updateRevision) ? afterUpdate(cs, pod) : undefined;
    case 'Updating': {
      const state = readUpdateState(pod);
      return !state || isUpdateCompleted(pod, state) ? afterUpdate(cs, pod) : undefined;
    }
    case 'Updated':
      return !lifecycle?.inPlaceUpdate || isAllHooked(lifecycle.inPlaceUpdate, pod) ? 'Normal' : undefined;
    default:
      return undefined;
  }
}
