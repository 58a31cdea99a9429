// One registry entry per kind: API coordinates, the served versions (each a zod schema, with its
// conversion pair to the internal version), and the CRD presentation OpenKruise uses.
import type { z } from 'zod';
import { BroadcastJob } from './broadcastjob';
import { CloneSet } from './cloneset';
import {
  CloneSetV1beta1,
  cloneSetFromV1beta1,
  cloneSetToV1beta1,
  cloneSetV1beta1FieldPath,
} from './cloneset-v1beta1';
import type { Json } from './convert-util';
import { SidecarSet } from './sidecarset';
import {
  SidecarSetV1beta1,
  sidecarSetFromV1beta1,
  sidecarSetToV1beta1,
  sidecarSetV1beta1FieldPath,
} from './sidecarset-v1beta1';
import { StatefulSet } from './statefulset';
import {
  STATEFULSET_V1BETA1_ONLY,
  StatefulSetV1alpha1,
  statefulSetFromV1alpha1,
  statefulSetToV1alpha1,
} from './statefulset-v1alpha1';
import { GROUP } from './well-known';

export type KindName = 'CloneSet' | 'StatefulSet' | 'BroadcastJob' | 'SidecarSet';
export const KIND_NAMES: readonly KindName[] = ['CloneSet', 'StatefulSet', 'BroadcastJob', 'SidecarSet'];

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'string' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export type VersionName = 'v1alpha1' | 'v1beta1';

export interface ServedVersion {
  name: VersionName;
  apiVersion: string;
  schema: z.ZodType;
  /** The version etcd stores (OpenKruise v1.9.0's choice per kind). */
  storage: boolean;
  /** To and from the internal version; both absent for the internal version and for identical ones. */
  toInternal?: (obj: Json) => Json;
  fromInternal?: (obj: Json) => Json;
  /** Paths of the internal version this version cannot express; a conversion stash keeps their values. */
  inexpressible?: string[][];
  /** An internal-version field path ("spec.updateStrategy.partition") as this version spells it. */
  fieldPath?: (internalPath: string) => string;
}

export interface KindInfo {
  kind: KindName;
  group: string;
  /** The internal version: what controllers, informers and admission work on. */
  version: VersionName;
  apiVersion: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  /** The internal version's schema. */
  schema: z.ZodType;
  /** Every served version, oldest first; exactly one is the storage version. */
  versions: ServedVersion[];
  /** 'Webhook' when versions differ in shape (our /convert endpoint), 'None' when only apiVersion changes. */
  conversion: 'None' | 'Webhook';
  printerColumns: PrinterColumn[];
  scale: boolean;
}

const AGE: PrinterColumn = {
  name: 'AGE',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};
const wide = (name: string, field: 'name' | 'image', what: string): PrinterColumn => ({
  name,
  type: 'string',
  jsonPath: `.spec.template.spec.containers[*].${field}`,
  description: `The ${what} of the pod template.`,
  priority: 1,
});
const int = (name: string, jsonPath: string, description: string): PrinterColumn => ({
  name,
  type: 'integer',
  jsonPath,
  description,
});

type VersionSpec = Omit<ServedVersion, 'apiVersion' | 'storage'>;

/** A served version with its conversion pair (typed in the version's own module) and error-path mapping. */
function served(
  name: VersionName,
  schema: z.ZodType,
  pair: {
    toInternal(obj: never): unknown;
    fromInternal(obj: never): unknown;
    fieldPath?: (internalPath: string) => string;
  },
  inexpressible?: string[][],
): VersionSpec {
  return {
    name,
    schema,
    toInternal: pair.toInternal as (obj: Json) => Json,
    fromInternal: pair.fromInternal as (obj: Json) => Json,
    fieldPath: pair.fieldPath,
    inexpressible,
  };
}

function info(
  kind: KindName,
  version: VersionName,
  storage: VersionName,
  versions: VersionSpec[],
  rest: Omit<KindInfo, 'kind' | 'group' | 'version' | 'apiVersion' | 'singular' | 'versions' | 'conversion'>,
): KindInfo {
  return {
    kind,
    group: GROUP,
    version,
    apiVersion: `${GROUP}/${version}`,
    singular: kind.toLowerCase(),
    versions: versions.map((v) => ({ ...v, apiVersion: `${GROUP}/${v.name}`, storage: v.name === storage })),
    conversion: versions.some((v) => v.toInternal) ? 'Webhook' : 'None',
    ...rest,
  };
}

