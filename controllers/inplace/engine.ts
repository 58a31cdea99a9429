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
//
// Every function takes the workload's InPlaceConfig (state.ts): its annotations, readiness condition and
// revision reader. The default is CloneSet's and Advanced StatefulSet's; SidecarSet passes its own.
import type { Pod, PodCondition } from '../../apis';
import { podCondition } from '../../apis/core-objects';
import type { MetadataPatch, Resources, TemplateDiff } from './diff';
import { hasReadinessGate } from './readiness';
import {
  type GraceSpec,
  type InPlaceConfig,
  type InPlaceUpdateState,
  isUpdateCompleted,
  readGraceSpec,
  readUpdateState,
  stateAnnotations,
  workloadInPlace,
} from './state';

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
  /** The workload's annotations, readiness condition and revision reader (default: workloadInPlace). */
  config?: InPlaceConfig;
}

export interface RefreshOptions {
  now: Date;
  /** A pod drained for this revision but not yet patched stays drained (the workload still wants it). */
  keepDrainedFor?: string;
  config?: InPlaceConfig;
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
  const config = options.config ?? workloadInPlace;
  if (readUpdateState(pod, config)?.revision === request.revision) return { type: 'none' };
  if (needsUnready(pod, request.diff, config) && drainedFor(pod, config) !== request.revision) {
    const conditions = drainConditions(request.revision, options.now, config);
    return { type: 'drain', conditions, request, options };
  }
  const state: InPlaceUpdateState = {
    revision: request.revision,
    updateTimestamp: options.now.toISOString(),
    lastContainerStatuses: {},
    updateImages: Object.keys(request.diff.images).length > 0,
    updateResources: Object.keys(request.diff.resources).length > 0,
  };
  if (request.diff.restartContainers.length > 0) state.updateEnvFromMetadata = true;
  const grace = options.gracePeriodSeconds ?? 0;
  const spec: GraceSpec = {
    revision: request.revision,
    containerImages: request.diff.images,
    containerResources: request.diff.resources,
    metadata: request.diff.metadata,
    restartContainers: request.diff.restartContainers,
    graceSeconds: grace,
  };
  if (grace > 0) {
    // Kruise: the revision moves now, the images only after the grace period.
    const patch = basePatch(pod, config, request.labels, request.annotations);
    Object.assign(patch.metadata.annotations!, stateAnnotations(pod, state, config));
    patch.metadata.annotations![config.grace.annotation] = JSON.stringify(spec);
    return {
      type: 'patchPod',
      patch,
      reason: `start in-place update to ${request.revision} (grace ${grace}s)`,
    };
  }
  return applySpec(pod, spec, state, config, request.labels, request.annotations);
}

/** Next step for a pod nobody asked to update now: finish grace periods, detect completion, restore readiness. */
export function refreshInPlace(pod: Pod, options: RefreshOptions): InPlaceStep {
  const config = options.config ?? workloadInPlace;
  const grace = readGraceSpec(pod, config);
  if (grace) return finishGracePeriod(pod, grace, options.now, config);
  const state = readUpdateState(pod, config);
  if (state && !isUpdateCompleted(pod, state, config)) {
    return { type: 'wait', reason: 'containers not yet updated' };
  }
  if (!hasReadinessGate(pod.spec, config.readinessCondition)) return { type: 'none' };
  if (podCondition(pod, config.readinessCondition)?.status === 'True') return { type: 'none' };
  const drained = drainedFor(pod, config);
  if (drained && drained !== state?.revision && drained === options.keepDrainedFor) {
    return { type: 'wait', reason: `drained for ${drained}, waiting for the spec patch` };
  }
  // Also covers a new pod whose gate has no condition yet (OpenKruise #892: it would never turn Ready).
  const ready: PodCondition = {
    type: config.readinessCondition,
    status: 'True',
    lastTransitionTime: options.now.toISOString(),
  };
  return { type: 'setCondition', conditions: [ready], resourceVersion: pod.metadata.resourceVersion };
}

/** Whether the pod is, or will be, drained by the engine for an update it has not yet completed. */
export function isInPlaceUpdating(pod: Pod, config = workloadInPlace): boolean {
  if (readGraceSpec(pod, config)) return true;
  const state = readUpdateState(pod, config);
  if (state && !isUpdateCompleted(pod, state, config)) return true;
  const drained = drainedFor(pod, config);
  return drained !== undefined && drained !== state?.revision;
}

