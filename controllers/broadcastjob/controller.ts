// The BroadcastJob controller: the workload kit's wiring (watches, expectations, stale-cache checks, the
// executor) around BroadcastJob's pure plan, plus a Node watch so jobs follow nodes that join, change or
// leave (a taint removed later gets its pod: OpenKruise #1199).
import { applyDefaults, type BroadcastJob } from '../../apis';
import type { Predicate } from '../../runtime/builder';
import { deepEqual } from '../../runtime/json';
import type { Manager } from '../../runtime/manager';
import { type KubeObject, Nodes, objectKey } from '../../runtime/meta';
import { setupWorkloadController } from '../workload';
import { BroadcastJobKind } from './kind';
import { finishedCondition, plan } from './plan';

export const BroadcastJobControllerName = 'broadcastjob';

export interface BroadcastJobControllerOptions {
  workers?: number;
  /** Watch one namespace only (tests); default all namespaces. Nodes and node fit are cluster-wide. */
  namespace?: string;
}

type NodeObject = KubeObject & {
  spec?: { taints?: unknown; unschedulable?: boolean };
  status?: { allocatable?: unknown };
};

/** What node fit reads of a node; heartbeats and condition updates change none of it. */
const fitInputs = (node: NodeObject) => [
  node.metadata?.labels,
  node.spec?.taints,
  node.spec?.unschedulable,
  node.status?.allocatable,
];

export const nodeFitChanged: Predicate = ({ type, obj, old }) =>
  type !== 'update' || !old || !deepEqual(fitInputs(old as NodeObject), fitInputs(obj as NodeObject));

export function setupBroadcastJobController(mgr: Manager, options: BroadcastJobControllerOptions = {}): void {
  const scope = options.namespace ? { namespace: options.namespace } : {};
  const jobs = mgr.lister<BroadcastJob & KubeObject>(BroadcastJobKind.resource, scope);
  // A node event concerns every job still running; a finished one only waits for its TTL.
  const runningJobs = () =>
    jobs
      .list()
      .filter((job) => !finishedCondition(job.status))
      .map(objectKey);
  setupWorkloadController<BroadcastJob & KubeObject>(mgr, {
    name: BroadcastJobControllerName,
    kind: BroadcastJobKind,
    namespace: options.namespace,
    workers: options.workers,
    clusterPods: true,
    watches: [{ type: Nodes, map: runningJobs, predicates: [nodeFitChanged] }],
    plan: ({ owner, pods, now, cluster }) =>
      plan({
        job: applyDefaults('BroadcastJob', structuredClone(owner)) as BroadcastJob,
        pods,
        nodes: cluster.nodes(),
        podsOnNode: cluster.podsOnNode,
        now,
      }),
  });
}
