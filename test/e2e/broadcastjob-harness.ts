// Shared by the BroadcastJob e2e files: an in-process controller, job templates for kwok pools, and a pod
// watcher that checks parallelism and one pod per node at every pod event.
import { type BroadcastJob, BroadcastJobNameLabel, type Pod } from '../../apis';
import { resourceOf } from '../../apis/install';
import { pinnedNode } from '../../apis/node-fit';
import { POD_COMPLETE_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { waitFor } from '../../cluster/wait';
import { setupBroadcastJobController } from '../../controllers/broadcastjob';
import { Events, type KubeObject, Pods } from '../../runtime/meta';
import { e2eClient, type RunningController, startControllers } from '../cluster/e2e';
import type { NodePool } from '../cluster/node-pools';
import { PodWatcher, watchWhile } from './pod-watcher';

export { expectInvariantsHeld } from './pod-watcher';

export type JobObject = BroadcastJob & KubeObject;
export type PodObject = Pod;
export type { RunningController } from '../cluster/e2e';

export const jobs = () => e2eClient().resource<JobObject>(resourceOf('BroadcastJob'));
export const pods = () => e2eClient().resource<PodObject>(Pods);

/** A BroadcastJob controller watching one namespace, in this process. */
export function startController(namespace: string): Promise<RunningController> {
  return startControllers((mgr) => setupBroadcastJobController(mgr, { namespace, workers: 2 }));
}

export interface JobOptions {
  /** Where the pods may go: a pool's placement, or none for every node. */
  placement?: Partial<NodePool['placement']>;
  /** Simulated run time of each pod (kwok), e.g. "1s". */
  runTime?: string;
  restartPolicy?: 'Never' | 'OnFailure';
  /** Extra pod annotations (kwok failure injection). */
  annotations?: Record<string, string>;
  spec?: Partial<BroadcastJob['spec']>;
}

export function jobOf(name: string, namespace: string, options: JobOptions = {}): JobObject {
  const annotations = {
    ...(options.runTime ? { [POD_COMPLETE_DELAY_ANNOTATION]: options.runTime } : {}),
    ...options.annotations,
  };
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'BroadcastJob',
    metadata: { name, namespace },
    spec: {
      ...options.spec,
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: {
          restartPolicy: options.restartPolicy ?? 'Never',
          containers: [{ name: 'task', image: 'example.com/node-task:v1' }],
          terminationGracePeriodSeconds: 1,
          ...options.placement,
        },
      },
    },
  } as JobObject;
}

export async function getJob(namespace: string, name: string): Promise<JobObject> {
  return jobs().get({ namespace, name });
}

export async function podsOfJob(namespace: string, name: string): Promise<PodObject[]> {
  return (await pods().list({ namespace, labelSelector: `${BroadcastJobNameLabel}=${name}` })).items;
}

export const conditionOf = (job: JobObject, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** Waits until the job's status passes `test`, and returns the job. */
export function waitForJob(
  namespace: string,
  name: string,
  what: string,
  test: (job: JobObject) => boolean,
  timeoutMs = 90_000,
): Promise<JobObject> {
  return waitFor(
    `BroadcastJob ${name} ${what}`,
    async () => {
      const job = await getJob(namespace, name);
      return test(job) ? job : undefined;
    },
    timeoutMs,
  );
}

export const isTerminal = (pod: PodObject) =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
/** What parallelism limits (Kruise's active pods): not ended, not being deleted. */
export const isActive = (pod: PodObject) => !isTerminal(pod) && !pod.metadata?.deletionTimestamp;

/** The reasons of the Events recorded for the job. */
export async function jobEventReasons(namespace: string, name: string): Promise<string[]> {
  const events = await e2eClient()
    .resource<KubeObject & { reason?: string; involvedObject?: { kind?: string; name?: string } }>(Events)
    .list({ namespace });
  return events.items
    .filter((e) => e.involvedObject?.kind === 'BroadcastJob' && e.involvedObject?.name === name)
    .map((e) => e.reason ?? '');
}

/**
 * Watches one job's pods and checks at every event: at most `parallelism` active pods, and never two
 * pods for one node that are not being deleted. Records every pod uid per node and the peak of active pods.
 */
export class JobWatcher extends PodWatcher<PodObject> {
  /** Every pod uid ever seen, by the node it is pinned to. */
  readonly uidsByNode = new Map<string, Set<string>>();
  peakActive = 0;
  private readonly observers: ((pod: PodObject) => void)[] = [];

  constructor(
    namespace: string,
    private readonly name: string,
    private readonly parallelism = Number.POSITIVE_INFINITY,
  ) {
    super(namespace, `${BroadcastJobNameLabel}=${name}`);
  }

  /** Also calls `observe` with the pod of every event. */
  observe(observe: (pod: PodObject) => void): this {
    this.observers.push(observe);
    return this;
  }

  /** Nodes that ever had more than one pod of the job. */
  nodesWithSeveralPods(): string[] {
    return [...this.uidsByNode].filter(([, uids]) => uids.size > 1).map(([node]) => node);
  }

  protected check(changed: PodObject): void {
    for (const observe of this.observers) observe(changed);
    const node = pinnedNode(changed);
    if (node && changed.metadata?.uid) {
      const uids = this.uidsByNode.get(node) ?? new Set<string>();
      uids.add(changed.metadata.uid);
      this.uidsByNode.set(node, uids);
    }
    const all = this.pods();
    const active = all.filter(isActive);
    this.peakActive = Math.max(this.peakActive, active.length);
    const at = `${this.name} at event ${this.checked}`;
    if (active.length > this.parallelism) {
      this.violations.push(`${at}: ${active.length} active pods > parallelism ${this.parallelism}`);
    }
    const nodes = all.filter((p) => !p.metadata?.deletionTimestamp).map((p) => pinnedNode(p) ?? '');
    const twice = nodes.filter((n, i) => nodes.indexOf(n) !== i);
    if (twice.length > 0) this.violations.push(`${at}: several pods for node(s) ${twice.join(', ')}`);
  }
}

/** Starts a watcher for the job (before it is created), runs `body`, and returns the watcher afterwards. */
export function watchJob(
  namespace: string,
  name: string,
  parallelism: number | undefined,
  body: () => Promise<void>,
  observe?: (pod: PodObject) => void,
): Promise<JobWatcher> {
  const watcher = new JobWatcher(namespace, name, parallelism);
  if (observe) watcher.observe(observe);
  return watchWhile(watcher, body);
}
