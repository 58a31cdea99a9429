// SidecarSet status from the pods it selects (OpenKruise calculateStatus), plus the pods that should
// carry its sidecars and do not: selected, active, created after the SidecarSet, yet not injected.

import type { Pod } from '../../apis/core-objects';
import type { SidecarSet, SidecarSetStatus } from '../../apis/sidecarset';
import { SidecarSetBaseAnnotation, SidecarSetCanaryAnnotation } from '../../apis/well-known';
import { hashesOf, isNativeSidecar } from './hash';
import { isActivePod } from './match';
import { injectedSidecarSetNames, podSidecarSetHash, workingHotUpgradeContainers } from './pod-annotations';
import { isSidecarConsistent, isSidecarPodReady } from './pod-state';

/** The status fields this controller owns. */
export type ComputedStatus = Required<
  Pick<SidecarSetStatus, 'matchedPods' | 'updatedPods' | 'readyPods' | 'updatedReadyPods'>
> &
  Pick<SidecarSetStatus, 'observedGeneration' | 'latestRevision' | 'collisionCount' | 'missingSidecarPods'>;

export interface StatusInput {
  sidecarSet: SidecarSet;
  /** Pods the SidecarSet selects (selector and namespace scope). */
  pods: readonly Pod[];
  /** All SidecarSets, to recognise pods a canary injected in place of this (base) SidecarSet. */
  sidecarSets: readonly SidecarSet[];
  latestRevision?: string;
  collisionCount?: number;
  /** Whether the pod webhook sees the namespace (pods elsewhere are never injected, so never missing). */
  injectable?: (namespace: string) => boolean;
}

export interface StatusResult {
  status: ComputedStatus;
  /** Selected pods running without this SidecarSet's sidecars, by namespace/name. */
  missing: string[];
}

/** The container names a SidecarSet puts into pods (HotUpgrade sidecars as their two twins). */
function sidecarNames(sidecarSet: SidecarSet): { containers: string[]; initContainers: string[] } {
  const spec = sidecarSet.spec ?? {};
  return {
    containers: (spec.containers ?? []).flatMap((c) =>
      c.upgradeStrategy?.upgradeType === 'HotUpgrade' ? [`${c.name}-1`, `${c.name}-2`] : [c.name],
    ),
    initContainers: (spec.initContainers ?? []).filter(isNativeSidecar).map((c) => c.name),
  };
}

/**
 * IsPodInjectedSidecarSet and IsPodConsistentWithSidecarSet: listed, and its sidecars are there (a
 * HotUpgrade sidecar as both twins, with the annotation naming the working one).
 */
export function carriesSidecars(pod: Pod, sidecarSet: SidecarSet): boolean {
  if (!injectedSidecarSetNames(pod).includes(sidecarSet.metadata?.name ?? '')) return false;
  const working = workingHotUpgradeContainers(pod.metadata.annotations ?? {});
  const hot = (sidecarSet.spec?.containers ?? []).filter(
    (c) => c.upgradeStrategy?.upgradeType === 'HotUpgrade',
  );
  if (hot.some((c) => working[c.name] === undefined)) return false;
  const { containers, initContainers } = sidecarNames(sidecarSet);
  const has = (list: { name: string }[] | undefined, name: string) =>
    (list ?? []).some((c) => c.name === name);
  return (
    containers.every((n) => has(pod.spec.containers, n)) &&
    initContainers.every((n) => has(pod.spec.initContainers, n))
  );
}

export function computeStatus(input: StatusInput): StatusResult {
  const { sidecarSet, pods } = input;
  const name = sidecarSet.metadata?.name ?? '';
  const { hash } = hashesOf(sidecarSet);
  const active = pods.filter(isActivePod);
  const matched = active.filter((p) => carriesSidecars(p, sidecarSet));
  const updated = matched.filter((p) => podSidecarSetHash(p, name) === hash);
  // Ready: Running and Ready, hot-upgrade twins settled, and the kubelet runs the sidecars' spec.
  const isReady = (p: Pod) => isSidecarPodReady(p, sidecarSet) && isSidecarConsistent(p, sidecarSet);
  const ready = matched.filter(isReady);
  const injectable = input.injectable ?? (() => true);
  const missing = active.filter(
    (p) =>
      injectable(p.metadata.namespace ?? '') &&
      shouldCarry(p, sidecarSet, input.sidecarSets) &&
      !carriesSidecars(p, sidecarSet),
  );
  return {
    status: {
      observedGeneration: sidecarSet.metadata?.generation,
      matchedPods: matched.length,
      updatedPods: updated.length,
      readyPods: ready.length,
      updatedReadyPods: updated.filter(isReady).length,
      latestRevision: input.latestRevision,
      collisionCount: input.collisionCount,
      missingSidecarPods: missing.length,
    },
    missing: missing.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
  };
}

/**
 * Whether the webhook should have injected this SidecarSet into the pod: the pod was created after the
 * SidecarSet (earlier pods are never injected), injection is not paused, and no canary of this
 * SidecarSet injected the pod instead.
 */
function shouldCarry(pod: Pod, sidecarSet: SidecarSet, all: readonly SidecarSet[]): boolean {
  if (sidecarSet.spec?.injectionStrategy?.paused) return false;
  const created = Date.parse(pod.metadata.creationTimestamp ?? '');
  const since = Date.parse(sidecarSet.metadata?.creationTimestamp ?? '');
  // creationTimestamp has second precision: a pod created in the same second may predate the SidecarSet.
  if (!(created > since)) return false;
  const listed = new Set(injectedSidecarSetNames(pod));
  return !all.some(
    (s) =>
      listed.has(s.metadata?.name ?? '') &&
      s.metadata?.annotations?.[SidecarSetCanaryAnnotation] === 'true' &&
      s.metadata?.annotations?.[SidecarSetBaseAnnotation] === sidecarSet.metadata?.name,
  );
}
