// What a SidecarSet reads off a pod it injected (OpenKruise sidecarcontrol: GetSidecarContainersInPod,
// IsPodStateConsistent, IsPodReady, IsSidecarSetUpgradable, the hot-upgrade twins): which containers are
// its sidecars, whether the kubelet runs what the spec says, and whether the pod counts as ready.
import { type Pod, podCondition } from '../../apis/core-objects';
import type { SidecarContainer, SidecarSet } from '../../apis/sidecarset';
import { SidecarSetInplaceUpdateStateAnnotation } from '../../apis/well-known';
import { type InPlaceConfig, isUpdateCompleted, readUpdateState } from '../inplace';
import { hashesOf } from './hash';
import {
  podSidecarSetHash,
  podSidecarSetHashWithoutImage,
  workingHotUpgradeContainers,
} from './pod-annotations';

export const isHotUpgrade = (c: SidecarContainer): boolean => c.upgradeStrategy?.upgradeType === 'HotUpgrade';

/** `<sidecar>-1` and `<sidecar>-2`, the hot-upgrade twins. */
export const hotUpgradeTwinNames = (sidecar: string): [string, string] => [`${sidecar}-1`, `${sidecar}-2`];

/**
 * The in-place engine's configuration for one SidecarSet: its state is this SidecarSet's entry of
 * kruise.io/sidecarset-inplace-update-state, the pod's revision is its hash in kruise.io/sidecarset-hash.
 * OpenKruise never drains a pod for a sidecar upgrade, so the readiness condition names no gate a pod
 * can carry (the engine drains only pods gated on it), and there is no grace period.
 */
export function sidecarSetInPlace(name: string): InPlaceConfig {
  return {
    state: { annotation: SidecarSetInplaceUpdateStateAnnotation, key: name },
    grace: { annotation: 'kruise.io/sidecarset-inplace-update-grace' },
    readinessCondition: '',
    revisionOf: (pod) => podSidecarSetHash(pod, name) || undefined,
  };
}

/** GetSidecarContainersInPod: the names of the SidecarSet's (non-init) containers in a pod. */
export function sidecarContainerNames(sidecarSet: SidecarSet): string[] {
  return (sidecarSet.spec?.containers ?? []).flatMap((c) =>
    isHotUpgrade(c) ? hotUpgradeTwinNames(c.name) : [c.name],
  );
}

/**
 * GetPodHotUpgradeContainers: the twin working now (per kruise.io/sidecarset-working-hotupgrade-container)
 * and the other one (idle on the empty image, or still running the previous version mid-upgrade).
 */
export function hotUpgradeTwins(sidecar: string, pod: Pod): { working: string; other: string } {
  const [first, second] = hotUpgradeTwinNames(sidecar);
  const working = workingHotUpgradeContainers(pod.metadata.annotations ?? {})[sidecar];
  return working === first ? { working: first, other: second } : { working: second, other: first };
}

const containerOf = (pod: Pod, name: string) => pod.spec.containers.find((c) => c.name === name);
const statusOf = (pod: Pod, name: string) => pod.status?.containerStatuses?.find((s) => s.name === name);

/** repository and digest of an image reference (docker.io/library/ implied, as the runtimes report). */
function parseImage(image: string): { repo: string; tag: string; digest: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : '';
  let name = at >= 0 ? image.slice(0, at) : image;
  let tag = '';
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repo = hasRegistry ? name : name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
  return { repo, tag, digest };
}

/** util.IsContainerImageEqual for a digest image against the imageID the kubelet reports. */
function sameDigest(image: string, imageID: string): boolean {
  const a = parseImage(image);
  const b = parseImage(imageID);
  return a.digest !== '' && a.repo === b.repo && a.digest === b.digest;
}

/**
 * IsPodStateConsistent: the kubelet runs the spec of the SidecarSet's containers (`only`: of these).
 * With digest images the reported imageIDs must match; otherwise each container this SidecarSet
 * upgraded in place must have finished (the in-place engine's completion check on its state).
 */
