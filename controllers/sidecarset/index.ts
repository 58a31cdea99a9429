// SidecarSet (apps.kruise.io/v1alpha1): sidecar injection (inject.ts, pure, used by the pod webhook),
// OpenKruise's hashes (hash.ts), revisions (revisions.ts), the in-place upgrade plan (upgrade.ts) and the
// controller (controller.ts).
export { type SidecarSetControllerOptions, setupSidecarSetController } from './controller';
export { sidecarSetHash, sidecarSetHashWithoutImage, stampSidecarSetHashes } from './hash';
export { type InjectOptions, type InjectResult, injectSidecars } from './inject';
export { isActivePod, matchingSidecarSets, sidecarSetSelects } from './match';
export { registerLatestRevision, suitableSidecarSet } from './revisions';
export { computeStatus } from './status';
export { planUpgrade, type UpgradePlan } from './upgrade';
