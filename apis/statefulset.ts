// Advanced StatefulSet, apps.kruise.io/v1beta1 (OpenKruise apis/apps/v1beta1/statefulset_types.go).
import { z } from 'zod';
import { PersistentVolumeClaim, PodTemplateSpec } from './core-types';
import { InPlaceUpdateStrategy, Lifecycle, PodUpdatePolicies, UpdatePriorityStrategy } from './pub';
import { dateTime, int32, int64, intOrString, kubeObject, LabelSelector } from './zod-k8s';

export const PodManagementPolicies = ['OrderedReady', 'Parallel'] as const;
export const StatefulSetUpdateStrategyTypes = ['RollingUpdate', 'OnDelete'] as const;
export const VolumeClaimUpdateStrategyTypes = ['OnPodRollingUpdate', 'OnDelete'] as const;
export const PVCRetentionPolicyTypes = ['Retain', 'Delete'] as const;

export const RollingUpdateStatefulSetStrategy = z.object({
  partition: int32().optional(),
  maxUnavailable: intOrString().optional(),
  podUpdatePolicy: z.enum(PodUpdatePolicies).optional(),
  paused: z.boolean().optional(),
  unorderedUpdate: z.object({ priorityStrategy: UpdatePriorityStrategy.optional() }).optional(),
  inPlaceUpdateStrategy: InPlaceUpdateStrategy.optional(),
  minReadySeconds: int32().optional(),
});
export type RollingUpdateStatefulSetStrategy = z.infer<typeof RollingUpdateStatefulSetStrategy>;

export const StatefulSetUpdateStrategy = z.object({
  type: z.enum(StatefulSetUpdateStrategyTypes).optional(),
  rollingUpdate: RollingUpdateStatefulSetStrategy.optional(),
});

export const StatefulSetSpec = z.object({
  replicas: int32()
    .optional()
    .describe('Desired number of running pods (reserved ordinals excluded). Defaults to 1.'),
  selector: LabelSelector.describe('Label query over pods; must match the template labels. Immutable.'),
  template: PodTemplateSpec.describe('Pod template the StatefulSet creates pods from.'),
  volumeClaimTemplates: z
    .array(PersistentVolumeClaim)
    .optional()
    .describe('PVCs created for every ordinal, named <template>-<statefulset>-<ordinal>.'),
  volumeClaimUpdateStrategy: z
    .object({ type: z.enum(VolumeClaimUpdateStrategyTypes).optional() })
    .optional()
    .describe('Whether PVC changes are rolled out with pods (OnPodRollingUpdate) or on PVC deletion.'),
  serviceName: z
    .string()
    .optional()
    .describe('Headless service that gives pods their network identity. Immutable.'),
  podManagementPolicy: z
    .enum(PodManagementPolicies)
    .optional()
    .describe('OrderedReady (one at a time, in order) or Parallel. Defaults to OrderedReady. Immutable.'),
  updateStrategy: StatefulSetUpdateStrategy.optional().describe('How pods are updated to a new revision.'),
  revisionHistoryLimit: int32()
    .optional()
    .describe('Number of old ControllerRevisions kept. Defaults to 10.'),
  reserveOrdinals: z
    .array(intOrString())
    .optional()
    .describe("Ordinals to skip: integers or inclusive ranges such as '3-5'."),
  lifecycle: Lifecycle.optional().describe(
    'Hooks run before deletion, around in-place updates and before Normal.',
  ),
  scaleStrategy: z
    .object({ maxUnavailable: intOrString().optional() })
    .optional()
    .describe('Limits how many pods may be unavailable while scaling in Parallel mode.'),
  persistentVolumeClaimRetentionPolicy: z
    .object({
      whenDeleted: z.enum(PVCRetentionPolicyTypes).optional(),
      whenScaled: z.enum(PVCRetentionPolicyTypes).optional(),
    })
    .optional()
    .describe('Whether PVCs are kept or deleted when the StatefulSet is deleted or scaled in.'),
  ordinals: z
    .object({ start: int32().optional() })
    .optional()
    .describe('The first ordinal (start). Defaults to 0.'),
});
export type StatefulSetSpec = z.infer<typeof StatefulSetSpec>;

export const StatefulSetConditionTypes = {
  FailedCreatePod: 'FailedCreatePod',
  FailedUpdatePod: 'FailedUpdatePod',
};

export const StatefulSetCondition = z.object({
  type: z.string(),
  status: z.string(),
  lastTransitionTime: dateTime().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const VolumeClaimStatus = z.object({
  volumeClaimName: z.string(),
  compatibleReplicas: int32(),
  compatibleReadyReplicas: int32(),
});

export const StatefulSetStatus = z.object({
  observedGeneration: int64().optional(),
  replicas: int32(),
  readyReplicas: int32(),
  availableReplicas: int32(),
  currentReplicas: int32(),
  updatedReplicas: int32(),
  updatedReadyReplicas: int32().optional(),
  updatedAvailableReplicas: int32().optional(),
  currentRevision: z.string().optional(),
  updateRevision: z.string().optional(),
  collisionCount: int32().optional(),
  conditions: z.array(StatefulSetCondition).optional(),
  labelSelector: z.string().optional(),
  volumeClaims: z.array(VolumeClaimStatus).optional(),
});
export type StatefulSetStatus = z.infer<typeof StatefulSetStatus>;

export const StatefulSet = kubeObject(StatefulSetSpec, StatefulSetStatus);
export type StatefulSet = z.infer<typeof StatefulSet>;
