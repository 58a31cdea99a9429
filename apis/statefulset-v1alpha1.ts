// Advanced StatefulSet, apps.kruise.io/v1alpha1: the legacy subset of v1beta1 (OpenKruise
// apis/apps/v1alpha1/statefulset_types.go), and the conversion pair to and from v1beta1, the version our
// controllers and etcd use. Field names and meanings are shared; v1alpha1 lacks the fields listed in
// V1BETA1_ONLY, which a v1alpha1 view keeps in its conversion stash (apis/convert.ts).
import type { z } from 'zod';
import { type Json, splitKeys } from './convert-util';
import type { StatefulSet } from './statefulset';
import { StatefulSetSpec, StatefulSetStatus } from './statefulset';
import { kubeObject } from './zod-k8s';

const V1BETA1_ONLY_SPEC = [
  'reserveOrdinals',
  'lifecycle',
  'scaleStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'ordinals',
  'volumeClaimUpdateStrategy',
] as const;
const V1BETA1_ONLY_STATUS = ['updatedReadyReplicas', 'updatedAvailableReplicas', 'volumeClaims'] as const;

/** Paths v1alpha1 cannot express. */
export const STATEFULSET_V1BETA1_ONLY = [
  ...V1BETA1_ONLY_SPEC.map((k) => ['spec', k]),
  ...V1BETA1_ONLY_STATUS.map((k) => ['status', k]),
];

const omit = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, true])) as { [P in K]: true };

export const StatefulSetV1alpha1Spec = StatefulSetSpec.omit(omit(V1BETA1_ONLY_SPEC));
export const StatefulSetV1alpha1Status = StatefulSetStatus.omit(omit(V1BETA1_ONLY_STATUS));

export const StatefulSetV1alpha1 = kubeObject(StatefulSetV1alpha1Spec, StatefulSetV1alpha1Status);
export type StatefulSetV1alpha1 = z.input<typeof StatefulSetV1alpha1>;

export function statefulSetToV1alpha1(sts: z.input<typeof StatefulSet>): StatefulSetV1alpha1 {
  const out: Json = { ...(sts as Json) };
  if (out.spec !== undefined) out.spec = splitKeys(out.spec as Json, V1BETA1_ONLY_SPEC)[1];
  if (out.status !== undefined) out.status = splitKeys(out.status as Json, V1BETA1_ONLY_STATUS)[1];
  return out;
}

/** Every v1alpha1 field means the same in v1beta1. */
export function statefulSetFromV1alpha1(sts: StatefulSetV1alpha1): z.input<typeof StatefulSet> {
  return { ...(sts as Json) };
}
