// Shared by the CloneSet e2e files: CloneSet templates for kwok, and a pod watcher that checks the
// rollout invariants at every pod event (the controller and pod helpers are in workload-harness).
import { type CloneSet, CloneSetInstanceIdLabel } from '../../apis';
import { resourceOf } from '../../apis/install';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { createClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Pods } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';
import { isActive, isReady, type PodObject, pods, revisionOf } from './workload-harness';

export {
  isActive,
  isReady,
  lifecycleOf,
  type PodObject,
  pods,
  type RunningController,
  revisionOf,
  startController,
} from './workload-harness';

export type CloneSetObject = CloneSet & KubeObject;

export const cloneSets = () => e2eClient().resource<CloneSetObject>(resourceOf('CloneSet'));

/** A CloneSet of `replicas` pods schedulable on kwok nodes, deleted quickly (grace period 1 s). */
export function cloneSetOf(
  name: string,
  namespace: string,
  spec: Partial<CloneSet['spec']> = {},
): CloneSetObject {
  const labels = { app: name, ...spec?.template?.metadata?.labels };
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: name } },
      ...spec,
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'app', image: 'example.com/app:v1' }],
          tolerations: [KWOK_TOLERATION],
          terminationGracePeriodSeconds: 1,
          ...spec?.template?.spec,
        },
      },
    },
  } as CloneSetObject;
}

export async function podsOf(namespace: string, name: string): Promise<PodObject[]> {
  return (await pods().list({ namespace, labelSelector: `app=${name}` })).items;
}

export async function getCloneSet(namespace: string, name: string): Promise<CloneSetObject> {
  return cloneSets().get({ namespace, name });
}

/** Merge-patches the CloneSet spec. */
export async function patchSpec(namespace: string, name: string, spec: Record<string, unknown>) {
  return cloneSets().patch({ namespace, name }, { spec }, { type: 'merge' });
}

/** Waits until every pod of the CloneSet is at its updateRevision, ready, and the status says so. */
export async function waitRolledOut(
  namespace: string,
  name: string,
  timeoutMs = 90_000,
): Promise<PodObject[]> {
  return waitFor(
    `CloneSet ${name} to roll out`,
    async () => {
      const cs = await getCloneSet(namespace, name);
      const all = await podsOf(namespace, name);
      const replicas = cs.spec?.replicas ?? 0;
      const s = cs.status;
      const done =
        s?.observedGeneration === cs.metadata?.generation &&
        all.length === replicas &&
        all.every((p) => isActive(p) && isReady(p) && revisionOf(p) === s?.updateRevision) &&
        s?.updatedReadyReplicas === replicas &&
        s?.readyReplicas === replicas;
      return done ? all : undefined;
    },
    timeoutMs,
  );
}

export interface Limits {
  replicas: number;
  maxUnavailable: number;
  maxSurge: number;
}

/**
 * Watches the namespace's pods of one CloneSet and checks, at every event: at most replicas+maxSurge
 * active pods, at most maxUnavailable of the desired replicas unavailable, no duplicate instance ids.
 * Every pod ever seen is kept, so a test can also tell which pods went away.
 */
export class InvariantWatcher {
  readonly violations: string[] = [];
  readonly deletedUids = new Set<string>();
  /** Pod events checked; a watcher that saw nothing proves nothing. */
  checked = 0;
  private readonly informer: Informer<PodObject>;
  private readonly observers: ((pod: PodObject) => void)[] = [];
  private readonly stop = new AbortController();
  private readonly client = createClient(e2eKubeconfigPath());

  constructor(
    namespace: string,
    private readonly name: string,
    private readonly limits: Limits,
  ) {
    this.informer = new Informer<PodObject>(this.client.resource<PodObject>(Pods), {
      namespace,
      labelSelector: `app=${name}`,
      logger: silentLogger(),
    });
    const check = (pod: PodObject) => {
      for (const observe of this.observers) observe(pod);
      this.check();
    };
    this.informer.addEventHandler({
      onAdd: check,
      onUpdate: (_old, pod) => check(pod),
      onDelete: (pod) => {
        if (pod.metadata?.uid) this.deletedUids.add(pod.metadata.uid);
        check(pod);
      },
    });
  }

  /** Also calls `observe` with the pod of every event, before the invariants are checked. */
  observe(observe: (pod: PodObject) => void): this {
    this.observers.push(observe);
    return this;
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await waitFor('the invariant watcher to sync', () => this.informer.hasSynced());
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.client.close();
  }

  private check(): void {
    this.checked++;
    const active = this.informer.lister.list().filter(isActive);
    const { replicas, maxSurge, maxUnavailable } = this.limits;
    const at = `${this.name} at event ${this.checked}`;
    if (active.length > replicas + maxSurge) {
      this.violations.push(
        `${at}: ${active.length} active pods > replicas ${replicas} + maxSurge ${maxSurge}`,
      );
    }
    const unavailable = replicas - active.filter(isReady).length;
    if (unavailable > maxUnavailable) {
      this.violations.push(`${at}: ${unavailable} unavailable > maxUnavailable ${maxUnavailable}`);
    }
    const ids = active.map((p) => p.metadata?.labels?.[CloneSetInstanceIdLabel] ?? '');
    if (new Set(ids).size !== ids.length) this.violations.push(`${at}: duplicate instance ids ${ids.sort()}`);
  }
}

/** The rollout kept every invariant, and the watcher did see it. */
export function expectInvariantsHeld(watcher: InvariantWatcher): void {
  expect(watcher.violations).toEqual([]);
  expect(watcher.checked).toBeGreaterThan(0);
}

/** Starts a watcher with these limits, runs `rollout`, and returns the watcher once the rollout is done. */
export async function watchRollout(
  namespace: string,
  name: string,
  limits: Limits,
  rollout: () => Promise<void>,
  observe?: (pod: PodObject) => void,
): Promise<InvariantWatcher> {
  const watcher = new InvariantWatcher(namespace, name, limits);
  if (observe) watcher.observe(observe);
  await watcher.start();
  try {
    await rollout();
  } finally {
    await watcher.close();
  }
  return watcher;
}
