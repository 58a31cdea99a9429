// SidecarSet, apps.kruise.io/v1alpha1, cluster-scoped (OpenKruise apis/apps/v1alpha1/sidecarset_types.go).
import { z } from 'zod';
import { containerShape, LocalObjectReference, ObjectFieldSelector, Volume } from './core-types';
import { UpdatePriorityStrategy, UpdateScatterStrategy } from './pub';
import { int32, int64, intOrString, kubeObject, LabelSelector, stringMap } from './zod-k8s';

export const PodInjectPolicies = ['BeforeAppContainer', 'AfterAppContainer'] as const;
export const SidecarUpgradeTypes = ['ColdUpgrade', 'HotUpgrade'] as const;
export const ShareVolumePolicyTypes = ['enabled', 'disabled'] as const;
export const TargetContainersModes = ['sum', 'max'] as const;
export const SidecarSetUpdateStrategyTypes = ['NotUpdate', 'RollingUpdate'] as const;
export const InjectRevisionPolicies = ['Always', 'Partial'] as const;
export const PatchPolicies = ['Retain', 'Overwrite', 'MergePatchJson'] as const;

const ShareVolumePolicy = z.object({ type: z.enum(ShareVolumePolicyTypes).optional() });

export const TransferEnvVar = z.object({
  sourceContainerName: z.string().optional(),
  sourceContainerNameFrom: z
    .object({ fieldRef: ObjectFieldSelector.meta({ 'x-kubernetes-map-type': 'atomic' }).optional() })
    .optional(),
  envName: z.string().optional(),
  envNames: z.array(z.string()).optional(),
});

const ResourceExpr = z.object({ cpu: z.string().optional(), memory: z.string().optional() });

export const ResourcesPolicy = z.object({
  targetContainersMode: z.enum(TargetContainersModes),
  targetContainersNameRegex: z.string().default('.*'),
  resourcesExpr: z.object({ limits: ResourceExpr.optional(), requests: ResourceExpr.optional() }),
});

/** corev1.Container inlined plus the Kruise sidecar fields; the CRD lists only the Kruise fields. */
export const SidecarContainer = z.looseObject({
  ...containerShape,
  podInjectPolicy: z.enum(PodInjectPolicies).optional(),
  upgradeStrategy: z
    .object({
      upgradeType: z.enum(SidecarUpgradeTypes).optional(),
      hotUpgradeEmptyImage: z.string().optional(),
    })
    .optional(),
  shareVolumePolicy: ShareVolumePolicy.optional(),
  shareVolumeDevicePolicy: ShareVolumePolicy.optional(),
  transferEnv: z.array(TransferEnvVar).optional(),
  resourcesPolicy: ResourcesPolicy.optional(),
});
export type SidecarContainer = z.infer<typeof SidecarContainer>;

export const SidecarSetUpdateStrategy = z.object({
  type: z.enum(SidecarSetUpdateStrategyTypes).optional(),
  paused: z.boolean().optional(),
  selector: LabelSelector.optional(),
  partition: intOrString().optional(),
  maxUnavailable: intOrString().optional(),
  priorityStrategy: UpdatePriorityStrategy.optional(),
  scatterStrategy: UpdateScatterStrategy.optional(),
});
export type SidecarSetUpdateStrategy = z.infer<typeof SidecarSetUpdateStrategy>;

export const SidecarSetInjectionStrategy = z.object({
  paused: z.boolean().optional(),
  revision: z
    .object({
      customVersion: z.string().optional(),
      revisionName: z.string().optional(),
      policy: z.enum(InjectRevisionPolicies).default('Always'),
    })
    .optional(),
});

export const SidecarSetPatchPodMetadata = z.object({
  annotations: stringMap().optional(),
  patchPolicy: z.enum(PatchPolicies).optional(),
});

export const SidecarSetSpec = z.object({
  selector: LabelSelector.optional().describe('Pods to inject into and upgrade. Required and non-empty.'),
  namespace: z
    .string()
    .optional()
    .describe('Only pods in this namespace (v1alpha1; prefer namespaceSelector).'),
  namespaceSelector: LabelSelector.optional().describe('Only pods in namespaces matching this selector.'),
  initContainers: z
    .array(SidecarContainer)
    .optional()
    .describe("Init containers injected at pod creation, after the pod's own, sorted by name."),
  containers: z
    .array(SidecarContainer)
    .optional()
    .describe('Sidecar containers injected into matching pods.'),
  volumes: z
    .array(Volume)
    .optional()
    .describe("Volumes injected when an injected container mounts them; the pod's own volume wins."),
  updateStrategy: SidecarSetUpdateStrategy.optional().describe(
    'How injected sidecars are upgraded in place.',
  ),
  injectionStrategy: SidecarSetInjectionStrategy.optional().describe(
    'Pause injection or inject a past revision.',
  ),
  imagePullSecrets: z
    .array(LocalObjectReference)
    .optional()
    .describe('Pull secrets merged into pods at injection.'),
  revisionHistoryLimit: int32()
    .optional()
    .describe('Number of old ControllerRevisions kept. Defaults to 10.'),
  patchPodMetadata: z
    .array(SidecarSetPatchPodMetadata)
    .optional()
    .describe('Annotations written onto matching pods.'),
});
export type SidecarSetSpec = z.infer<typeof SidecarSetSpec>;

export const SidecarSetStatus = z.object({
  observedGeneration: int64().optional(),
  matchedPods: int32(),
  updatedPods: int32(),
  readyPods: int32(),
  updatedReadyPods: int32().optional(),
  latestRevision: z.string().optional(),
  collisionCount: int32().optional(),
  /** Outrigger: selected pods created after the SidecarSet that run without its sidecars. */
  missingSidecarPods: int32()
    .optional()
    .describe('Selected pods created after the SidecarSet that run without its sidecars (Outrigger).'),
});
export type SidecarSetStatus = z.infer<typeof SidecarSetStatus>;

export const SidecarSet = kubeObject(SidecarSetSpec, SidecarSetStatus);
export type SidecarSet = z.infer<typeof SidecarSet>;
