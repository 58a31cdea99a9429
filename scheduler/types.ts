// The slice of the Kubernetes Pod and Node JSON the extender reads. Everything is optional because the
// input comes from the network and is validated field by field.

export type ResourceList = Record<string, unknown>;

export interface Container {
  name?: string;
  /** `Always` on an init container makes it a native sidecar that runs for the pod's lifetime. */
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

export interface NodeSelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

export interface Pod {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: {
    nodeName?: string;
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
    /** Pod-level requests and limits (PodLevelResources). */
    resources?: { requests?: ResourceList; limits?: ResourceList };
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[] }[];
        };
      };
    };
  };
  status?: { phase?: string };
}

export interface Node {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: { allocatable?: ResourceList };
}
