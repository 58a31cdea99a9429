// The in-place update sequence as a state machine over the observed pod (OpenKruise
// pkg/util/inplaceupdate Update + Refresh). Each call returns the single next step; the caller applies it
// and waits for the cache to show the result before asking again:
//
//   drain: InPlaceUpdateReady=False  →  patch: revision labels + inplace-update-state (+ images, or the
//   inplace-update-grace annotation)  →  [grace: wait gracePeriodSeconds, patch images]  →  kubelet
//   restarts the containers  →  completion seen in containerStatuses  →  InPlaceUpdateReady=True.
//
// As in Kruise's Update, the drain and the patch go out back to back: the caller asks
// startInPlaceUpdate again with the pod the drain write returned (never with a cached copy) and sends
// the patch it gets, without waiting for the cache.
//
// Races guarded (OpenKruise #2276/#2274): the spec patch is only returned for a pod that shows our own
// drain condition for this very revision (the drain write's answer, or the cache), and it carries that
// pod's resourceVersion, so a stale copy can never patch twice; refresh never flips a pod drained for
// the pending revision back to True; the True write is also conditional on the observed
// resourceVersion.
import {
  InPlaceUpdateGraceAnnotation,
  InPlaceUpdateGraceAnnotationOld,
  InPlaceUpdateReadyCondition,
  InPlaceUpdateStateAnnotation,
  InPlaceUpdateStateAnnotationOld,
} from '../../apis';
import type { MetadataPatch, Resources, TemplateDiff } from './diff';
import { hasInPlaceReadinessGate } from './readiness';
import {
  type GraceSpec,
  type InPlaceUpdateState,
  isUpdateCompleted,
  readGraceSpec,
  readUpdateState,
} from './state';
import { type Pod, type PodCondition, podCondition } from './types';

export const StartInPlaceUpdateReason = 'StartInPlaceUpdate';
const DRAIN_MESSAGE = 'in-place update to revision ';

export interface InPlaceUpdateRequest {
  /** Target revision name, recorded in the state annotation and the drain condition. */
  revision: string;
  diff: TemplateDiff;
  /** Labels the workload writes with the patch (revision hash labels, lifecycle state). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface InPlaceOptions {
  now: Date;
  /** updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds */
  gracePeriodSeconds?: number;
}

export interface RefreshOptions {
  now: Date;
  /** The revision the pod's labels say it is at; a grace spec for another revision is dropped. */
  podRevision?: string;
  /** A pod drained for this revision but not yet patched stays drained (the workload still wants it). */
  keepDrainedFor?: string;
}

/** Strategic merge patch of the pod; metadata.resourceVersion makes it conditional on what we observed. */
export interface PodPatch {
  metadata: {
    resourceVersion: string;
    labels?: Record<string, string | null>;
    annotations?: Record<string, string | null>;
  };
  spec?: { containers: { name: string; image: string }[] };
}

/** Strategic merge patch for the pods/<name>/resize subresource. */
export interface ResizePatch {
  spec: { containers: { name: string; resources: Resources }[] };
}

export type InPlaceStep =
  | { type: 'none' }
  /**
   * Strategic merge patch of pods/<name>/status conditions, then startInPlaceUpdate(<the pod that write
   * returned>, request, options) for the patch.
   */
  | { type: 'drain'; conditions: PodCondition[]; request: InPlaceUpdateRequest; options: InPlaceOptions }
  | { type: 'wait'; reason: string; requeueAfterMs?: number }
  /** Strategic merge patch of pods/<name>/status conditions; conditional when resourceVersion is set. */
  | { type: 'setCondition'; conditions: PodCondition[]; resourceVersion?: string }
  /** Apply resizePatch (if any) to pods/<name>/resize first, then patch the pod. */
  | { type: 'patchPod'; patch: PodPatch; resizePatch?: ResizePatch; reason: string };

/** Next step to move `pod` towards `request.revision` in place. */
export function startInPlaceUpdate(
  pod: Pod,
  request: InPlaceUpdateRequest,
  options: InPlaceOptions,
): InPlaceStep {
  if (readUpdateState(pod)?.revision === request.revision) return { type: 'none' };
  if (needsUnready(pod, request.diff) && drainedFor(pod) !== request.revision) {
    return { type: 'drain', conditions: drainConditions(request.revision, options.now), request, options };
  }
  const state: InPlaceUpdateState = {
    revision: request.revision,
    updateTimestamp: options.now.toISOString(),
    lastContainerStatuses: {},
    updateImages: Object.keys(request.diff.images).length > 0,
    updateResources: Object.keys(request.diff.resources).length > 0,
  };
  const grace = options.gracePeriodSeconds ?? 0;
  const spec: GraceSpec = {
    revision: request.revision,
    containerImages: request.diff.images,
    containerResources: request.diff.resources,
    metadata: request.diff.metadata,
    graceSeconds: grace,
  };
  if (grace > 0) {
    // Kruise: the revision moves now, the images only after the grace period.
    const patch = basePatch(pod, request.labels, request.annotations);
    patch.metadata.annotations![InPlaceUpdateStateAnnotation] = JSON.stringify(state);
    patch.metadata.annotations![InPlaceUpdateGraceAnnotation] = JSON.stringify(spec);
    return {
      type: 'patchPod',
      patch,
      reason: `start in-place update to ${request.revision} (grace ${grace}s)`,
    };
  }
  return applySpec(pod, spec, state, request.labels, request.annotations);
}

