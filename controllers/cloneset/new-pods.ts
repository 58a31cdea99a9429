// Building the pods and PVCs a CloneSet creates (Kruise core.newVersionedPods, UpdateStorage,
// GetPersistentVolumeClaims, getOrGenAvailableIDs).
import { randomInt } from 'node:crypto';
import {
  type CloneSet,
  CloneSetInstanceIdLabel,
  ControllerRevisionHashLabel,
  LifecycleStateLabel,
  LifecycleTimestampKey,
  type PersistentVolumeClaim,
  PodTemplateHashLabel,
  type Volume,
} from '../../apis';
import { type ControllerRevision, type Pod, templateOfRevision, withInPlaceReadinessGate } from '../inplace';
import type { PersistentVolumeClaimObject } from './actions';
import { shortHash } from './pods';
import { controllerRef } from './revisions';

const INSTANCE_ID_LENGTH = 5;
const ID_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s rand.String(5): the alphabet avoids vowels and look-alike characters. */
export function randomInstanceId(): string {
  let id = '';
  for (let i = 0; i < INSTANCE_ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
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
export function claimsFor(cs: CloneSet, id: string): PersistentVolumeClaimObject[] {
  return (cs.spec?.volumeClaimTemplates ?? []).map((t) => ({
    ...t,
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      ...t.metadata,
      name: `${t.metadata?.name ?? ''}-${cs.metadata?.name ?? ''}-${id}`,
      namespace: cs.metadata?.namespace,
      labels: { ...t.metadata?.labels, ...cs.spec?.selector.matchLabels, [CloneSetInstanceIdLabel]: id },
      ownerReferences: [controllerRef(cs)],
    },
  }));
}

/** A new pod at `revision`, in PreparingNormal, with the instance id, PVC volumes and readiness gate. */
export function newPod(cs: CloneSet, revision: ControllerRevision, id: string, now: Date): Pod {
  const template = templateOfRevision(revision) ?? cs.spec!.template;
  const name = revision.metadata.name ?? '';
  const claims = (cs.spec?.volumeClaimTemplates ?? []).map((t, i) => ({
    template: t.metadata?.name ?? '',
    claim: claimsFor(cs, id)[i]!.metadata.name,
  }));
  const claimVolumes: Volume[] = claims.map((c) => ({
    name: c.template,
    persistentVolumeClaim: { claimName: c.claim, readOnly: false },
  }));
  const otherVolumes = (template.spec.volumes ?? []).filter(
    (v) => !claims.some((c) => c.template === v.name),
  );
  const volumes = [...claimVolumes, ...otherVolumes];
  const spec = withInPlaceReadinessGate({ ...structuredClone(template.spec) }, cs.spec?.updateStrategy?.type);
  if (volumes.length > 0) spec.volumes = volumes;
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
      ownerReferences: [controllerRef(cs)],
    },
    spec,
  };
}

/** Go time.RFC3339 (seconds precision), as Kruise writes lifecycle timestamps. */
export function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
