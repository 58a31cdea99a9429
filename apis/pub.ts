// Types shared by CloneSet and Advanced StatefulSet (OpenKruise apis/apps/pub) plus the v1alpha1
// UpdateScatterStrategy used by CloneSet and SidecarSet.
import { z } from 'zod';
import { int32, intOrString, LabelSelector, stringMap } from './zod-k8s';

export const LifecycleHook = z.object({
  labelsHandler: stringMap().optional(),
  finalizersHandler: z.array(z.string()).optional(),
  markPodNotReady: z.boolean().optional(),
});
export type LifecycleHook = z.infer<typeof LifecycleHook>;

export const Lifecycle = z.object({
  preDelete: LifecycleHook.optional(),
  inPlaceUpdate: LifecycleHook.optional(),
  preNormal: LifecycleHook.optional(),
});
export type Lifecycle = z.infer<typeof Lifecycle>;

export const LifecycleStates = [
  'PreparingNormal',
  'Normal',
  'PreparingUpdate',
  'Updating',
  'Updated',
  'PreparingDelete',
] as const;
export type LifecycleState = (typeof LifecycleStates)[number];

export const UpdatePriorityOrderTerm = z.object({ orderedKey: z.string() });
export const UpdatePriorityWeightTerm = z.object({ weight: int32(), matchSelector: LabelSelector });

export const UpdatePriorityStrategy = z.object({
  orderPriority: z.array(UpdatePriorityOrderTerm).optional(),
  weightPriority: z.array(UpdatePriorityWeightTerm).optional(),
});
export type UpdatePriorityStrategy = z.infer<typeof UpdatePriorityStrategy>;

export const UpdateScatterTerm = z.object({ key: z.string(), value: z.string() });
export const UpdateScatterStrategy = z.array(UpdateScatterTerm);
export type UpdateScatterStrategy = z.infer<typeof UpdateScatterStrategy>;

export const InPlaceUpdateStrategy = z.object({
  gracePeriodSeconds: int32().optional(),
  imagePreDownloadParallelism: intOrString().optional(),
  imagePreDownloadTimeoutSeconds: int32().optional(),
  imagePreDownloadMinUpdatedReadyPods: int32().optional(),
});
export type InPlaceUpdateStrategy = z.infer<typeof InPlaceUpdateStrategy>;

/** Pod update policy values shared by CloneSet (updateStrategy.type) and ASTS (podUpdatePolicy). */
export const PodUpdatePolicies = ['ReCreate', 'InPlaceIfPossible', 'InPlaceOnly'] as const;
export type PodUpdatePolicy = (typeof PodUpdatePolicies)[number];

/** The JSON stored in the apps.kruise.io/inplace-update-state pod annotation. */
export const InPlaceUpdateState = z.looseObject({
  revision: z.string(),
  updateTimestamp: z.string(),
  lastContainerStatuses: z.record(
    z.string(),
    // restartCount is ours: a container to restart for env from metadata, as it was (Kruise ignores it).
    z.object({ imageID: z.string().optional(), restartCount: z.number().optional() }),
  ),
  updateEnvFromMetadata: z.boolean().optional(),
  updateResources: z.boolean().optional(),
  updateImages: z.boolean().optional(),
  nextContainerImages: stringMap().optional(),
  nextContainerRefMetadata: z.record(z.string(), z.looseObject({})).optional(),
  nextContainerResources: z.record(z.string(), z.looseObject({})).optional(),
  preCheckBeforeNext: z.object({ containersRequiredReady: z.array(z.string()).optional() }).optional(),
  containerBatchesRecord: z
    .array(z.object({ timestamp: z.string(), containers: z.array(z.string()) }))
    .optional(),
});
export type InPlaceUpdateState = z.infer<typeof InPlaceUpdateState>;
