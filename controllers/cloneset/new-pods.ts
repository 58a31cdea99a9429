// Building the pods and PVCs a CloneSet creates (Kruise core.newVersionedPods, UpdateStorage,
// GetPersistentVolumeClaims, getOrGenAvailableIDs).
import { randomInt } from 'node:crypto';
import {
  type CloneSet,
  CloneSetInstanceIdLabel,
  type ControllerRevision,
  ControllerRevisionHashLabel,
  InPlaceUpdateReadyCondition,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  LifecycleTimestampKey,
  type PersistentVolumeClaim,
  type PersistentVolumeClaimObject,
  type Pod,
  PodTemplateHashLabel,
  templateOfRevision,
} from '../../apis';
import { withReadinessGates } from '../inplace';
import { claimsFor, rfc3339, SAFE_ALPHANUMS, shortHash, withClaimVolumes } from '../workload';
import { cloneSetRef } from './kind';

/**
 * The gates every CloneSet pod carries, whatever its update strategy (as Kruise): InPlaceUpdateReady lets
 * a pod created under ReCreate be drained for a later in-place update; KruisePodReady lets lifecycle
 * hooks with markPodNotReady take it out of endpoints.
 */
export const CLONESET_READINESS_GATES = [InPlaceUpdateReadyCondition, KruisePodReadyCondition] as const;

const INSTANCE_ID_LENGTH = 5;

/** k8s rand.String(5): the alphabet avoids vowels and look-alike characters. */
export function randomInstanceId(): string {
  let id = '';
  for (let i = 0; i < INSTANCE_ID_LENGTH; i++) id += SAFE_ALPHANUMS[randomInt(SAFE_ALPHANUMS.length)];
  return id;
}

export function instanceIdOf(obj: { metadata?: { labels?: Record<string, string> } }): string | undefined {
  return obj.metadata?.labels?.[CloneSetInstanceIdLabel] || undefined;
}

/** Ids of PVCs no pod uses are reused first (so a recreated pod gets its data back), then fresh ids. */
export function availableInstanceIds(
  count: number,
  pods: Pod[],
  pvcs: PersistentVolumeClaim[],
  newId: () => string,
): string[] {
  const used = new Set(pods.map(instanceIdOf).filter((id): id is string => Boolean(id)));
  const claimed = new Set(pvcs.map(instanceIdOf).filter((id): id is string => Boolean(id)));
  const free = [...claimed].filter((id) => !used.has(id)).sort();
  const taken = new Set([...used, ...claimed]);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    let id = free.shift();
    if (id === undefined) {
      do id = newId();
      while (taken.has(id));
    }
    taken.add(id);
    ids.push(id);
  }
  return ids;
}

/** The PVCs of one instance: `<template>-<cloneset>-<id>`, selector labels + instance id, owned by the CloneSet. */
export function instanceClaims(cs: CloneSet, id: string): PersistentVolumeClaimObject[] {
  return claimsFor(cs.spec?.volumeClaimTemplates, {
    owner: cs.metadata,
    suffix: id,
    labels: { ...cs.spec?.selector.matchLabels, [CloneSetInstanceIdLabel]: id },
    ref: cloneSetRef(cs),
  });
}

/** A new pod at `revision`, in PreparingNormal, with the instance id, PVC volumes and readiness gates. */
export function newPod(cs: CloneSet, revision: ControllerRevision, id: string, now: Date): Pod {
  const template = templateOfRevision(revision) ?? cs.spec!.template;
  const name = revision.metadata.name ?? '';
  const templates = cs.spec?.volumeClaimTemplates;
  const spec = withClaimVolumes(
    withReadinessGates(structuredClone(template.spec), CLONESET_READINESS_GATES),
    templates,
    instanceClaims(cs, id),
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${cs.metadata?.name ?? ''}-${id}`,
      namespace: cs.metadata?.namespace,
      labels: {
        ...template.metadata?.labels,
        [ControllerRevisionHashLabel]: name,
        [PodTemplateHashLabel]: shortHash(name),
        [CloneSetInstanceIdLabel]: id,
        [LifecycleStateLabel]: 'PreparingNormal',
      },
      annotations: { ...template.metadata?.annotations, [LifecycleTimestampKey]: rfc3339(now) },
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ownerReferences: [cloneSetRef(cs)],
    },
    spec,
  };
}
