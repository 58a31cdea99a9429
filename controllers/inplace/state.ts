// The pod annotations the in-place engine owns (apps.kruise.io/inplace-update-state and -grace) and the
// completion check (Kruise defaultCheckContainersInPlaceUpdateCompleted).
import {
  InPlaceUpdateGraceAnnotation,
  InPlaceUpdateGraceAnnotationOld,
  InPlaceUpdateState,
  InPlaceUpdateStateAnnotation,
  InPlaceUpdateStateAnnotationOld,
} from '../../apis';
import { type MetadataPatch, type Resources, sameResources } from './diff';
import { type Pod, podCondition } from './types';

export type { InPlaceUpdateState };

/** What the grace annotation holds: the part of an update deferred until gracePeriodSeconds have passed. */
export interface GraceSpec {
  revision: string;
  containerImages?: Record<string, string>;
  containerResources?: Record<string, Resources>;
  metadata?: MetadataPatch;
  graceSeconds: number;
}

export function readUpdateState(pod: Pod): InPlaceUpdateState | undefined {
  const raw =
    pod.metadata.annotations?.[InPlaceUpdateStateAnnotation] ??
    pod.metadata.annotations?.[InPlaceUpdateStateAnnotationOld];
  return parse(raw, (v) => InPlaceUpdateState.safeParse(v).data);
}

export function readGraceSpec(pod: Pod): GraceSpec | undefined {
  const raw =
    pod.metadata.annotations?.[InPlaceUpdateGraceAnnotation] ??
    pod.metadata.annotations?.[InPlaceUpdateGraceAnnotationOld];
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

function isGraceSpec(v: unknown): v is GraceSpec {
  return typeof v === 'object' && v !== null && typeof (v as GraceSpec).revision === 'string';
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
 *   (a retag of the same digest, OpenKruise #635). Every recorded container must be in the status.
 */
export function isUpdateCompleted(pod: Pod, state: InPlaceUpdateState): boolean {
  if (readGraceSpec(pod)) return false;
  if (state.updateResources && !resizeCompleted(pod)) return false;
  const specImages = new Map(pod.spec.containers.map((c) => [c.name, withDefaultTag(c.image)]));
  const pending = new Set(Object.keys(state.lastContainerStatuses ?? {}));
  for (const status of pod.status?.containerStatuses ?? []) {
    const last = state.lastContainerStatuses?.[status.name];
    if (!last) continue;
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