export const KINDS: Record<KindName, KindInfo> = {
  // OpenKruise v1.9.0 serves and stores v1alpha1 only; v1beta1 is master's (storage there).
  CloneSet: info(
    'CloneSet',
    'v1alpha1',
    'v1alpha1',
    [
      { name: 'v1alpha1', schema: CloneSet },
      served('v1beta1', CloneSetV1beta1, {
        toInternal: cloneSetFromV1beta1,
        fromInternal: cloneSetToV1beta1,
        fieldPath: cloneSetV1beta1FieldPath,
      }),
    ],
    {
      plural: 'clonesets',
      shortNames: ['clone'],
      scope: 'Namespaced',
      schema: CloneSet,
      scale: true,
      printerColumns: [
        int('DESIRED', '.spec.replicas', 'The desired number of pods.'),
        int('UPDATED', '.status.updatedReplicas', 'The number of pods updated.'),
        int('UPDATED_READY', '.status.updatedReadyReplicas', 'The number of pods updated and ready.'),
        int(
          'UPDATED_AVAILABLE',
          '.status.updatedAvailableReplicas',
          'The number of pods updated and available.',
        ),
        int('READY', '.status.readyReplicas', 'The number of pods ready.'),
        int('TOTAL', '.status.replicas', 'The number of currently all pods.'),
        AGE,
        wide('CONTAINERS', 'name', 'containers'),
        wide('IMAGES', 'image', 'images'),
        {
          name: 'SELECTOR',
          type: 'string',
          jsonPath: '.status.labelSelector',
          description: 'The selector of currently cloneset.',
          priority: 1,
        },
      ],
    },
  ),
  StatefulSet: info(
    'StatefulSet',
    'v1beta1',
    'v1beta1',
    [
      served(
        'v1alpha1',
        StatefulSetV1alpha1,
        { toInternal: statefulSetFromV1alpha1, fromInternal: statefulSetToV1alpha1 },
        STATEFULSET_V1BETA1_ONLY,
      ),
      { name: 'v1beta1', schema: StatefulSet },
    ],
    {
      plural: 'statefulsets',
      shortNames: ['sts', 'asts'],
      scope: 'Namespaced',
      schema: StatefulSet,
      scale: true,
      printerColumns: [
        int('DESIRED', '.spec.replicas', 'The desired number of pods.'),
        int('CURRENT', '.status.replicas', 'The number of currently all pods.'),
        int('UPDATED', '.status.updatedReplicas', 'The number of pods updated.'),
        int('READY', '.status.readyReplicas', 'The number of pods ready.'),
        AGE,
        wide('CONTAINERS', 'name', 'containers'),
        wide('IMAGES', 'image', 'images'),
      ],
    },
  ),
  // v1beta1 (the storage version since v1.9.0) has exactly the v1alpha1 schema.
  BroadcastJob: info(
    'BroadcastJob',
    'v1alpha1',
    'v1beta1',
    [
      { name: 'v1alpha1', schema: BroadcastJob },
      { name: 'v1beta1', schema: BroadcastJob },
    ],
    {
      plural: 'broadcastjobs',
      shortNames: ['bcj'],
      scope: 'Namespaced',
      schema: BroadcastJob,
      scale: false,
      printerColumns: [
        int(
          'Desired',
          '.status.desired',
          'The desired number of pods, typically the number of eligible nodes.',
        ),
        int('Active', '.status.active', 'The number of actively running pods.'),
        int('Succeeded', '.status.succeeded', 'The number of pods which reached phase Succeeded.'),
        int('Failed', '.status.failed', 'The number of pods which reached phase Failed.'),
        AGE,
      ],
    },
  ),
  SidecarSet: info(
    'SidecarSet',
    'v1alpha1',
    'v1beta1',
    [
      { name: 'v1alpha1', schema: SidecarSet },
      served('v1beta1', SidecarSetV1beta1, {
        toInternal: sidecarSetFromV1beta1,
        fromInternal: sidecarSetToV1beta1,
        fieldPath: sidecarSetV1beta1FieldPath,
      }),
    ],
    {
      plural: 'sidecarsets',
      shortNames: [],
      scope: 'Cluster',
      schema: SidecarSet,
      scale: false,
      printerColumns: [
        int('MATCHED', '.status.matchedPods', 'The number of pods matched.'),
        int('UPDATED', '.status.updatedPods', 'The number of pods matched and updated.'),
        int('READY', '.status.readyPods', 'The number of pods matched and ready.'),
        AGE,
      ],
    },
  ),
};

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && (KIND_NAMES as readonly string[]).includes(kind);
}
