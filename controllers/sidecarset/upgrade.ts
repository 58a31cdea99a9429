// The in-place upgrade of injected sidecars, as a pure plan (OpenKruise sidecarset_processor.go,
// sidecarset_strategy.go, sidecarset_hotupgrade.go): which matched pods move to the SidecarSet's current
// hash this round and the writes that do it, applied by the workload kit's executor. Only images change
// in place (the in-place engine patches them and records the state); a pod whose sidecars changed in
// anything else gets SidecarSetUpgradable=False and is left alone. HotUpgrade sidecars are upgraded in
// their idle twin, and the old twin is emptied only once the new one is ready.
import { type Pod, type PodCondition, podCondition } from '../../apis/core-objects';
import { resolvePartition, resolveSidecarSetMaxUnavailable } from '../../apis/intstr';
import { selectorMatches } from '../../apis/labels';
import type { SidecarSet } from '../../apis/sidecarset';
import {
  SidecarSetHashAnnotation,
  SidecarSetUpgradableCondition,
  SidecarSetVersionAltAnnotationPrefix,
  SidecarSetVersionAnnotationPrefix,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { type InPlaceUpdateRequest, startInPlaceUpdate } from '../inplace';
import type { Action, PlanEvent } from '../workload/actions';
import { messageOf, resultEvent } from '../workload/execute';
import { priorityOrder, scatterOrder, sortActivePods } from '../workload/ordering';
import { goJsonString } from './go-json';
import { hashesOf } from './hash';
import {
  formatUpgradeSpecs,
  metaTime,
  parseUpgradeSpecs,
  sortedStringMap,
  type UpgradeSpecs,
  workingHotUpgradeContainers,
} from './pod-annotations';
import { patchPodAnnotations } from './pod-metadata';
import {
  hotUpgradeTwinNames,
  hotUpgradeTwins,
  isHotUpgrade,
  isRunningAndReady,
  isSidecarConsistent,
  isSidecarPodReady,
  isSidecarUpdated,
  sidecarContainerNames,
  sidecarSetInPlace,
  upgradability,
} from './pod-state';

export const NotUpgradablePodsReason = 'NotUpgradablePods';
export const ResetContainerSucceedReason = 'ResetContainerSucceed';
export const ResetContainerFailedReason = 'ResetContainerFailed';

/** A reset is its own in-place step, recorded apart from the upgrade it completes. */
const RESET_REVISION_SUFFIX = '-reset';
const isResetRevision = (revision: string) => revision.endsWith(RESET_REVISION_SUFFIX);
export const InvalidUpdateStrategyReason = 'InvalidUpdateStrategy';

export interface UpgradeInput {
  /** Defaulted, with its hash annotations. */
  sidecarSet: SidecarSet;
  /** The matched pods: active, injected by this SidecarSet and still carrying its containers. */
  pods: Pod[];
  /** The latest ControllerRevision's name, recorded in each upgraded pod's hash entry. */
  latestRevision: string;
  now: Date;
}

export interface UpgradePlan {
  actions: Action[];
  events: PlanEvent[];
  /** Pods whose sidecar images are patched this round. */
  upgraded: string[];
  /** Pods that cannot be upgraded in place (something besides images changed). */
  notUpgradable: string[];
  /** Hot-upgraded pods whose old twin goes back to the empty image. */
  reset: string[];
}

const nameOf = (pod: Pod) => pod.metadata.name ?? '';

export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const { sidecarSet, pods } = input;
  const plan: UpgradePlan = { actions: [], events: [], upgraded: [], notUpgradable: [], reset: [] };
  const strategy = sidecarSet.spec?.updateStrategy ?? {};
  if (strategy.type === 'NotUpdate' || strategy.paused) return plan;

  // A hot upgrade is finished first: no pod is upgraded in a round that resets twins.
  const finished = pods.filter((pod) => hotUpgradeFinished(pod, sidecarSet));
  if (finished.length > 0) {
    for (const pod of finished) resetIdleTwins(pod, input, plan);
    return plan;
  }
  if (pods.every((pod) => isSidecarUpdated(pod, sidecarSet))) return plan;

  const { waiting, notUpgradable } = candidates(pods, sidecarSet);
  for (const pod of notUpgradable) {
    const condition = upgradableCondition(pod, sidecarSet, false, input.now);
    plan.notUpgradable.push(nameOf(pod));
    if (condition) plan.actions.push(conditionWrite(pod, condition));
  }
  if (plan.actions.length > 0) {
    plan.events.push({
      type: 'Normal',
      reason: NotUpgradablePodsReason,
      message:
        `SidecarSet in-place update detected ${notUpgradable.length} not upgradable pod(s) in this round, ` +
        'will skip them.',
    });
  }
  let chosen: Pod[];
  try {
    chosen = nextBatch(updateOrder(waiting, pods, sidecarSet), pods, sidecarSet);
  } catch (err) {
    plan.events.push({
      type: 'Warning',
      reason: InvalidUpdateStrategyReason,
      message: `cannot upgrade sidecars: ${(err as Error).message}`,
    });
    return plan;
  }
  for (const pod of chosen) upgradePod(pod, input, plan);
  return plan;
}

