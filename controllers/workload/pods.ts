// Pod facts every workload decision is made of (Kruise cloneset/sync/cloneset_sync_utils.go, core,
// k8s podutil). Everything takes `now` explicitly so plans stay pure.
import type { LifecycleState, Pod } from '../../apis';
import { podCondition } from '../../apis/core-objects';
import {
  ControllerRevisionHashLabel,
  InPlaceUpdateReadyCondition,
  LifecycleStateLabel,
  SpecifiedDeleteLabel,
} from '../../apis/well-known';

export function lifecycleState(pod: Pod): LifecycleState | '' {
  return (pod.metadata.labels?.[LifecycleStateLabel] ?? '') as LifecycleState | '';
}

/** Kruise GetShortHash: the hash is the part after the last '-' of a revision name. */
export function shortHash(revision: string): string {
  return revision.slice(revision.lastIndexOf('-') + 1);
}

/** Kruise EqualToRevisionHash: accepts the full `<owner>-<hash>` label or the short hash. */
export function isAtRevision(pod: Pod, revision: string): boolean {
  const label = pod.metadata.labels?.[ControllerRevisionHashLabel];
  if (label === undefined) return false;
  return label === revision || sameShortHash(label, revision);
}

/** shortHash(a) === shortHash(b), without building either: plans ask it of every pod, often twice. */
function sameShortHash(a: string, b: string): boolean {
  const i = a.lastIndexOf('-') + 1;
  const j = b.lastIndexOf('-') + 1;
  const length = a.length - i;
  if (length !== b.length - j) return false;
  for (let k = 0; k < length; k++) if (a.charCodeAt(i + k) !== b.charCodeAt(j + k)) return false;
  return true;
}

/** k8s IsPodActive: not terminal and not being deleted. */
export function isActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isScheduled(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName);
}

/** kube-scheduler tried the pod and found no node: it is not binding it at the moment. */
export function isUnschedulable(pod: Pod): boolean {
  const scheduled = podCondition(pod, 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
}

export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became Ready, in ms (undefined when not ready). */
export function readySince(pod: Pod): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return undefined;
  return ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
}

/** Kruise IsPodUpdateReady: Running, Ready for minReadySeconds, and InPlaceUpdateReady (if present) True. */
export function isPodUpdateReady(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (pod.status?.phase !== 'Running' || !isPodReady(pod)) return false;
  // Parse the timestamp only when it matters: plans ask this of every pod several times.
  if (minReadySeconds > 0 && (readySince(pod) ?? 0) + minReadySeconds * 1000 > now.getTime()) return false;
  const inPlace = podCondition(pod, InPlaceUpdateReadyCondition);
  return !inPlace || inPlace.status === 'True';
}

/** Kruise IsPodAvailable: the above, and lifecycle state empty or Normal. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const state = lifecycleState(pod);
  if (state !== '' && state !== 'Normal') return false;
  return isPodUpdateReady(pod, minReadySeconds, now);
}

/** Labelled apps.kruise.io/specified-delete, or named in the workload's podsToDelete. */
export function isSpecifiedDelete(pod: Pod, podsToDelete: readonly string[] = []): boolean {
  if (pod.metadata.labels?.[SpecifiedDeleteLabel] !== undefined) return true;
  return podsToDelete.includes(pod.metadata.name ?? '');
}

export function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** Creation time in ms; 0 (the Go zero time) when unset. */
export function createdAt(pod: Pod): number {
  return pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
}
