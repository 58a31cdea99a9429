// Zod building blocks for Kubernetes-shaped schemas. The `x-outrigger-crd` meta key is read by the
// CRD generator (crd-schema.ts) and never reaches the emitted YAML.
import { z } from 'zod';

/** CRD rendering hint: 'preserve' = opaque embedded object, 'omit' = typed in TS only, 'metadata' = ObjectMeta. */
export type CrdHint = 'preserve' | 'omit' | 'metadata';
export const CRD_HINT = 'x-outrigger-crd';

export const int32 = () => z.number().int().meta({ format: 'int32' });
export const int64 = () => z.number().int().meta({ format: 'int64' });
export const dateTime = () => z.string().meta({ format: 'date-time' });

/** intstr.IntOrString: an integer, or a string such as "20%". */
export const intOrString = () =>
  z.union([z.number().int(), z.string()]).meta({ 'x-kubernetes-int-or-string': true });
export type IntOrString = number | string;

/** A field typed for our controllers but left out of the CRD (the enclosing object preserves unknowns). */
export function coreOnly<T extends z.ZodType>(schema: T): T {
  return schema.meta({ [CRD_HINT]: 'omit' }) as T;
}

/** An embedded Kubernetes object: typed here, `x-kubernetes-preserve-unknown-fields` in the CRD. */
export function embedded<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.looseObject(shape).meta({ [CRD_HINT]: 'preserve' });
}

export const stringMap = () => z.record(z.string(), z.string());

export const LabelSelectorRequirement = z.object({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).meta({ 'x-kubernetes-list-type': 'atomic' }).optional(),
});

export const LabelSelector = z
  .object({
    matchLabels: stringMap().optional(),
    matchExpressions: z
      .array(LabelSelectorRequirement)
      .meta({ 'x-kubernetes-list-type': 'atomic' })
      .optional(),
  })
  .meta({ 'x-kubernetes-map-type': 'atomic' });
export type LabelSelector = z.infer<typeof LabelSelector>;

export const OwnerReference = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** metav1.ObjectMeta (the fields we read); the CRD only says `type: object` as controller-gen does. */
export const ObjectMeta = z
  .looseObject({
    name: z.string().optional(),
    generateName: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().int().optional(),
    creationTimestamp: z.string().nullable().optional(),
    deletionTimestamp: z.string().nullable().optional(),
    labels: stringMap().optional(),
    annotations: stringMap().optional(),
    finalizers: z.array(z.string()).optional(),
    ownerReferences: z.array(OwnerReference).optional(),
  })
  .meta({ [CRD_HINT]: 'metadata' });
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** A top-level object of ours: type meta, ObjectMeta, spec and status. */
export function kubeObject<Spec extends z.ZodType, Status extends z.ZodType>(spec: Spec, status: Status) {
  return z.object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: ObjectMeta.optional(),
    spec: spec.optional(),
    status: status.optional(),
  });
}
