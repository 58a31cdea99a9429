// CloneSet, apps.kruise.io/v1alpha1 (OpenKruise apis/apps/v1alpha1/cloneset_types.go).
import { z } from 'zod';
import { PersistentVolumeClaim, PodTemplateSpec } from './core-types';
import { InPlaceUpdateStrategy, Lifecycle, UpdatePriorityStrategy, UpdateScatterStrategy } from './pub';
import { dateTime, int32, int64, intOrString, kubeObject, LabelSelector } from './zod-k8s';

export const CloneSetUpdateStrategyTypes = [
  'ReCreate',
  'InPlaceIfPossible',
  'InPlaceOnly',
  'OnDelete',
] as const;
export type CloneSetUpdateStrategyType = (typeof CloneSetUpdateStrategyTypes)[number];
export const DefaultCloneSetMaxUnavailable = '20%';

export const CloneSetScaleStrategy = z.object({
  podsToDelete: z.array(z.string()).optional(),
  maxUnavailable: intOrString().optional(),
  disablePVCReuse: z.boolean().optional(),
});

export const CloneSetUpdateStrategy = z.object({
  type: z.enum(CloneSetUpdateStrategyTypes).optional(),
  partition: intOrString().optional(),
  maxUnavailable: intOrString().optional(),
  maxSurge: intOrString().optional(),
  paused: z.boolean().optional(),
  priorityStrategy: UpdatePriorityStrategy.optional(),
  scatterStrategy: UpdateScatterStrategy.optional(),
  inPlaceUpdateStrategy: InPlaceUpdateStrategy.optional(),
});
export type CloneSetUpdateStrategy = z.infer<typeof CloneSetUpdateStrategy>;

export const CloneSetSpec = z.object({
  replicas: int32().optional().describe('Desired number of pods. Defaults to 1.'),
  selector: LabelSelector.describe('Label query over pods; must match the template labels. Immutable.'),
  template: PodTemplateSpec.describe('Pod template the CloneSet creates pods from.'),
  volumeClaimTemplates: z
    .array(PersistentVolumeClaim)
    .optional()
    .describe('PVCs created for every pod, named <template>-<cloneset>-<instance-id>.'),
  scaleStrategy: CloneSetScaleStrategy.optional().describe('How pods are scaled in and out.'),
  updateStrategy: CloneSetUpdateStrategy.optional().describe('How pods are updated to a new revision.'),
  revisionHistoryLimit: int32()
    .optional()
    .describe('Number of old ControllerRevisions kept. Defaults to 10.'),
  minReadySeconds: int32().optional().describe('Seconds a pod must be ready before it counts as available.'),
  lifecycle: Lifecycle.optional().describe(
    'Hooks run before deletion, around in-place updates and before Normal.',
  ),
  progressDeadlineSeconds: int32()
    .optional()
    .describe('Seconds the rollout may take before Progressing turns False; must exceed minReadySeconds.'),
});
export type CloneSetSpec = z.infer<typeof CloneSetSpec>;

export const CloneSetConditionTypes = ['FailedScale', 'FailedUpdate', 'Progressing'] as const;
export const CloneSetConditionReasons = {
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  Paused: 'CloneSetPaused',
  Updated: 'CloneSetUpdated',
  PartitionAvailable: 'ProgressPartitionAvailable',
  Available: 'CloneSetAvailable',
} as const;

export const CloneSetCondition = z.object({
  type: z.string(),
  status: z.string(),
  lastUpdateTime: dateTime().optional(),
  lastTransitionTime: dateTime().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type CloneSetCondition = z.infer<typeof CloneSetCondition>;

export const CloneSetStatus = z.object({
  observedGeneration: int64().optional(),
  replicas: int32(),
  readyReplicas: int32(),
  availableReplicas: int32(),
  updatedReplicas: int32(),
  updatedReadyReplicas: int32(),
  updatedAvailableReplicas: int32().optional(),
  expectedUpdatedReplicas: int32().optional(),
  updateRevision: z.string().optional(),
  currentRevision: z.string().optional(),
  collisionCount: int32().optional(),
  conditions: z.array(CloneSetCondition).optional(),
  labelSelector: z.string().optional(),
});
export type CloneSetStatus = z.infer<typeof CloneSetStatus>;

export const CloneSet = kubeObject(CloneSetSpec, CloneSetStatus);
export type CloneSet = z.infer<typeof CloneSet>;