export function isSidecarConsistent(pod: Pod, sidecarSet: SidecarSet, only?: readonly string[]): boolean {
  if (pod.spec.containers.length !== (pod.status?.containerStatuses ?? []).length) return false;
  const names = new Set(only && only.length > 0 ? only : sidecarContainerNames(sidecarSet));
  const sidecars = pod.spec.containers.filter((c) => names.has(c.name));
  if (sidecars.every((c) => parseImage(c.image ?? '').digest !== '')) {
    return sidecars.every((c) => sameDigest(c.image ?? '', statusOf(pod, c.name)?.imageID ?? ''));
  }
  const config = sidecarSetInPlace(sidecarSet.metadata?.name ?? '');
  const raw = pod.metadata.annotations?.[SidecarSetInplaceUpdateStateAnnotation];
  // Never upgraded in place: the sidecars run as injected.
  if (raw === undefined) return true;
  const state = readUpdateState(pod, config);
  if (!state) return hasNoEntry(raw, config.state.key ?? '');
  const recorded = Object.entries(state.lastContainerStatuses ?? {}).filter(([name]) => names.has(name));
  return isUpdateCompleted(pod, { ...state, lastContainerStatuses: Object.fromEntries(recorded) }, config);
}

/** No entry for this SidecarSet counts as done; an unreadable annotation (a hand edit) as not done. */
function hasNoEntry(raw: string, key: string): boolean {
  try {
    const map: unknown = JSON.parse(raw);
    return typeof map === 'object' && map !== null && !Array.isArray(map) && !(key in map);
  } catch {
    return false;
  }
}

/** util.IsRunningAndReady */
export const isRunningAndReady = (pod: Pod): boolean =>
  pod.status?.phase === 'Running' &&
  podCondition(pod, 'Ready')?.status === 'True' &&
  !pod.metadata.deletionTimestamp;

/**
 * control.IsPodReady: Running and Ready, and every hot-upgrade twin that is not working is back on the
 * empty image (until then the pod is still mid-upgrade).
 */
export function isSidecarPodReady(pod: Pod, sidecarSet: SidecarSet): boolean {
  for (const sidecar of sidecarSet.spec?.containers ?? []) {
    const empty = sidecar.upgradeStrategy?.hotUpgradeEmptyImage;
    if (!isHotUpgrade(sidecar) || !empty) continue;
    const { other } = hotUpgradeTwins(sidecar.name, pod);
    const container = containerOf(pod, other);
    if (container && container.image !== empty) return false;
  }
  return isRunningAndReady(pod);
}

/** IsPodSidecarUpdated: the pod carries the SidecarSet's current hash. */
export const isSidecarUpdated = (pod: Pod, sidecarSet: SidecarSet): boolean =>
  podSidecarSetHash(pod, sidecarSet.metadata?.name ?? '') === hashesOf(sidecarSet).hash;

/**
 * IsSidecarSetUpgradable: `canUpgrade` when only images changed since the pod's version (equal
 * hash-without-image); `consistent` unless a sidecar is Ready yet still running an earlier upgrade's
 * image (wait for that one to finish first).
 */
export function upgradability(
  pod: Pod,
  sidecarSet: SidecarSet,
): { canUpgrade: boolean; consistent: boolean } {
  const name = sidecarSet.metadata?.name ?? '';
  if (podSidecarSetHashWithoutImage(pod, name) !== hashesOf(sidecarSet).withoutImage) {
    return { canUpgrade: false, consistent: false };
  }
  for (const container of sidecarContainerNames(sidecarSet)) {
    if (statusOf(pod, container)?.ready && !isSidecarConsistent(pod, sidecarSet, [container])) {
      return { canUpgrade: true, consistent: false };
    }
  }
  return { canUpgrade: true, consistent: true };
}
