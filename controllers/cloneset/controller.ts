// The CloneSet controller: the workload kit's wiring (watches, expectations, stale-cache checks, the
// executor) around CloneSet's pure plan.
import { applyDefaults, type CloneSet } from '../../apis';
import type { Manager } from '../../runtime/manager';
import type { KubeObject } from '../../runtime/meta';
import { setupWorkloadController } from '../workload';
import { CloneSetKind } from './kind';
import { plan } from './plan';

export const CloneSetControllerName = 'cloneset';

export interface CloneSetControllerOptions {
  workers?: number;
  /** Watch one namespace only (tests); default all namespaces. */
  namespace?: string;
  /**
   * Kruise's InPlaceUpdateEnvFromMetadata gate (default on): a label or annotation read by env through the
   * downward API changes in place and the node restarts the container (kruise-daemon, or the local
   * cluster's kwok). Turn it off where nothing on the nodes restarts containers: such pods are recreated.
   */
  envFromMetadata?: boolean;
}

export function setupCloneSetController(mgr: Manager, options: CloneSetControllerOptions = {}): void {
  setupWorkloadController<CloneSet & KubeObject>(mgr, {
    name: CloneSetControllerName,
    kind: CloneSetKind,
    namespace: options.namespace,
    workers: options.workers,
    plan: ({ owner, pods, revisions, pvcs, now, cluster }) =>
      plan({
        cloneSet: applyDefaults('CloneSet', structuredClone(owner)) as CloneSet,
        pods,
        revisions,
        pvcs,
        now,
        resizeSupported: cluster.resizeSupported,
        nodeLabels: cluster.nodeLabels,
        envFromMetadata: options.envFromMetadata,
      }),
  });
}
