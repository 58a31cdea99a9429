// What the workload e2e files share: pods as the tests read them, a controller Manager running in the
// test process, and the pod facts the checks use.
import { ControllerRevisionHashLabel, LifecycleStateLabel } from '../../apis';
import { waitFor } from '../../cluster/wait';
import { setupCloneSetController } from '../../controllers/cloneset';
import { createClient } from '../../runtime/client';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { type KubeObject, Pods } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';

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

/** A running workload controller watching one namespace. */
export interface RunningController {
  /** Graceful stop: in-flight reconciles finish. */
  stop(): Promise<void>;
  /** Abrupt stop: the connections close under in-flight requests, as if the process died. */
  kill(): Promise<void>;
}

/** Starts the controller `setup` wires (default: CloneSet's) on one namespace, in this process. */
export async function startController(
  namespace: string,
  setup: (mgr: Manager, options: { namespace: string; workers: number }) => void = setupCloneSetController,
): Promise<RunningController> {
  const client = createClient(e2eKubeconfigPath());
  const mgr = new Manager({ client, leaderElection: false, healthAddress: false, logger: silentLogger() });
  setup(mgr, { namespace, workers: 2 });
  const stop = new AbortController();
  const running = mgr.start(stop.signal);
  await waitFor('the controller caches to sync', () => mgr.informers.hasSynced());
  return {
    stop: async () => {
      stop.abort();
      await running;
      client.close();
    },
    kill: async () => {
      client.close();
      stop.abort();
      await running.catch(() => undefined);
    },
  };
}