/** Candidates: not at the current hash and selected by updateStrategy.selector. */
function candidates(pods: Pod[], sidecarSet: SidecarSet): { waiting: Pod[]; notUpgradable: Pod[] } {
  const selector = sidecarSet.spec?.updateStrategy?.selector;
  const waiting: Pod[] = [];
  const notUpgradable: Pod[] = [];
  for (const pod of pods) {
    if (isSidecarUpdated(pod, sidecarSet)) continue;
    if (selector && !selectorMatches(selector, pod.metadata.labels)) continue;
    const { canUpgrade, consistent } = upgradability(pod, sidecarSet);
    if (!canUpgrade) notUpgradable.push(pod);
    // A sidecar still finishing an earlier upgrade waits for the next round.
    else if (consistent) waiting.push(pod);
  }
  return { waiting, notUpgradable };
}

/** SortUpdateIndexes: k8s ActivePods order (unready first), then priority, then scatter. */
export function updateOrder(waiting: Pod[], all: Pod[], sidecarSet: SidecarSet): Pod[] {
  const strategy = sidecarSet.spec?.updateStrategy ?? {};
  let order = sortActivePods(waiting);
  if (strategy.priorityStrategy) order = priorityOrder(order, strategy.priorityStrategy);
  if (strategy.scatterStrategy)
    order = scatterOrder(order, all, expandScatter(strategy.scatterStrategy, all));
  return order;
}

type Scatter = NonNullable<NonNullable<SidecarSet['spec']>['updateStrategy']>['scatterStrategy'];

/** parseUpdateScatterTerms: `value: "*"` becomes one term per value the pods carry, without duplicates. */
function expandScatter(scatter: NonNullable<Scatter>, pods: Pod[]): NonNullable<Scatter> {
  const out: NonNullable<Scatter> = [];
  const add = (term: { key: string; value: string }) => {
    if (!out.some((t) => t.key === term.key && t.value === term.value)) out.push(term);
  };
  for (const term of scatter) {
    if (term.value !== '*') add(term);
    else
      for (const pod of pods) {
        const value = pod.metadata.labels?.[term.key];
        if (value !== undefined) add({ key: term.key, value });
      }
  }
  return out;
}

/**
 * calculateUpgradeCount: leave `partition` of the matched pods behind; then take pods in order while
 * fewer than maxUnavailable upgraded pods are unready or still restarting. A candidate that is not ready
 * by itself costs nothing: upgrading it makes nothing worse.
 */
function nextBatch(order: Pod[], pods: Pod[], sidecarSet: SidecarSet): Pod[] {
  const strategy = sidecarSet.spec?.updateStrategy ?? {};
  const total = pods.length;
  const partition = resolvePartition(strategy.partition, total);
  const maxUnavailable = resolveSidecarSetMaxUnavailable(strategy.maxUnavailable, total);
  if (order.length - partition <= 0) return [];
  let unavailable = pods.filter(
    (p) =>
      isSidecarUpdated(p, sidecarSet) &&
      (!isSidecarConsistent(p, sidecarSet) || !isSidecarPodReady(p, sidecarSet)),
  ).length;
  const chosen: Pod[] = [];
  for (const pod of order.slice(0, order.length - partition)) {
    if (!isSidecarPodReady(pod, sidecarSet)) {
      chosen.push(pod);
      continue;
    }
    if (unavailable >= maxUnavailable) break;
    unavailable++;
    chosen.push(pod);
  }
  return chosen;
}

/** The twin a hot upgrade writes into: the one on the empty image, else the unready one, else the older one. */
function twinToUpgrade(sidecar: string, emptyImage: string, pod: Pod, sidecarSet: SidecarSet) {
  const [first, second] = hotUpgradeTwinNames(sidecar);
  const image = (name: string) => pod.spec.containers.find((c) => c.name === name)?.image;
  if (image(first) === emptyImage) return { upgrade: first, other: second };
  if (image(second) === emptyImage) return { upgrade: second, other: first };
  const ready = (name: string) =>
    (pod.status?.containerStatuses?.find((s) => s.name === name)?.ready ?? false) &&
    isSidecarConsistent(pod, sidecarSet, [name]);
  if (ready(first) && !ready(second)) return { upgrade: second, other: first };
  if (!ready(first) && ready(second)) return { upgrade: first, other: second };
  const { working, other } = hotUpgradeTwins(sidecar, pod);
  return { upgrade: other, other: working };
}

