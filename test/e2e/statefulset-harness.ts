// Shared by the Advanced StatefulSet e2e files: set templates for kwok, waits on the status, and a pod
// watcher that checks the rollout invariants at every pod event: never more than maxUnavailable of the
// set's ordinals without a ready pod, never two pods with one ordinal, updates and OrderedReady scaling
// in ordinal order.
import { PodIndexLabel, type StatefulSet } from '../../apis';
import { resourceOf } from '../../apis/install';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { ordinalOf } from '../../controllers/workload';
import type { KubeObject } from '../../runtime/meta';
import { e2eClient } from '../cluster/e2e';
import { type PodEvent, PodWatcher, watchWhile } from './pod-watcher';
import { isActive, isReady, type PodObject, pods, revisionOf } from './workload-harness';

export { expectInvariantsHeld } from './pod-watcher';

export type StatefulSetObject = StatefulSet & KubeObject;
export type StatefulSetSpec = NonNullable<StatefulSet['spec']>;

export const statefulSets = () => e2eClient().resource<StatefulSetObject>(resourceOf('StatefulSet'));

/** An Advanced StatefulSet of `replicas` pods schedulable on kwok nodes, deleted quickly (grace 1 s). */
export function statefulSetOf(
  name: string,
  namespace: string,
  spec: Partial<StatefulSetSpec> = {},
): StatefulSetObject {
  const labels = { app: name, ...spec.template?.metadata?.labels };
  return {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      ...spec,
      template: {
        metadata: { ...spec.template?.metadata, labels },
        spec: {
          containers: [{ name: 'app', image: 'example.com/app:v1' }],
          tolerations: [KWOK_TOLERATION],
          terminationGracePeriodSeconds: 1,
          ...spec.template?.spec,
        },
      },
    },
  } as StatefulSetObject;
}

export const image = (version: string) => ({
  containers: [{ name: 'app', image: `example.com/app:${version}` }],
});

export async function getStatefulSet(namespace: string, name: string): Promise<StatefulSetObject> {
  return statefulSets().get({ namespace, name });
}

export async function patchSpec(namespace: string, name: string, spec: Record<string, unknown>) {
  return statefulSets().patch({ namespace, name }, { spec }, { type: 'merge' });
}

export async function podsOf(namespace: string, name: string): Promise<PodObject[]> {
  return (await pods().list({ namespace, labelSelector: `app=${name}` })).items;
}

export const ordinalOfPod = (pod: PodObject, set: string) => ordinalOf(pod.metadata?.name, set) ?? -1;
export const namesOf = (list: PodObject[]) => list.map((p) => p.metadata?.name ?? '').sort();

/**
 * Waits until the set runs exactly `ordinals` (default 0 … replicas−1), each pod active, ready and at
 * the update revision, and the status says so (the update revision current).
 */
export async function waitRolledOut(
  namespace: string,
  name: string,
  options: { ordinals?: number[]; timeoutMs?: number } = {},
): Promise<PodObject[]> {
  return waitFor(
    `StatefulSet ${name} to roll out`,
    async () => {
      const sts = await getStatefulSet(namespace, name);
      const all = await podsOf(namespace, name);
      const replicas = sts.spec?.replicas ?? 0;
      const ordinals = options.ordinals ?? Array.from({ length: replicas }, (_, i) => i);
      const s = sts.status;
      const done =
        s?.observedGeneration === sts.metadata?.generation &&
        namesOf(all).join() ===
          ordinals
            .map((o) => `${name}-${o}`)
            .sort()
            .join() &&
        all.every((p) => isActive(p) && isReady(p) && revisionOf(p) === s?.updateRevision) &&
        s?.currentRevision === s?.updateRevision &&
        s?.readyReplicas === replicas &&
        s?.updatedReadyReplicas === replicas;
      return done ? all.sort((a, b) => ordinalOfPod(a, name) - ordinalOfPod(b, name)) : undefined;
    },
    options.timeoutMs ?? 120_000,
  );
}

export interface StatefulSetLimits {
  maxUnavailable: number;
  /** The ordinals the set runs during the check (default 0 … replicas−1). */
  ordinals: number[];
}

/**
 * Watches the pods of one StatefulSet and checks the invariants at every event. Every pod ever seen is
 * kept, so a test can also tell which pods went away.
 */
export class StatefulSetWatcher extends PodWatcher<PodObject> {
  /** `<name>@<revision>` of each pod deleted, in order. */
  readonly deletedPods: string[] = [];
  /** Most of the set's ordinals without a ready pod at any one event. */
  peakUnavailable = 0;
  private oldRevision?: string;
  private orderedScaling = false;
  private readonly observers: ((unavailable: number) => void)[] = [];

