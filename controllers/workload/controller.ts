// The wiring every pod-owning workload shares: watch the owner kind and the Pods, ControllerRevisions and
// PVCs it controls, settle expectations from the informers, refuse to plan from a cache behind our own
// writes, read the cluster facts a plan needs, plan (pure, the kind's) and execute (the kit's).
import type { ControllerRevision, Node, PersistentVolumeClaim, Pod } from '../../apis';
import { controller, type MapFunc, type Predicate } from '../../runtime/builder';
import { Discovery } from '../../runtime/discovery';
import { Expectations } from '../../runtime/expectations';
import type { InformerScope } from '../../runtime/informerfactory';
import type { Manager } from '../../runtime/manager';
import {
  ControllerRevisions,
  controllerOf,
  type KubeObject,
  Nodes,
  objectKey,
  PersistentVolumeClaims,
  Pods,
  type ResourceType,
} from '../../runtime/meta';
import type { ReconcileResult } from '../../runtime/reconcile';
import { ResourceVersionExpectations } from '../../runtime/resource-version';
import type { WorkloadPlan } from './actions';
import { CreateWindows, execute, type Owner, StatusPacer, type WorkloadKind } from './execute';
import { podUpdatesCounter, registerWorkloadStatus } from './metrics';
import { observing, ownedBy } from './ownership';

/** What the cluster offers that plans depend on, read by the wiring (never guessed by a plan). */
export interface ClusterFacts {
  /** The apiserver serves pods/resize (in-place resource changes, Kubernetes ≥ 1.33). */
  resizeSupported: boolean;
  /** A node's labels from the cache (topology spread), undefined when unknown. */
  nodeLabels(name: string): Record<string, string> | undefined;
  /** Every node in the cache (node fit). */
  nodes(): Node[];
  /**
   * The pods bound to a node, in every namespace, terminal ones included (node fit's free resources).
   * Only for kinds that set `clusterPods`; others get an empty list.
   */
  podsOnNode(name: string): Pod[];
}

/** One owner and everything it controls, as the caches hold them. */
export interface Observed<T> {
  owner: T;
  /** Every pod whose controller reference is the owner (terminal and terminating ones too). */
  pods: Pod[];
  revisions: ControllerRevision[];
  /** PVCs the owner controls that are not being deleted. */
  pvcs: PersistentVolumeClaim[];
  /**
   * A PVC of the owner's namespace by name, whoever owns it (being deleted or not): a StatefulSet's
   * per-ordinal claims are found by name, and outlive their owner unless the retention policy says so.
   */
  claim(name: string): (PersistentVolumeClaim & KubeObject) | undefined;
  now: Date;
  cluster: ClusterFacts;
}

export interface WorkloadController<T> {
  name: string;
  kind: WorkloadKind;
  plan(observed: Observed<T>): WorkloadPlan;
  /** Other objects whose events enqueue owners (e.g. Nodes for BroadcastJob), when the predicates pass. */
  watches?: { type: ResourceType; map: MapFunc; predicates?: Predicate[] }[];
  /** The plan reads pods on nodes in every namespace (`ClusterFacts.podsOnNode`), even when scoped. */
  clusterPods?: boolean;
  workers?: number;
  /** Watch one namespace only (tests); default all namespaces. */
  namespace?: string;
}

/** While our own writes are not in the cache yet, look again after this long (events usually come first). */
const STALE_CACHE_REQUEUE_MS = 1000;

