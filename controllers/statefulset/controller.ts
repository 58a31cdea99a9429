// The Advanced StatefulSet controller: the workload kit's wiring (watches, expectations, stale-cache
// checks, the executor) around the StatefulSet's pure plan.
import { applyDefaults, type StatefulSet } from '../../apis';
import type { Manager } from '../../runtime/manager';
import type { KubeObject } from '../../runtime/meta';
import { setupWorkloadController } from '../workload';
import { StatefulSetKind } from './kind';
import { plan } from './plan';

export const StatefulSetControllerName = 'statefulset';

export interface StatefulSetControllerOptions {
  workers?: number;
  /** Watch one namespace only (tests); default all namespaces. */
  namespace?: string;
  /** Kruise's InPlaceUpdateEnvFromMetadata gate (default on); see the CloneSet controller's option. */
  envFromMetadata?: boolean;
}

export function setupStatefulSetController(mgr: Manager, options: StatefulSetControllerOptions = {}): void {
  setupWorkloadController<StatefulSet & KubeObject>(mgr, {
    name: StatefulSetControllerName,
    kind: StatefulSetKind,
    namespace: options.namespace,
    workers: options.workers,
    plan: ({ owner, pods, revisions, claim, now, cluster }) =>
      plan({
        statefulSet: applyDefaults('StatefulSet', structuredClone(owner)) as StatefulSet,
        pods,
        revisions,
        claim,
        now,
        resizeSupported: cluster.resizeSupported,
        envFromMetadata: options.envFromMetadata,
      }),
  });
}
