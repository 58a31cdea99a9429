// One registry entry per kind: API coordinates, zod schema, and the CRD presentation OpenKruise uses.
import type { z } from 'zod';
import { BroadcastJob } from './broadcastjob';
import { CloneSet } from './cloneset';
import { SidecarSet } from './sidecarset';
import { StatefulSet } from './statefulset';
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

export interface KindInfo {
  kind: KindName;
  group: string;
  version: 'v1alpha1' | 'v1beta1';
  apiVersion: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  schema: z.ZodType;
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

function info(
  kind: KindName,
  version: KindInfo['version'],
  rest: Omit<KindInfo, 'kind' | 'group' | 'version' | 'apiVersion' | 'singular'>,
): KindInfo {
  return {
    kind,
    group: GROUP,
    version,
    apiVersion: `${GROUP}/${version}`,
    singular: kind.toLowerCase(),
    ...rest,
  };
}

export const KINDS: Record<KindName, KindInfo> = {
  CloneSet: info('CloneSet', 'v1alpha1', {
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
  }),
  StatefulSet: info('StatefulSet', 'v1beta1', {
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
  }),
  BroadcastJob: info('BroadcastJob', 'v1alpha1', {
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
  }),
  SidecarSet: info('SidecarSet', 'v1alpha1', {
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
  }),
};

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && (KIND_NAMES as readonly string[]).includes(kind);
}
