// PVCs per pod from volumeClaimTemplates: CloneSet stamps them per instance id, Advanced StatefulSet per
// ordinal. Both name a claim `<template>-<owner>-<suffix>` and mount it as a volume named after the template.
import type { PersistentVolumeClaim, PersistentVolumeClaimObject, PodSpec, Volume } from '../../apis';
import type { OwnerReference } from '../../runtime/meta';
import type { OwnerMeta } from './ownership';

export interface ClaimStamp {
  owner: OwnerMeta | undefined;
  /** The instance id or ordinal the claims belong to. */
  suffix: string;
  /** Labels added to the template's (selector labels, instance id, …). */
  labels: Record<string, string>;
  ref: OwnerReference;
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
      ownerReferences: [stamp.ref],
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
