import type { Informer } from '../../runtime/informer';
import type { InformerFactory } from '../../runtime/informerfactory';
import { type KubeObject, Nodes, Pods } from '../../runtime/meta';
import type { Node, Pod } from '../types';
import type { ClusterState } from './state';

type NodeObject = KubeObject & Node;
type PodObject = KubeObject & Pod;

export interface ClusterInformers {
  nodes: Informer<NodeObject>;
  pods: Informer<PodObject>;
}

/**
 * The shared node and pod informers. Pods are watched unfiltered so the manager's other controllers share
 * the same watch; unbound and terminal pods are dropped by ClusterState.upsertPod.
 */
export function clusterInformers(factory: InformerFactory): ClusterInformers {
  return { nodes: factory.informerFor<NodeObject>(Nodes), pods: factory.informerFor<PodObject>(Pods) };
}

/** Keeps `state` in step with the informers' nodes and bound pods; returns a function that detaches it. */
export function feedClusterState(informers: ClusterInformers, state: ClusterState): () => void {
  const offNodes = informers.nodes.addEventHandler({
    onAdd: (node) => state.upsertNode(node),
    onUpdate: (_old, node) => state.upsertNode(node),
    onDelete: (node) => {
      if (node.metadata?.name) state.removeNode(node.metadata.name);
    },
  });
  // upsertPod replaces any assumed placement of the same pod, so an observed binding supersedes it.
  const offPods = informers.pods.addEventHandler({
    onAdd: (pod) => state.upsertPod(pod),
    onUpdate: (_old, pod) => state.upsertPod(pod),
    onDelete: (pod) => state.removePod(pod),
  });
  return () => {
    offNodes();
    offPods();
  };
}
