// Where the engine keeps its state on the pod, and the completion check (Kruise
// defaultCheckContainersInPlaceUpdateCompleted). A workload configures the annotations, the readiness
// condition and how a pod's revision is read; the defaults are the ones CloneSet and Advanced StatefulSet
// share. SidecarSet keeps one state per SidecarSet in a JSON map (`state.key`) and its own condition.
import type { Pod } from '../../apis';
import { podCondition } from '../../apis/core-objects';
import { InPlaceUpdateState } from '../../apis/pub';
import {
  ControllerRevisionHashLabel,
  InPlaceUpdateGraceAnnotation,
  InPlaceUpdateGraceAnnotationOld,
  InPlaceUpdateReadyCondition,
  InPlaceUpdateStateAnnotation,
  InPlaceUpdateStateAnnotationOld,
} from '../../apis/well-known';
import { type MetadataPatch, type Resources, sameResources } from './diff';

export type { InPlaceUpdateState };

export interface InPlaceConfig {
  /** The annotation holding the update state (`legacy` is read and cleared); `key`: an entry of a JSON map. */
  state: { annotation: string; legacy?: string; key?: string };
  /** The annotation holding the part of an update deferred by gracePeriodSeconds. */
  grace: { annotation: string; legacy?: string };
  /** The readiness gate the engine drains before restarting containers and restores afterwards. */
  readinessCondition: string;
  /** The revision the workload says the pod is at (a grace spec for another revision is dropped). */
  revisionOf(pod: Pod): string | undefined;
}

/** CloneSet and Advanced StatefulSet: Kruise's annotations, InPlaceUpdateReady, controller-revision-hash. */
export const workloadInPlace: InPlaceConfig = {
  state: { annotation: InPlaceUpdateStateAnnotation, legacy: InPlaceUpdateStateAnnotationOld },
  grace: { annotation: InPlaceUpdateGraceAnnotation, legacy: InPlaceUpdateGraceAnnotationOld },
  readinessCondition: InPlaceUpdateReadyCondition,
  revisionOf: (pod) => pod.metadata.labels?.[ControllerRevisionHashLabel],
};

/** What the grace annotation holds: the part of an update deferred until gracePeriodSeconds have passed. */
export interface GraceSpec {
  revision: string;
  containerImages?: Record<string, string>;
  containerResources?: Record<string, Resources>;
  metadata?: MetadataPatch;
  /** Containers to restart because env they read through the downward API changed. */
  restartContainers?: string[];
  graceSeconds: number;
}

export function readUpdateState(pod: Pod, config = workloadInPlace): InPlaceUpdateState | undefined {
  const { annotation, legacy, key } = config.state;
  const annotations = pod.metadata.annotations ?? {};
  const raw = annotations[annotation] ?? (legacy ? annotations[legacy] : undefined);
  const value = parse(raw, (v) => (key === undefined ? v : isObject(v) ? v[key] : undefined));
  return value === undefined ? undefined : InPlaceUpdateState.safeParse(value).data;
}

/** The annotations that record `state` (null: remove it), keeping other entries of a keyed map. */
export function stateAnnotations(
  pod: Pod,
  state: InPlaceUpdateState | null,
  config = workloadInPlace,
): Record<string, string | null> {
  const { annotation, legacy, key } = config.state;
  const out: Record<string, string | null> = {};
  if (legacy) out[legacy] = null;
  if (key === undefined) {
    out[annotation] = state === null ? null : JSON.stringify(state);
    return out;
  }
  const map = parse(pod.metadata.annotations?.[annotation], (v) => (isObject(v) ? v : undefined)) ?? {};
  if (state === null) delete map[key];
  else map[key] = state;
  out[annotation] = Object.keys(map).length > 0 ? JSON.stringify(map) : null;
  return out;
}

export function readGraceSpec(pod: Pod, config = workloadInPlace): GraceSpec | undefined {
  const annotations = pod.metadata.annotations ?? {};
  const { annotation, legacy } = config.grace;
  const raw = annotations[annotation] ?? (legacy ? annotations[legacy] : undefined);
  return parse(raw, (v) => (isGraceSpec(v) ? v : undefined));
}

function parse<T>(raw: string | undefined, check: (v: unknown) => T | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return check(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isGraceSpec(v: unknown): v is GraceSpec {
  return isObject(v) && typeof v.revision === 'string';
}

/** Kruise compares an untagged image as `:latest`. */
function withDefaultTag(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  return image.split(':').length <= 1 ? `${image}:latest` : image;
}

/**
 * Whether the kubelet has finished the in-place update recorded in `state`:
 * - never while the grace annotation is still on the pod;
 * - resources: no PodResizePending/PodResizeInProgress condition and the reported resources match the spec;
 * - images: each recorded container reports a new imageID, or the same imageID but the spec image
 *   (a retag of the same digest, OpenKruise #635). Every recorded container must be in the status;
 * - env from metadata: each container recorded with a restartCount has restarted since.
 */
export function isUpdateCompleted(pod: Pod, state: InPlaceUpdateState, config = workloadInPlace): boolean {
  if (readGraceSpec(pod, config)) return false;
  if (state.updateResources && !resizeCompleted(pod)) return false;
  const specImages = new Map(pod.spec.containers.map((c) => [c.name, withDefaultTag(c.image)]));
  const pending = new Set(Object.keys(state.lastContainerStatuses ?? {}));
  for (const status of pod.status?.containerStatuses ?? []) {
    const last = state.lastContainerStatuses?.[status.name];
    if (!last) continue;
    if (last.restartCount !== undefined && (status.restartCount ?? 0) <= last.restartCount) return false;
    if (last.imageID === status.imageID && specImages.get(status.name) !== withDefaultTag(status.image)) {
      return false;
    }
    pending.delete(status.name);
  }
  return pending.size === 0;
}

function resizeCompleted(pod: Pod): boolean {
  if (podCondition(pod, 'PodResizePending') || podCondition(pod, 'PodResizeInProgress')) return false;
  for (const status of pod.status?.containerStatuses ?? []) {
    const spec = pod.spec.containers.find((c) => c.name === status.name);
    if (!spec || !status.resources) continue;
    if (!sameResources(spec.resources, status.resources)) return false;
  }
  return true;
}
