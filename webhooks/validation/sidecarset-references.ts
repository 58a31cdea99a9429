// SidecarSet rules that read the cluster: injectionStrategy.revision must name an existing
// ControllerRevision, and patchPodMetadata keys must be allowed by the operator's configuration
// ConfigMap, as OpenKruise's kruise-configuration allows them (key SidecarSet_PatchPodMetadata_WhiteList).

import type { ControllerRevision } from '../../apis/core-objects';
import { selectorMatches } from '../../apis/labels';
import type { SidecarSet } from '../../apis/sidecarset';
import type { LabelSelector } from '../../apis/zod-k8s';
import { lookupSpecifiedRevision } from '../../controllers/sidecarset/revisions';
import { type FieldError, invalid, required } from './field-error';

/** The operator's configuration ConfigMap (OpenKruise: kruise-system/kruise-configuration). */
export const CONFIGURATION_CONFIGMAP = 'outrigger-configuration';
export const PATCH_POD_METADATA_WHITELIST_KEY = 'SidecarSet_PatchPodMetadata_WhiteList';

/** The whitelist's JSON: `{"rules":[{"selector":{...},"allowedAnnotationKeyExprs":["regexp",...]}]}`. */
export interface PatchPodMetadataWhitelist {
  rules?: { selector?: LabelSelector; allowedAnnotationKeyExprs?: string[] }[];
}

export interface SidecarSetReferences {
  /** This SidecarSet's ControllerRevisions; leave out to skip the revision check. */
  revisions?: readonly ControllerRevision[];
  /**
   * The configuration ConfigMap's data; null when the ConfigMap does not exist. Leave out to skip the
   * whitelist check.
   */
  configuration?: Record<string, string> | null;
  /** OpenKruise's gate SidecarSetPatchPodMetadataDefaultsAllowed: no whitelist allows every key. */
  patchPodMetadataAllowedByDefault?: boolean;
}

export function validateSidecarSetReferences(ss: SidecarSet, refs: SidecarSetReferences): FieldError[] {
  const errs: FieldError[] = [];
  const missing = refs.revisions && lookupSpecifiedRevision(ss, refs.revisions).missing;
  if (missing) {
    const revision = ss.spec?.injectionStrategy?.revision;
    errs.push(invalid('spec.injectionStrategy.revision', revision, `cannot find it: ${missing}`));
  }
  if (refs.configuration !== undefined) {
    const problem = patchPodMetadataProblem(ss, refs.configuration, refs.patchPodMetadataAllowedByDefault);
    if (problem) errs.push(required('spec.patchPodMetadata', problem));
  }
  return errs;
}

/** ValidateSidecarSetPatchMetadataWhitelist: why the patchPodMetadata keys are not allowed, if they are not. */
function patchPodMetadataProblem(
  ss: SidecarSet,
  configuration: Record<string, string> | null,
  allowedByDefault = false,
): string | undefined {
  const patches = ss.spec?.patchPodMetadata ?? [];
  if (patches.length === 0) return undefined;
  const where = `ConfigMap ${CONFIGURATION_CONFIGMAP}, key ${PATCH_POD_METADATA_WHITELIST_KEY}`;
  const raw = configuration?.[PATCH_POD_METADATA_WHITELIST_KEY];
  if (raw === undefined) {
    return allowedByDefault ? undefined : `SidecarSet patch metadata whitelist not found (${where})`;
  }
  let whitelist: PatchPodMetadataWhitelist;
  const patterns: RegExp[] = [];
  try {
    whitelist = JSON.parse(raw) as PatchPodMetadataWhitelist;
    for (const rule of whitelist.rules ?? []) {
      if (rule.selector && !selectorMatches(rule.selector, ss.metadata?.labels)) continue;
      for (const expr of rule.allowedAnnotationKeyExprs ?? []) patterns.push(new RegExp(expr));
    }
  } catch (err) {
    return `the whitelist in ${where} is invalid: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (patterns.length === 0) {
    return allowedByDefault ? undefined : `sidecarSet patch metadata annotation is not allowed (${where})`;
  }
  for (const patch of patches) {
    for (const key of Object.keys(patch.annotations ?? {})) {
      if (!patterns.some((p) => p.test(key)))
        return `sidecarSet patch metadata annotation(${key}) is not allowed (${where})`;
    }
  }
  return undefined;
}
