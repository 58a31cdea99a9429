// Plain JSON shapes of Kubernetes objects as they come off the wire (timestamps are strings, not Dates).

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

/** Where a resource lives in the API; enough for the generic client, informers and owner matching. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ObjectRef {
  namespace?: string;
  name: string;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubeObject | ObjectRef): string {
  const ref = 'metadata' in obj ? (obj.metadata ?? {}) : (obj as ObjectRef);
  return ref.namespace ? `${ref.namespace}/${ref.name}` : `${ref.name ?? ''}`;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The ownerReference with controller=true, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** The group of an apiVersion string ("apps/v1" → "apps", "v1" → ""). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

const builtin = (group: string, version: string, plural: string, kind: string, namespaced = true) =>
  ({ group, version, plural, kind, namespaced }) satisfies ResourceType;

/** Built-in resources the controllers and the runtime use. CRDs are described in apis/. */
export const Pods = builtin('', 'v1', 'pods', 'Pod');
export const Nodes = builtin('', 'v1', 'nodes', 'Node', false);
export const Namespaces = builtin('', 'v1', 'namespaces', 'Namespace', false);
export const Events = builtin('', 'v1', 'events', 'Event');
export const ConfigMaps = builtin('', 'v1', 'configmaps', 'ConfigMap');
export const Secrets = builtin('', 'v1', 'secrets', 'Secret');
export const Services = builtin('', 'v1', 'services', 'Service');
export const PersistentVolumeClaims = builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim');
export const ControllerRevisions = builtin('apps', 'v1', 'controllerrevisions', 'ControllerRevision');
export const Deployments = builtin('apps', 'v1', 'deployments', 'Deployment');
export const ReplicaSets = builtin('apps', 'v1', 'replicasets', 'ReplicaSet');
export const Leases = builtin('coordination.k8s.io', 'v1', 'leases', 'Lease');
const admission = (plural: string, kind: string) =>
  builtin('admissionregistration.k8s.io', 'v1', plural, kind, false);
export const MutatingWebhookConfigurations = admission(
  'mutatingwebhookconfigurations',
  'MutatingWebhookConfiguration',
);
export const ValidatingWebhookConfigurations = admission(
  'validatingwebhookconfigurations',
  'ValidatingWebhookConfiguration',
);
export const ValidatingAdmissionPolicies = admission(
  'validatingadmissionpolicies',
  'ValidatingAdmissionPolicy',
);
export const ValidatingAdmissionPolicyBindings = admission(
  'validatingadmissionpolicybindings',
  'ValidatingAdmissionPolicyBinding',
);
