// Plain JSON shapes of the core objects the in-place engine and the workload plans read. Only the fields
// we use are typed; everything else passes through untouched.
import type { Container, PodSpec, PodTemplateSpec } from '../../apis';
import type { KubeObject, ObjectMeta } from '../../runtime/meta';

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
  qosClass?: string;
}

export interface Pod extends KubeObject {
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

/** apps/v1 ControllerRevision; `data` holds `{"spec":{"template":{...,"$patch":"replace"}}}` for CloneSet. */
export interface ControllerRevision extends KubeObject {
  metadata: ObjectMeta;
  data: { spec?: { template?: PodTemplateSpec } } & Record<string, unknown>;
  revision: number;
}

export type { Container, PodTemplateSpec };

/** The pod template a workload revision stores (CloneSet and ASTS both keep it at data.spec.template). */
export function templateOfRevision(revision: ControllerRevision): PodTemplateSpec | undefined {
  const template = revision.data?.spec?.template;
  if (!template) return undefined;
  const { $patch: _ignored, ...rest } = template as PodTemplateSpec & { $patch?: string };
  return rest as PodTemplateSpec;
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}
