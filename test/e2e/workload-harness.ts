// What the workload e2e files share: pods as the tests read them, a controller Manager running in the
// test process, and the pod facts the checks use.
import { ControllerRevisionHashLabel, LifecycleStateLabel } from '../../apis';
import { setupCloneSetController } from '../../controllers/cloneset';
import type { Manager } from '../../runtime/manager';
import { type KubeObject, Pods } from '../../runtime/meta';
import { e2eClient, type RunningController, startControllers } from '../cluster/e2e';

interface ContainerResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface PodObject extends KubeObject {
  spec?: {
    nodeName?: string;
    containers: { name: string; image: string; env?: unknown[]; resources?: ContainerResources }[];
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: {
      name: string;
      image: string;
      restartCount: number;
      resources?: ContainerResources;
    }[];
  };
}

export const pods = () => e2eClient().resource<PodObject>(Pods);

export const isActive = (pod: PodObject) =>
  !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Failed';
export const isReady = (pod: PodObject) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
export const revisionOf = (pod: PodObject) => pod.metadata?.labels?.[ControllerRevisionHashLabel];
export const lifecycleOf = (pod: PodObject) => pod.metadata?.labels?.[LifecycleStateLabel];

export type { RunningController } from '../cluster/e2e';

/** Starts the controller `setup` wires (default: CloneSet's) on one namespace, in this process. */
export function startController(
  namespace: string,
  setup: (mgr: Manager, options: { namespace: string; workers: number }) => void = setupCloneSetController,
): Promise<RunningController> {
  return startControllers((mgr) => setup(mgr, { namespace, workers: 2 }));
}