  constructor(
    namespace: string,
    private readonly name: string,
    private readonly limits: StatefulSetLimits,
  ) {
    super(namespace, `app=${name}`);
  }

  /** Pods move off `oldRevision` highest ordinal first: none is ready at a newer one above an old one. */
  expectUpdateOrder(oldRevision: string): this {
    this.oldRevision = oldRevision;
    return this;
  }

  /** Also calls `observe` with the number of unavailable ordinals after every event. */
  observe(observe: (unavailable: number) => void): this {
    this.observers.push(observe);
    return this;
  }

  /**
   * OrderedReady scaling (not rolling updates): a pod is created only when all below it are ready, and
   * deleted only when none above it exists.
   */
  expectOrderedScaling(): this {
    this.orderedScaling = true;
    return this;
  }

  protected check(changed: PodObject, event: PodEvent): void {
    if (event === 'delete') this.deletedPods.push(`${changed.metadata?.name}@${revisionOf(changed)}`);
    const at = `${this.name} at event ${this.checked} (${event} ${changed.metadata?.name})`;
    const all = this.pods();
    const ordinal = (p: PodObject) => ordinalOfPod(p, this.name);
    const byOrdinal = new Map<number, PodObject[]>();
    for (const p of all) {
      const index = p.metadata?.labels?.[PodIndexLabel];
      if (index !== undefined && Number(index) !== ordinal(p)) {
        this.violations.push(`${at}: ${p.metadata?.name} has pod-index ${index}`);
      }
      byOrdinal.set(ordinal(p), [...(byOrdinal.get(ordinal(p)) ?? []), p]);
    }
    for (const [o, list] of byOrdinal) {
      if (list.length > 1) this.violations.push(`${at}: ${list.length} pods with ordinal ${o}`);
    }
    const readyAt = (o: number) => (byOrdinal.get(o) ?? []).some((p) => isActive(p) && isReady(p));
    const unavailable = this.limits.ordinals.filter((o) => !readyAt(o)).length;
    this.peakUnavailable = Math.max(this.peakUnavailable, unavailable);
    if (unavailable > this.limits.maxUnavailable) {
      this.violations.push(
        `${at}: ${unavailable} unavailable > maxUnavailable ${this.limits.maxUnavailable}`,
      );
    }
    for (const observe of this.observers) observe(unavailable);
    if (this.oldRevision) this.checkUpdateOrder(at, all);
    if (this.orderedScaling) this.checkOrderedScaling(at, changed, event, all);
  }

  private checkUpdateOrder(at: string, all: PodObject[]): void {
    const ordinal = (p: PodObject) => ordinalOfPod(p, this.name);
    const isOld = (p: PodObject) => revisionOf(p) === this.oldRevision;
    const updatedReady = all.filter((p) => !isOld(p) && isActive(p) && isReady(p)).map(ordinal);
    const oldReady = all.filter((p) => isOld(p) && isActive(p) && isReady(p)).map(ordinal);
    const lowestUpdated = Math.min(...updatedReady);
    const above = oldReady.filter((o) => o > lowestUpdated);
    if (above.length > 0) {
      this.violations.push(`${at}: ordinal ${lowestUpdated} updated while ${above.join(', ')} still old`);
    }
  }

  private checkOrderedScaling(at: string, pod: PodObject, event: string, all: PodObject[]): void {
    const ordinal = ordinalOfPod(pod, this.name);
    if (event === 'add') {
      const notReady = all.filter(
        (p) => ordinalOfPod(p, this.name) < ordinal && !(isActive(p) && isReady(p)),
      );
      if (notReady.length > 0) {
        this.violations.push(`${at}: created while ${namesOf(notReady).join(', ')} not ready`);
      }
    }
    if (pod.metadata?.deletionTimestamp) {
      const above = all.filter((p) => ordinalOfPod(p, this.name) > ordinal);
      if (above.length > 0) this.violations.push(`${at}: deleted while ${namesOf(above).join(', ')} exist`);
    }
  }
}

/** Starts a watcher, runs `rollout`, and returns the watcher once the rollout is done. */
export function watchRollout(
  namespace: string,
  name: string,
  limits: StatefulSetLimits,
  rollout: (watcher: StatefulSetWatcher) => Promise<void>,
  configure: (watcher: StatefulSetWatcher) => void = () => undefined,
): Promise<StatefulSetWatcher> {
  const watcher = new StatefulSetWatcher(namespace, name, limits);
  configure(watcher);
  return watchWhile(watcher, rollout);
}

/** 0 … n−1 */
export const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