/** updatePodSidecarContainer + UpdatePodSidecarSetHash + patchPodMetadata, through the in-place engine. */
function upgradePod(pod: Pod, input: UpgradeInput, plan: UpgradePlan): void {
  const { sidecarSet, now } = input;
  const name = sidecarSet.metadata?.name ?? '';
  const podAnnotations = pod.metadata.annotations ?? {};
  const images: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const working = workingHotUpgradeContainers(podAnnotations);
  const version = sidecarSet.metadata?.resourceVersion ?? '';
  let hot = false;
  for (const sidecar of sidecarSet.spec?.containers ?? []) {
    const image = sidecar.image ?? '';
    if (!isHotUpgrade(sidecar)) {
      const current = pod.spec.containers.find((c) => c.name === sidecar.name);
      if (current && current.image !== image) images[sidecar.name] = image;
      continue;
    }
    const empty = sidecar.upgradeStrategy?.hotUpgradeEmptyImage ?? '';
    const { upgrade, other } = twinToUpgrade(sidecar.name, empty, pod, sidecarSet);
    if (pod.spec.containers.find((c) => c.name === other)?.image === image) continue;
    images[upgrade] = image;
    working[sidecar.name] = upgrade;
    hot = true;
    annotations[SidecarSetVersionAnnotationPrefix + upgrade] = version;
    annotations[SidecarSetVersionAltAnnotationPrefix + upgrade] =
      podAnnotations[SidecarSetVersionAnnotationPrefix + other] ?? '';
    annotations[SidecarSetVersionAltAnnotationPrefix + other] = version;
  }
  if (hot) annotations[SidecarSetWorkingHotUpgradeContainerAnnotation] = sortedStringMap(working);
  const specs = upgradeSpecsOf(pod);
  specs[name] = {
    updateTimestamp: metaTime(now),
    hash: hashesOf(sidecarSet).hash,
    sidecarSetName: name,
    sidecarList: sidecarList(sidecarSet),
    ...(input.latestRevision ? { controllerRevision: input.latestRevision } : {}),
  };
  annotations[SidecarSetHashAnnotation] = formatUpgradeSpecs(specs);
  const patched = { ...podAnnotations, ...annotations };
  try {
    patchPodAnnotations(patched, sidecarSet.spec?.patchPodMetadata);
  } catch (err) {
    plan.events.push({
      type: 'Warning',
      reason: 'FailedPatchPodMetadata',
      message: `pod ${nameOf(pod)}: ${(err as Error).message}`,
    });
    return;
  }
  for (const [key, value] of Object.entries(patched))
    if (podAnnotations[key] !== value) annotations[key] = value;
  const request: InPlaceUpdateRequest = {
    revision: hashesOf(sidecarSet).hash,
    diff: { images, resources: {}, restartContainers: [], recreateReasons: [] },
    annotations,
  };
  const step = startInPlaceUpdate(pod, request, { now, config: sidecarSetInPlace(name) });
  if (step.type !== 'patchPod') return;
  plan.upgraded.push(nameOf(pod));
  plan.actions.push({
    type: 'inPlaceUpdate',
    name: nameOf(pod),
    namespace: pod.metadata.namespace,
    revision: request.revision,
    patch: step.patch,
  });
  const condition = upgradableCondition(pod, sidecarSet, true, now);
  if (condition) plan.actions.push(conditionWrite(pod, condition));
}

function upgradeSpecsOf(pod: Pod): UpgradeSpecs {
  try {
    return parseUpgradeSpecs(pod.metadata.annotations?.[SidecarSetHashAnnotation]);
  } catch {
    return {};
  }
}

/** listSidecarNameInSidecarSet: native sidecar init containers and containers, sorted. */
function sidecarList(sidecarSet: SidecarSet): string[] {
  const names = new Set<string>();
  for (const c of sidecarSet.spec?.initContainers ?? []) if (c.restartPolicy === 'Always') names.add(c.name);
  for (const c of sidecarSet.spec?.containers ?? []) names.add(c.name);
  return [...names].sort();
}

/**
 * A hot upgrade whose new twin is ready and consistent: some twin that is not working still runs a
 * real image, everything else of the SidecarSet has finished, and the pod's other containers are ready.
 */
