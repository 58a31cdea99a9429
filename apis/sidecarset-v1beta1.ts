// SidecarSet, apps.kruise.io/v1beta1 (OpenKruise v1.9 apis/apps/v1beta1/sidecarset_types.go), the
// storage version since v1.9, and the conversion pair to and from v1alpha1, the version our controllers use.
//
// | v1alpha1                                          | v1beta1                                              |
// |---------------------------------------------------|------------------------------------------------------|
// | spec.namespace: ns                                | spec.namespaceSelector {kubernetes.io/metadata.name} |
// | label apps.kruise.io/sidecarset-custom-version    | spec.customVersion                                   |
import { z } from 'zod';
import { type Json, moveFieldToLabel, takeLabel } from './convert-util';
import type { SidecarSet } from './sidecarset';
import { SidecarSetSpec, SidecarSetStatus } from './sidecarset';
import { SidecarSetCustomVersionLabel } from './well-known';
import { kubeObject } from './zod-k8s';

export const NamespaceNameLabel = 'kubernetes.io/metadata.name';

export const SidecarSetV1beta1Spec = SidecarSetSpec.omit({ namespace: true }).extend({
  customVersion: z
    .string()
    .optional()
    .describe('Version recorded on the ControllerRevisions of this spec, for injectionStrategy.revision.'),
});

export const SidecarSetV1beta1 = kubeObject(SidecarSetV1beta1Spec, SidecarSetStatus);
export type SidecarSetV1beta1 = z.input<typeof SidecarSetV1beta1>;

export function sidecarSetToV1beta1(ss: z.input<typeof SidecarSet>): SidecarSetV1beta1 {
  const { spec, ...rest } = ss as Json;
  const out: Json = { ...rest };
  const customVersion = takeLabel(out, SidecarSetCustomVersionLabel);
  if (spec === undefined && customVersion === undefined) return out;
  const { namespace, ...outSpec } = (spec ?? {}) as Json;
  // As OpenKruise: a namespace wins over a namespaceSelector (setting both is rejected at admission).
  if (typeof namespace === 'string' && namespace !== '') {
    outSpec.namespaceSelector = { matchLabels: { [NamespaceNameLabel]: namespace } };
  }
  if (customVersion !== undefined) outSpec.customVersion = customVersion;
  out.spec = outSpec;
  return out;
}

export function sidecarSetFromV1beta1(ss: SidecarSetV1beta1): z.input<typeof SidecarSet> {
  const { spec, ...rest } = ss as Json;
  const out: Json = { ...rest };
  if (spec === undefined) return out;
  const { customVersion, ...outSpec } = spec as Json;
  moveFieldToLabel(out, SidecarSetCustomVersionLabel, customVersion);
  out.spec = outSpec;
  return out;
}

/** A v1alpha1 field path as the v1beta1 object spells it (for admission errors). */
export function sidecarSetV1beta1FieldPath(path: string): string {
  return path.replace(/^spec\.namespace\b/, 'spec.namespaceSelector');
}
