// CloneSet, apps.kruise.io/v1beta1 (OpenKruise master apis/apps/v1beta1/cloneset_types.go), and the
// conversion pair to and from v1alpha1, the version our controllers and etcd use.
//
// | v1alpha1                                          | v1beta1                                              |
// |---------------------------------------------------|------------------------------------------------------|
// | updateStrategy.type OnDelete                      | updateStrategy.type OnDelete                         |
// | updateStrategy.type ReCreate / InPlace*           | type RollingUpdate + rollingUpdate.podUpdatePolicy   |
// | updateStrategy.{partition, maxSurge, ...}         | updateStrategy.rollingUpdate.{partition, ...}        |
// | scaleStrategy.disablePVCReuse (unset = reuse)     | scaleStrategy.enablePVCReuse (unset = no reuse)      |
//   (v1alpha1's default spelling, no disablePVCReuse, maps to an explicit enablePVCReuse: true)
// | label apps.kruise.io/cloneset-scaling-exclude-... | scaleStrategy.excludePreparingDelete                 |
import { z } from 'zod';
import type { CloneSet } from './cloneset';
import { CloneSetSpec, CloneSetStatus } from './cloneset';
import { type Json, moveFieldToLabel, moveLabelToField, splitKeys } from './convert-util';
import {
  InPlaceUpdateStrategy,
  PodUpdatePolicies,
  UpdatePriorityStrategy,
  UpdateScatterStrategy,
} from './pub';
import { CloneSetScalingExcludePreparingDeleteLabel } from './well-known';
import { intOrString, kubeObject } from './zod-k8s';

export const CloneSetV1beta1UpdateStrategyTypes = ['RollingUpdate', 'OnDelete'] as const;

export const RollingUpdateCloneSetStrategy = z.object({
  partition: intOrString().optional(),
  maxUnavailable: intOrString().optional(),
  maxSurge: intOrString().optional(),
  podUpdatePolicy: z.enum(PodUpdatePolicies).optional(),
  paused: z.boolean().optional(),
  priorityStrategy: UpdatePriorityStrategy.optional(),
  scatterStrategy: UpdateScatterStrategy.optional(),
  inPlaceUpdateStrategy: InPlaceUpdateStrategy.optional(),
});

export const CloneSetV1beta1Spec = CloneSetSpec.extend({
  scaleStrategy: z
    .object({
      podsToDelete: z.array(z.string()).optional(),
      maxUnavailable: intOrString().optional(),
      enablePVCReuse: z.boolean().default(false),
      excludePreparingDelete: z.boolean().optional(),
    })
    .optional()
    .describe('How pods are scaled in and out.'),
  updateStrategy: z
    .object({
      type: z.enum(CloneSetV1beta1UpdateStrategyTypes).optional(),
      rollingUpdate: RollingUpdateCloneSetStrategy.optional(),
    })
    .optional()
    .describe('How pods are updated to a new revision: RollingUpdate (default) or OnDelete.'),
});

export const CloneSetV1beta1 = kubeObject(CloneSetV1beta1Spec, CloneSetStatus);
export type CloneSetV1beta1 = z.input<typeof CloneSetV1beta1>;

/** The v1alpha1 updateStrategy fields that live under v1beta1 updateStrategy.rollingUpdate. */
const ROLLING_FIELDS = [
  'partition',
  'maxUnavailable',
  'maxSurge',
  'paused',
  'priorityStrategy',
  'scatterStrategy',
  'inPlaceUpdateStrategy',
] as const;

export function cloneSetToV1beta1(cs: z.input<typeof CloneSet>): CloneSetV1beta1 {
  const { spec, ...rest } = cs as Json;
  const out: Json = { ...rest };
  const excluded = moveLabelToField(out, CloneSetScalingExcludePreparingDeleteLabel);
  if (spec === undefined) return out;
  const { scaleStrategy, updateStrategy, ...specRest } = spec as Json;
  const outSpec: Json = { ...specRest };
  // v1alpha1 reuses PVCs unless told not to; v1beta1 only when told to, so the v1beta1 form is explicit.
  const { disablePVCReuse, ...scale } = (scaleStrategy ?? {}) as Json;
  outSpec.scaleStrategy = {
    ...scale,
    enablePVCReuse: disablePVCReuse !== true,
    ...(excluded !== undefined && { excludePreparingDelete: excluded }),
  };
  if (updateStrategy !== undefined) {
    const [rolling, { type, ...other }] = splitKeys(updateStrategy as Json, ROLLING_FIELDS);
    const strategy: Json = { ...other };
    if (type === 'OnDelete' || type === 'RollingUpdate') strategy.type = type;
    else if (type !== undefined) {
      strategy.type = 'RollingUpdate';
      rolling.podUpdatePolicy = type;
    }
    if (Object.keys(rolling).length > 0) strategy.rollingUpdate = rolling;
    outSpec.updateStrategy = strategy;
  }
  out.spec = outSpec;
  return out;
}

export function cloneSetFromV1beta1(cs: CloneSetV1beta1): z.input<typeof CloneSet> {
  const { spec, ...rest } = cs as Json;
  const out: Json = { ...rest };
  if (spec === undefined) return out;
  const { scaleStrategy, updateStrategy, ...specRest } = spec as Json;
  const outSpec: Json = { ...specRest };
  const { enablePVCReuse, excludePreparingDelete, ...scale } = (scaleStrategy ?? {}) as Json;
  moveFieldToLabel(out, CloneSetScalingExcludePreparingDeleteLabel, excludePreparingDelete);
  outSpec.scaleStrategy = enablePVCReuse === true ? scale : { ...scale, disablePVCReuse: true };
  if (updateStrategy !== undefined) {
    const { type, rollingUpdate, ...other } = updateStrategy as Json;
    const { podUpdatePolicy, ...rolling } = (rollingUpdate ?? {}) as Json;
    const strategy: Json = { ...other, ...rolling };
    if (type === 'OnDelete') strategy.type = 'OnDelete';
    else if (podUpdatePolicy !== undefined) strategy.type = podUpdatePolicy;
    else if (type !== undefined) strategy.type = type === 'RollingUpdate' ? 'ReCreate' : type;
    outSpec.updateStrategy = strategy;
  }
  out.spec = outSpec;
  return out;
}

/** A v1alpha1 field path as the v1beta1 object spells it (for admission errors). */
export function cloneSetV1beta1FieldPath(path: string): string {
  const rolling = new RegExp(`^spec\\.updateStrategy\\.(${ROLLING_FIELDS.join('|')})\\b`);
  return path
    .replace(rolling, 'spec.updateStrategy.rollingUpdate.$1')
    .replace(/^spec\.scaleStrategy\.disablePVCReuse\b/, 'spec.scaleStrategy.enablePVCReuse');
}