/** The revision a pod was drained for by startInPlaceUpdate ('' when drained by someone else, e.g. Kruise). */
export function drainedFor(pod: Pod, config = workloadInPlace): string | undefined {
  const c = podCondition(pod, config.readinessCondition);
  if (c?.status !== 'False' || c.reason !== StartInPlaceUpdateReason) return undefined;
  return c.message?.startsWith(DRAIN_MESSAGE) ? c.message.slice(DRAIN_MESSAGE.length) : '';
}

/** Kruise defaultCheckPodNeedsBeUnready: gated pods drain, except a resize that restarts no container. */
function needsUnready(pod: Pod, diff: TemplateDiff, config: InPlaceConfig): boolean {
  if (!hasReadinessGate(pod.spec, config.readinessCondition)) return false;
  if (Object.keys(diff.images).length > 0 || diff.metadata) return true;
  return pod.spec.containers.some(
    (c) =>
      diff.resources[c.name] !== undefined &&
      (c.resizePolicy ?? []).some(
        (p) => (p as { restartPolicy?: string }).restartPolicy === 'RestartContainer',
      ),
  );
}

function drainConditions(revision: string, now: Date, config: InPlaceConfig): PodCondition[] {
  const at = now.toISOString();
  return [
    {
      type: config.readinessCondition,
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
      message: `the status of pod readiness gate "${config.readinessCondition}" is not "True", but False`,
      lastTransitionTime: at,
    },
  ];
}

function finishGracePeriod(pod: Pod, grace: GraceSpec, now: Date, config: InPlaceConfig): InPlaceStep {
  const podRevision = config.revisionOf(pod);
  if (podRevision !== undefined && grace.revision !== podRevision) {
    // Kruise: the pod moved to another revision meanwhile; drop the deferred spec.
    return {
      type: 'patchPod',
      patch: basePatch(pod, config),
      reason: `drop grace spec of ${grace.revision}`,
    };
  }
  const state = readUpdateState(pod, config) ?? {
    revision: grace.revision,
    updateTimestamp: now.toISOString(),
    lastContainerStatuses: {},
  };
  const remainingMs = Date.parse(state.updateTimestamp) + grace.graceSeconds * 1000 - now.getTime();
  if (remainingMs > 0) {
    return {
      type: 'wait',
      reason: 'in-place grace period',
      requeueAfterMs: Math.ceil(remainingMs / 1000) * 1000,
    };
  }
  return applySpec(pod, grace, state, config);
}

/** The patch that writes images, metadata and the state annotation (Kruise defaultPatchUpdateSpecToPod). */
function applySpec(
  pod: Pod,
  spec: GraceSpec,
  state: InPlaceUpdateState,
  config: InPlaceConfig,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): InPlaceStep {
  const patch = basePatch(pod, config, labels, annotations, spec.metadata);
  const images = spec.containerImages ?? {};
  const restart = spec.restartContainers ?? [];
  const lastContainerStatuses: InPlaceUpdateState['lastContainerStatuses'] = {};
  for (const status of pod.status?.containerStatuses ?? []) {
    if (images[status.name] !== undefined) lastContainerStatuses[status.name] = { imageID: status.imageID };
    else if (restart.includes(status.name)) {
      // Restarted by the node (kruise-daemon, or the local cluster's kwok): the restart count shows it.
      lastContainerStatuses[status.name] = {
        imageID: status.imageID,
        restartCount: status.restartCount ?? 0,
      };
    }
  }
  const next = { ...state, lastContainerStatuses };
  Object.assign(patch.metadata.annotations!, stateAnnotations(pod, next, config));
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
  config: InPlaceConfig,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  metadata?: MetadataPatch,
): PodPatch {
  const cleared: Record<string, null> = { [config.grace.annotation]: null };
  for (const legacy of [config.state.legacy, config.grace.legacy]) if (legacy) cleared[legacy] = null;
  return {
    metadata: {
      resourceVersion: pod.metadata.resourceVersion ?? '',
      labels: { ...metadata?.labels, ...labels },
      annotations: { ...metadata?.annotations, ...annotations, ...cleared },
    },
  };
}