function hotUpgradeFinished(pod: Pod, sidecarSet: SidecarSet): boolean {
  const hotSidecars = (sidecarSet.spec?.containers ?? []).filter(isHotUpgrade);
  if (hotSidecars.length === 0) return false;
  const idle = new Set(hotSidecars.map((s) => hotUpgradeTwins(s.name, pod).other));
  const inUpgrade = hotSidecars.some((s) => {
    const other = hotUpgradeTwins(s.name, pod).other;
    return (
      pod.spec.containers.find((c) => c.name === other)?.image !== s.upgradeStrategy?.hotUpgradeEmptyImage
    );
  });
  if (!inUpgrade) return false;
  const checked = sidecarContainerNames(sidecarSet).filter((n) => !idle.has(n));
  if (!isSidecarConsistent(pod, sidecarSet, checked)) return false;
  return (
    isRunningAndReady(pod) ||
    (pod.status?.containerStatuses ?? []).every((s) => idle.has(s.name) || s.ready === true)
  );
}

/** flipPodSidecarContainer: the old twin goes back to the empty image; its version annotations to "0". */
function resetIdleTwins(pod: Pod, input: UpgradeInput, plan: UpgradePlan): void {
  const { sidecarSet, now } = input;
  const images: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const sidecar of (sidecarSet.spec?.containers ?? []).filter(isHotUpgrade)) {
    const empty = sidecar.upgradeStrategy?.hotUpgradeEmptyImage ?? '';
    const { working, other } = hotUpgradeTwins(sidecar.name, pod);
    if (pod.spec.containers.find((c) => c.name === other)?.image === empty) continue;
    images[other] = empty;
    annotations[SidecarSetVersionAnnotationPrefix + other] = '0';
    annotations[SidecarSetVersionAltAnnotationPrefix + working] = '0';
  }
  const revision = hashesOf(sidecarSet).hash + RESET_REVISION_SUFFIX;
  const request: InPlaceUpdateRequest = {
    revision,
    diff: { images, resources: {}, restartContainers: [], recreateReasons: [] },
    annotations,
  };
  const step = startInPlaceUpdate(pod, request, {
    now,
    config: sidecarSetInPlace(sidecarSet.metadata?.name ?? ''),
  });
  if (step.type !== 'patchPod') return;
  plan.reset.push(nameOf(pod));
  plan.actions.push({
    type: 'inPlaceUpdate',
    name: nameOf(pod),
    namespace: pod.metadata.namespace,
    uid: pod.metadata.uid,
    revision,
    patch: step.patch,
  });
}

/**
 * updatePodSidecarSetUpgradableCondition: SidecarSetUpgradable's message is a JSON map SidecarSet →
 * upgradable shared by every SidecarSet of the pod; the condition is True only when all are. Undefined
 * when nothing changes (or the message is not such a map: it is left to whoever wrote it).
 */
export function upgradableCondition(
  pod: Pod,
  sidecarSet: SidecarSet,
  upgradable: boolean,
  now: Date,
): PodCondition | undefined {
  const old = podCondition(pod, SidecarSetUpgradableCondition);
  let kv: Record<string, unknown> = {};
  try {
    if (old?.message) kv = JSON.parse(old.message);
  } catch {
    return undefined;
  }
  if (typeof kv !== 'object' || kv === null || Array.isArray(kv)) return undefined;
  kv = { ...kv, [sidecarSet.metadata?.name ?? '']: upgradable };
  const all = Object.values(kv).every((v) => v !== false);
  const status = all ? 'True' : 'False';
  const reason = all ? 'AllSidecarsetUpgradable' : 'UpdateImmutableField';
  const message = `{${Object.keys(kv)
    .sort()
    .map((k) => `${goJsonString(k)}:${JSON.stringify(kv[k])}`)
    .join(',')}}`;
  if (old && old.status === status && old.reason === reason && old.message === message) return undefined;
  return {
    type: SidecarSetUpgradableCondition,
    status,
    reason,
    message,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString(),
  };
}

function conditionWrite(pod: Pod, condition: PodCondition): Action {
  return {
    type: 'setPodCondition',
    name: nameOf(pod),
    namespace: pod.metadata.namespace,
    conditions: [condition],
  };
}

/**
 * Kruise's Events for a hot upgrade's reset, on the pod (flipHotUpgradingContainers); any other action
 * gets the kit's per-pod Event.
 */
export function sidecarSetResultEvent(
  action: Action,
  _owner: unknown,
  error?: unknown,
): PlanEvent | undefined {
  if (action.type !== 'inPlaceUpdate' || !isResetRevision(action.revision)) return resultEvent(action, error);
  const regarding = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: action.name, namespace: action.namespace, uid: action.uid },
  };
  return error === undefined
    ? {
        type: 'Normal',
        reason: ResetContainerSucceedReason,
        message: 'reset sidecar container image empty successfully',
        regarding,
      }
    : {
        type: 'Warning',
        reason: ResetContainerFailedReason,
        message: `reset sidecar container image empty failed: ${messageOf(error)}`,
        regarding,
      };
}
