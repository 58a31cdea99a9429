// The pods and PVCs of an ordinal (k8s newStatefulSetPod / newVersionedStatefulSetPod, initIdentity,
// updateStorage, getPersistentVolumeClaims; Kruise's lifecycle state at creation).
import {
  type ControllerRevision,
  ControllerRevisionHashLabel,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  LifecycleTimestampKey,
  type PersistentVolumeClaimObject,
  type Pod,
  PodIndexLabel,
  type StatefulSet,
  StatefulSetPodNameLabel,
  templateOfRevision,
} from '../../apis';
import { withReadinessGates } from '../inplace';
import { claimsFor, isAllHooked, ordinalName, rfc3339, withClaimVolumes } from '../workload';
import { statefulSetRef } from './kind';

/** The identity labels of the pod at `ordinal` (k8s updateIdentity, gate PodIndexLabel on). */
export function identityLabels(sts: StatefulSet, ordinal: number): Record<string, string> {
  return {
    [StatefulSetPodNameLabel]: ordinalName(sts.metadata?.name ?? '', ordinal),
    [PodIndexLabel]: String(ordinal),
  };
}

/**
 * The claims of `ordinal`: `<template>-<sts>-<ordinal>`, labelled with the selector's matchLabels. With
 * whenDeleted Delete the StatefulSet controls them (collected with it); otherwise nobody does.
 */
export function ordinalClaims(sts: StatefulSet, ordinal: number): PersistentVolumeClaimObject[] {
  // Asked for every pod of every plan: a set without templates builds nothing.
  if (!sts.spec?.volumeClaimTemplates?.length) return [];
  const deleteWithSet = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return claimsFor(sts.spec?.volumeClaimTemplates, {
    owner: sts.metadata,
    suffix: String(ordinal),
    labels: { ...sts.spec?.selector.matchLabels },
    ref: deleteWithSet ? statefulSetRef(sts) : undefined,
  });
}

/**
 * The pod at `ordinal` from `revision`: name, hostname and subdomain, identity and revision labels, the
 * claims' volumes, and the KruisePodReady gate Kruise's pod webhook gives every pod of its workloads.
 * Kruise creates it Normal, or PreparingNormal while a preNormal hook is not yet satisfied.
 */
export function newPod(sts: StatefulSet, revision: ControllerRevision, ordinal: number, now: Date): Pod {
  const template = templateOfRevision(revision) ?? sts.spec!.template;
  const name = ordinalName(sts.metadata?.name ?? '', ordinal);
  const spec = withClaimVolumes(
    withReadinessGates(structuredClone(template.spec), [KruisePodReadyCondition]),
    sts.spec?.volumeClaimTemplates,
    ordinalClaims(sts, ordinal),
  );
  const metadata: Pod['metadata'] = {
    name,
    namespace: sts.metadata?.namespace,
    labels: {
      ...template.metadata?.labels,
      ...identityLabels(sts, ordinal),
      [ControllerRevisionHashLabel]: revision.metadata.name ?? '',
    },
    annotations: { ...template.metadata?.annotations },
    ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
    ownerReferences: [statefulSetRef(sts)],
  };
  const preNormal = sts.spec?.lifecycle?.preNormal;
  const state =
    !preNormal || isAllHooked(preNormal, { metadata, spec } as Pod) ? 'Normal' : 'PreparingNormal';
  metadata.labels![LifecycleStateLabel] = state;
  metadata.annotations![LifecycleTimestampKey] = rfc3339(now);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { ...spec, hostname: name, ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}) },
  };
}
