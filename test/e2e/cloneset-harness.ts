// Shared by the CloneSet e2e files: CloneSet templates for kwok, and a pod watcher that checks the
// rollout invariants at every pod event (the controller and pod helpers are in workload-harness).
import { type CloneSet, CloneSetInstanceIdLabel } from '../../apis';
import { resourceOf } from '../../apis/install';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import type { KubeObject } from '../../runtime/meta';
import { e2eClient } from '../cluster/e2e';
import { PodWatcher, watchWhile } from './pod-watcher';
import { isActive, isReady, type PodObject, pods, revisionOf } from './workload-harness';

export { expectInvariantsHeld } from './pod-watcher';

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
export class InvariantWatcher extends PodWatcher<PodObject> {
  private readonly observers: ((pod: PodObject) => void)[] = [];

  constructor(
    namespace: string,
    private readonly name: string,
    private readonly limits: Limits,
  ) {
    super(namespace, `app=${name}`);
  }

  /** Also calls `observe` with the pod of every event, before the invariants are checked. */
  observe(observe: (pod: PodObject) => void): this {
    this.observers.push(observe);
    return this;
  }

  protected check(changed: PodObject): void {
    for (const observe of this.observers) observe(changed);
    const active = this.pods().filter(isActive);
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

/** Starts a watcher with these limits, runs `rollout`, and returns the watcher once the rollout is done. */
export function watchRollout(
  namespace: string,
  name: string,
  limits: Limits,
  rollout: () => Promise<void>,
  observe?: (pod: PodObject) => void,
): Promise<InvariantWatcher> {
  const watcher = new InvariantWatcher(namespace, name, limits);
  if (observe) watcher.observe(observe);
  return watchWhile(watcher, rollout);
}
