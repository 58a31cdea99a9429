// Plain JSON shapes of the core objects the workload controllers read and write: Pods (with status),
// ControllerRevisions, PVCs and Nodes. Only the fields we use are typed; everything else passes through.
import type { KubeObject, ObjectMeta, OwnerReference } from '../runtime/meta';
import type { PersistentVolumeClaim, PodSpec, PodTemplateSpec } from './core-types';

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  ready?: boolean;
  restartCount?: number;
  containerID?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  qosClass?: string;
}

export interface Pod extends KubeObject {
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

/** apps/v1 ControllerRevision; workloads keep the pod template at `data.spec.template`. */
export interface ControllerRevision extends KubeObject {
  metadata: ObjectMeta;
  data: { spec?: { template?: PodTemplateSpec } } & Record<string, unknown>;
  revision: number;
}

/** A PVC to create: a volumeClaimTemplate stamped for one pod (instance id or ordinal). */
export interface PersistentVolumeClaimObject extends PersistentVolumeClaim {
  apiVersion: 'v1';
  kind: 'PersistentVolumeClaim';
  metadata: NonNullable<PersistentVolumeClaim['metadata']> & {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  timeAdded?: string;
}

/** The Node fields node fit reads (apis/node-fit). */
export interface Node extends KubeObject {
  metadata: ObjectMeta;
  spec?: { taints?: NodeTaint[]; unschedulable?: boolean };
  status?: { allocatable?: Record<string, string>; capacity?: Record<string, string> };
}

/** The pod template a workload revision stores; `$patch: replace` is a storage detail and is dropped. */
export function templateOfRevision(revision: ControllerRevision): PodTemplateSpec | undefined {
  const template = revision.data?.spec?.template;
  if (!template) return undefined;
  const { $patch: _ignored, ...rest } = template as PodTemplateSpec & { $patch?: string };
  return rest as PodTemplateSpec;
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}