export function setupWorkloadController<T extends Owner>(mgr: Manager, def: WorkloadController<T>): void {
  const scope: InformerScope = def.namespace ? { namespace: def.namespace } : {};
  const ownerType = def.kind.resource;
  const expectations = new Expectations({ metrics: mgr.metrics, controller: def.name });
  const rvExpectations = new ResourceVersionExpectations();
  // Our handlers observe before the builder's handlers enqueue, so a reconcile sees the expectation met.
  mgr.informers
    .informerFor<Pod>(Pods, scope)
    .addEventHandler(observing(ownerType, expectations, rvExpectations));
  mgr.informers
    .informerFor<PersistentVolumeClaim & KubeObject>(PersistentVolumeClaims, scope)
    .addEventHandler(observing(ownerType, expectations));
  const listers = {
    owners: mgr.lister<T>(ownerType, scope),
    pods: mgr.lister<Pod>(Pods, scope),
    revisions: mgr.lister<ControllerRevision>(ControllerRevisions, scope),
    pvcs: mgr.lister<PersistentVolumeClaim & KubeObject>(PersistentVolumeClaims, scope),
    nodes: mgr.lister<Node>(Nodes, {}),
    // Shares the pods informer when the controller watches every namespace.
    clusterPods: def.clusterPods ? mgr.lister<Pod>(Pods, {}) : undefined,
  };
  registerWorkloadStatus(mgr.metrics.registry, def.kind.resource.kind, () => listers.owners.list());
  const discovery = new Discovery(mgr.client);
  const deps = {
    client: mgr.client,
    events: mgr.events,
    expectations,
    rvExpectations,
    kind: def.kind,
    podUpdates: podUpdatesCounter(mgr.metrics.registry),
    createWindows: new CreateWindows(),
    statusPacer: new StatusPacer(),
  };
  const builder = controller(mgr)
    .named(def.name)
    .for(ownerType, scope)
    .owns(Pods, scope)
    .owns(ControllerRevisions, scope)
    .owns(PersistentVolumeClaims, scope)
    .withOptions({ workers: def.workers ?? 4 });
  for (const watch of def.watches ?? []) {
    builder.watches(watch.type, watch.map, { predicates: watch.predicates });
  }
  builder.complete(async (key, ctx): Promise<ReconcileResult | undefined> => {
    const owner = listers.owners.get(key);
    if (!owner) {
      expectations.delete(key);
      deps.createWindows.forget(key);
      deps.statusPacer.forget(key);
      return;
    }
    if (!expectations.isSatisfied(key)) return { requeueAfter: STALE_CACHE_REQUEUE_MS };
    // The owner too must show our last status write.
    rvExpectations.observe(owner);
    if (!rvExpectations.isSatisfied(owner)) return { requeueAfter: STALE_CACHE_REQUEUE_MS };
    const uid = owner.metadata?.uid ?? '';
    const pods = podsAsWritten(ownedBy(listers.pods, uid), uid, rvExpectations);
    // A failed discovery fails the reconcile, which is retried with backoff: no plan on a guess.
    const resizeSupported = await discovery.serves('v1', 'pods/resize', ctx.signal);
    const plan = def.plan({
      owner,
      pods,
      revisions: ownedBy(listers.revisions, uid),
      pvcs: ownedBy(listers.pvcs, uid).filter((pvc) => !pvc.metadata?.deletionTimestamp),
      claim: (name) => listers.pvcs.get(objectKey({ namespace: owner.metadata?.namespace, name })),
      now: new Date(),
      cluster: {
        resizeSupported,
        nodeLabels: (name) => listers.nodes.get(name)?.metadata.labels,
        nodes: () => listers.nodes.list(),
        podsOnNode: (name) => listers.clusterPods?.byIndex('nodeName', name) ?? [],
      },
    });
    if (plan.actions.length > 0) {
      ctx.log.debug({ phase: plan.phase, actions: plan.actions.map(describe) }, `${def.name} plan`);
    }
    const outcome = await execute(owner, plan, deps, ctx.signal);
    if (outcome.error) throw outcome.error;
    if (outcome.requeue) return { requeue: true };
    // A status left for later is written by the reconcile it is due in.
    const due = outcome.statusDueInMs;
    const after = plan.requeueAfterMs === undefined ? due : Math.min(plan.requeueAfterMs, due ?? Infinity);
    return after !== undefined ? { requeueAfter: Math.max(after, 1) } : undefined;
  });
}

/**
 * The owner's pods as the plan must see them: each as our last write returned it while the cache is
 * behind that write, and the pods we created that the cache does not hold yet. The watch lags the
 * answers (by tens of milliseconds in a large rollout); a plan need not wait for it to act on our own writes.
 */
export function podsAsWritten(cached: Pod[], ownerUid: string, written: ResourceVersionExpectations): Pod[] {
  const ours = (pod: Pod) => controllerOf(pod)?.uid === ownerUid;
  const uids = new Set<string>();
  const pods: Pod[] = [];
  for (const pod of cached) {
    written.observe(pod);
    uids.add(pod.metadata?.uid ?? '');
    const latest = written.latest(pod);
    // A pod we released is no longer the owner's, though the cache still says so.
    if (latest === pod || ours(latest)) pods.push(latest);
  }
  return pods.concat(written.unseen<Pod>(uids, ours));
}

function describe(action: { type: string; name?: string; pod?: { metadata: { name?: string } } }): string {
  return `${action.type} ${action.name ?? action.pod?.metadata.name ?? ''}`.trim();
}
