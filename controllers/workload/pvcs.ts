// PVCs per pod from volumeClaimTemplates: CloneSet stamps them per instance id, Advanced StatefulSet per
// ordinal. Both name a claim `<template>-<owner>-<suffix>` and mount it as a volume named after the template.
// Claims that outlive their pods follow a retention policy (k8s persistentVolumeClaimRetentionPolicy):
// the owner references decide what the garbage collector deletes with the owner or with the pod.
import type { PersistentVolumeClaim, PersistentVolumeClaimObject, PodSpec, Volume } from '../../apis';
import type { OwnerReference } from '../../runtime/meta';
import type { OwnerMeta } from './ownership';

export interface ClaimStamp {
  owner: OwnerMeta | undefined;
  /** The instance id or ordinal the claims belong to. */
  suffix: string;
  /** Labels added to the template's (selector labels, instance id, …). */
  labels: Record<string, string>;
  /** The claims' owner references (none: the claims outlive everything, StatefulSet's Retain). */
  ref?: OwnerReference | OwnerReference[];
}

export function claimsFor(
  templates: readonly PersistentVolumeClaim[] | undefined,
  stamp: ClaimStamp,
): PersistentVolumeClaimObject[] {
  return (templates ?? []).map((t) => ({
    ...t,
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      ...t.metadata,
      name: `${t.metadata?.name ?? ''}-${stamp.owner?.name ?? ''}-${stamp.suffix}`,
      namespace: stamp.owner?.namespace,
      labels: { ...t.metadata?.labels, ...stamp.labels },
      ownerReferences: stamp.ref === undefined ? [] : [stamp.ref].flat(),
    },
  }));
}

/** `spec` mounting each claim as the volume named after its template (replacing a template volume of that name). */
export function withClaimVolumes<S extends PodSpec>(
  spec: S,
  templates: readonly PersistentVolumeClaim[] | undefined,
  claims: PersistentVolumeClaimObject[],
): S {
  const names = (templates ?? []).map((t) => t.metadata?.name ?? '');
  if (names.length === 0) return spec;
  const claimVolumes: Volume[] = names.map((name, i) => ({
    name,
    persistentVolumeClaim: { claimName: claims[i]!.metadata.name, readOnly: false },
  }));
  const others = (spec.volumes ?? []).filter((v) => !names.includes(v.name));
  return { ...spec, volumes: [...claimVolumes, ...others] };
}

export type RetentionPolicyType = 'Retain' | 'Delete';

export interface RetentionPolicy {
  whenDeleted?: RetentionPolicyType | string;
  whenScaled?: RetentionPolicyType | string;
}

/** The workload and the (existing) pod a claim belongs to. */
export interface ClaimOwners {
  owner: OwnerReference;
  pod: { name: string; uid: string };
  policy: RetentionPolicy | undefined;
  /** The pod's ordinal is outside the range the owner runs (scale-in, reserved). */
  scaledDown: boolean;
}

/** A change to a claim's owner references: the uids to drop and the controller references to add. */
export interface ClaimOwnerChange {
  remove: string[];
  add: OwnerReference[];
}

function podRef(pod: { name: string; uid?: string }): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    name: pod.name,
    uid: pod.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

const matches = (ref: OwnerReference, of: OwnerReference) =>
  ref.apiVersion === of.apiVersion && ref.kind === of.kind && ref.name === of.name;

/** A claim as the cache holds it: its owner references are what retention reads. */
export interface ClaimObject {
  metadata?: { ownerReferences?: OwnerReference[] };
}

/** k8s hasStaleOwnerRef: the claim names this owner but another uid (an earlier object of that name). */
function staleRef(claim: ClaimObject, of: OwnerReference): boolean {
  const ref = (claim.metadata?.ownerReferences ?? []).find((r) => matches(r, of));
  return ref !== undefined && ref.uid !== of.uid;
}

const retains = (p: RetentionPolicy | undefined) =>
  (p?.whenDeleted ?? 'Retain') !== 'Delete' && (p?.whenScaled ?? 'Retain') !== 'Delete';

/**
 * k8s PodClaimIsStale: with whenScaled Delete, a claim still owned by an earlier pod of this name will be
 * collected with it, so the pod must not be created on it yet.
 */
export function isClaimStale(
  claim: ClaimObject | undefined,
  pod: { name: string; uid?: string },
  policy: RetentionPolicy | undefined,
): boolean {
  if (!claim || (policy?.whenScaled ?? 'Retain') !== 'Delete') return false;
  return staleRef(claim, podRef(pod));
}

/**
 * k8s isClaimOwnerUpToDate + updateClaimOwnerRefForSetAndPod (v1.37, controller references): the owner
 * reference changes the retention policy asks of this claim, undefined when none. A claim controlled by
 * someone else, or naming an earlier owner or pod of the same name, is left alone.
 */
export function claimOwnerChange(claim: ClaimObject, owners: ClaimOwners): ClaimOwnerChange | undefined {
  const refs = claim.metadata?.ownerReferences ?? [];
  const pod = podRef(owners.pod);
  const ours = (r: OwnerReference) => matches(r, owners.owner) || matches(r, pod);
  if (staleRef(claim, owners.owner) || staleRef(claim, pod)) return undefined;
  const foreignController = !retains(owners.policy) && refs.some((r) => !ours(r) && r.controller);
  const wanted: OwnerReference[] = [];
  if (!foreignController) {
    // Scaled down with whenScaled Delete: collected with the pod; else with the owner if whenDeleted Delete.
    if (owners.scaledDown && owners.policy?.whenScaled === 'Delete') wanted.push(pod);
    else if (owners.policy?.whenDeleted === 'Delete') wanted.push(owners.owner);
  }
  const current = refs.filter(ours);
  const upToDate =
    current.length === wanted.length &&
    wanted.every((w) => current.some((c) => c.uid === w.uid && c.controller === true));
  return upToDate ? undefined : { remove: current.map((r) => r.uid), add: wanted };
}
