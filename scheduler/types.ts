// The slice of the Kubernetes Pod and Node JSON the extender reads. Everything is optional because the
// input comes from the network and is validated field by field.

export type ResourceList = Record<string, unknown>;

export interface Container {
  name?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

export interface Pod {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: {
    nodeName?: string;
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
  };
  status?: { phase?: string };
}

export interface Node {
  metadata?: { name?: string };
  status?: { allocatable?: ResourceList };
}
