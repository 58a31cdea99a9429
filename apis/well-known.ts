// Well-known label, annotation, condition and env keys, exactly as OpenKruise spells them.

export const GROUP = 'apps.kruise.io';

// Revisions and identity
export const ControllerRevisionHashLabel = 'controller-revision-hash';
export const PodTemplateHashLabel = 'pod-template-hash';
export const CloneSetInstanceIdLabel = 'apps.kruise.io/cloneset-instance-id';
export const StatefulSetPodNameLabel = 'statefulset.kubernetes.io/pod-name';
export const PodIndexLabel = 'apps.kubernetes.io/pod-index';
export const BroadcastJobNameLabel = 'broadcastjob-name';
export const BroadcastJobControllerUidLabel = 'broadcastjob-controller-uid';

// Deletion and lifecycle
export const SpecifiedDeleteLabel = 'apps.kruise.io/specified-delete';
export const LifecycleStateLabel = 'lifecycle.apps.kruise.io/state';
export const LifecycleTimestampKey = 'lifecycle.apps.kruise.io/timestamp';
export const PodDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';
/** Any pod label with this prefix makes Kruise workloads treat the pod as unavailable. */
export const PodUnavailableLabelPrefix = 'unavailable-pod.kruise.io/';
export const CloneSetScalingExcludePreparingDeleteLabel =
  'apps.kruise.io/cloneset-scaling-exclude-preparing-delete';

// In-place update
export const InPlaceUpdateStateAnnotation = 'apps.kruise.io/inplace-update-state';
export const InPlaceUpdateStateAnnotationOld = 'inplace-update-state';
export const InPlaceUpdateGraceAnnotation = 'apps.kruise.io/inplace-update-grace';
export const InPlaceUpdateGraceAnnotationOld = 'inplace-update-grace';
export const RuntimeContainersMetaAnnotation = 'apps.kruise.io/runtime-containers-meta';
export const ImagePreDownloadParallelismAnnotation = 'apps.kruise.io/image-predownload-parallelism';
export const ImagePreDownloadTimeoutSecondsAnnotation = 'apps.kruise.io/image-predownload-timeout-seconds';
export const ImagePreDownloadMinUpdatedReadyPodsAnnotation =
  'apps.kruise.io/image-predownload-min-updated-ready-pods';
export const ContainerPriorityEnv = 'KRUISE_CONTAINER_PRIORITY';

// Pod conditions / readiness gates
export const InPlaceUpdateReadyCondition = 'InPlaceUpdateReady';
export const KruisePodReadyCondition = 'KruisePodReady';
export const SidecarSetUpgradableCondition = 'SidecarSetUpgradable';

// SidecarSet
export const SidecarSetHashAnnotation = 'kruise.io/sidecarset-hash';
export const SidecarSetHashWithoutImageAnnotation = 'kruise.io/sidecarset-hash-without-image';
export const SidecarSetInjectedListAnnotation = 'kruise.io/sidecarset-injected-list';
export const SidecarSetInplaceUpdateStateAnnotation = 'kruise.io/sidecarset-inplace-update-state';
export const SidecarSetWorkingHotUpgradeContainerAnnotation =
  'kruise.io/sidecarset-working-hotupgrade-container';
export const SidecarSetVersionAnnotationPrefix = 'version.sidecarset.kruise.io/';
export const SidecarSetVersionAltAnnotationPrefix = 'versionalt.sidecarset.kruise.io/';
export const SidecarSetNameLabel = 'kruise.io/sidecarset-name';
export const SidecarSetCustomVersionLabel = 'apps.kruise.io/sidecarset-custom-version';
export const SidecarSetCanaryAnnotation = 'apps.kruise.io/sidecarset-canary';
export const SidecarSetBaseAnnotation = 'apps.kruise.io/sidecarset-base';
export const SidecarEnvIsInjected = 'IS_INJECTED';
export const SidecarEnvVersion = 'SIDECARSET_VERSION';
export const SidecarEnvVersionAlt = 'SIDECARSET_VERSION_ALT';

/** StatefulSet rollingUpdate.minReadySeconds upper bound (MaxMinReadySeconds). */
export const MaxMinReadySeconds = 300;
/** BroadcastJob default parallelism (MaxInt32 = unlimited). */
export const MaxInt32 = 2147483647;

/** Workload deletion protection (policy.kruise.io): 'Always', or 'Cascading' (only while replicas > 0). */
export const DeletionProtectionLabel = 'policy.kruise.io/delete-protection';
export const DeletionProtectionAlways = 'Always';
export const DeletionProtectionCascading = 'Cascading';