/** Next step for a pod nobody asked to update now: finish grace periods, detect completion, restore readiness. */
export function refreshInPlace(pod: Pod, options: RefreshOptions): InPlaceStep {
  const grace = readGraceSpec(pod);
  if (grace) return finishGracePeriod(pod, grace, options);
  const state = readUpdateState(pod);
  if (state && !isUpdateCompleted(pod, state)) return { type: 'wait', reason: 'containers not yet updated' };
  if (!hasInPlaceReadinessGate(pod.spec)) return { type: 'none' };
  if (podCondition(pod, InPlaceUpdateReadyCondition)?.status === 'True') return { type: 'none' };
  const drained = drainedFor(pod);
  if (drained && drained !== state?.revision && drained === options.keepDrainedFor) {
    return { type: 'wait', reason: `drained for ${drained}, waiting for the spec patch` };
  }
  // Also covers a new pod whose gate has no condition yet (OpenKruise #892: it would never turn Ready).
  const ready: PodCondition = {
    type: InPlaceUpdateReadyCondition,
    status: 'True',
    lastTransitionTime: options.now.toISOString(),
  };
  return { type: 'setCondition', conditions: [ready], resourceVersion: pod.metadata.resourceVersion };
}

/** Whether the pod is, or will be, drained by the engine for an update it has not yet completed. */
export function isInPlaceUpdating(pod: Pod): boolean {
  if (readGraceSpec(pod)) return true;
  const state = readUpdateState(pod);
  if (state && !isUpdateCompleted(pod, state)) return true;
  const drained = drainedFor(pod);
  return drained !== undefined && drained !== state?.revision;
}

/** The revision a pod was drained for by startInPlaceUpdate ('' when drained by someone else, e.g. Kruise). */
export function drainedFor(pod: Pod): string | undefined {
  const c = podCondition(pod, InPlaceUpdateReadyCondition);
  if (c?.status !== 'False' || c.reason !== StartInPlaceUpdateReason) return undefined;
  return c.message?.startsWith(DRAIN_MESSAGE) ? c.message.slice(DRAIN_MESSAGE.length) : '';
}

/** Kruise defaultCheckPodNeedsBeUnready: gated pods drain, except a resize that restarts no container. */
function needsUnready(pod: Pod, diff: TemplateDiff): boolean {
  if (!hasInPlaceReadinessGate(pod.spec)) return false;
  if (Object.keys(diff.images).length > 0 || diff.metadata) return true;
  return pod.spec.containers.some(
    (c) =>
      diff.resources[c.name] !== undefined &&
      (c.resizePolicy ?? []).some(
        (p) => (p as { restartPolicy?: string }).restartPolicy === 'RestartContainer',
      ),
  );
}

function drainConditions(revision: string, now: Date): PodCondition[] {
  const at = now.toISOString();
  return [
    {
      type: InPlaceUpdateReadyCondition,
      status: 'False',
      reason: StartInPlaceUpdateReason,
      message: `${DRAIN_MESSAGE}${revision}`,
      lastTransitionTime: at,
    },
    // Kruise recomputes Ready at once so endpoints drop the pod before the kubelet notices the gate.
    {
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `the status of pod readiness gate "${InPlaceUpdateReadyCondition}" is not "True", but False`,
      lastTransitionTime: at,
    },
  ];
}

function finishGracePeriod(pod: Pod, grace: GraceSpec, options: RefreshOptions): InPlaceStep {
  if (options.podRevision !== undefined && grace.revision !== options.podRevision) {
    // Kruise: the pod moved to another revision meanwhile; drop the deferred spec.
    return { type: 'patchPod', patch: basePatch(pod), reason: `drop grace spec of ${grace.revision}` };
  }
  const state = readUpdateState(pod) ?? {
    revision: grace.revision,
    updateTimestamp: options.now.toISOString(),
    lastContainerStatuses: {},
  };
  const remainingMs = Date.parse(state.updateTimestamp) + grace.graceSeconds * 1000 - options.now.getTime();
  if (remainingMs > 0) {
    return {
      type: 'wait',
      reason: 'in-place grace period',
      requeueAfterMs: Math.ceil(remainingMs / 1000) * 1000,
    };
  }
  return applySpec(pod, grace, state);
}

/** The patch that writes images, metadata and the state annotation (Kruise defaultPatchUpdateSpecToPod). */
function applySpec(
  pod: Pod,
  spec: GraceSpec,
  state: InPlaceUpdateState,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): InPlaceStep {
  const patch = basePatch(pod, labels, annotations, spec.metadata);
  const images = spec.containerImages ?? {};
  const lastContainerStatuses: InPlaceUpdateState['lastContainerStatuses'] = {};
  for (const status of pod.status?.containerStatuses ?? []) {
    if (images[status.name] !== undefined) lastContainerStatuses[status.name] = { imageID: status.imageID };
  }
  const next = { ...state, lastContainerStatuses };
  patch.metadata.annotations![InPlaceUpdateStateAnnotation] = JSON.stringify(next);
  const containers = pod.spec.containers
    .filter((c) => images[c.name] !== undefined)
    .map((c) => ({ name: c.name, image: images[c.name]! }));
  if (containers.length > 0) patch.spec = { containers };
  const resized = Object.entries(spec.containerResources ?? {}).map(([name, resources]) => ({
    name,
    resources,
  }));
  const step: InPlaceStep = { type: 'patchPod', patch, reason: `in-place update to ${spec.revision}` };
  if (resized.length > 0) step.resizePatch = { spec: { containers: resized } };
  return step;
}

function basePatch(
  pod: Pod,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  metadata?: MetadataPatch,
): PodPatch {
  return {
    metadata: {
      resourceVersion: pod.metadata.resourceVersion ?? '',
      labels: { ...metadata?.labels, ...labels },
      annotations: {
        ...metadata?.annotations,
        ...annotations,
        [InPlaceUpdateStateAnnotationOld]: null,
        [InPlaceUpdateGraceAnnotation]: null,
        [InPlaceUpdateGraceAnnotationOld]: null,
      },
    },
  };
}
