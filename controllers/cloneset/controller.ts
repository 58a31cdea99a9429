// The CloneSet controller: watches CloneSets and the Pods, ControllerRevisions and PVCs they own; each
// reconcile reads the caches, plans (pure) and executes. See README.md "Before calling plan".
import { applyDefaults, type CloneSet, type PersistentVolumeClaim } from '../../apis';
import { resourceOf } from '../../apis/install';
import { controller } from '../../runtime/builder';
import type { Lister } from '../../runtime/cache';
import { isNotFound, TerminalError } from '../../runtime/errors';
import { Expectations } from '../../runtime/expectations';
import type { EventHandler } from '../../runtime/informer';
import type { InformerScope } from '../../runtime/informerfactory';
import type { Manager } from '../../runtime/manager';
import {
  ControllerRevisions,
  controllerOf,
  type KubeObject,
  PersistentVolumeClaims,
  Pods,
} from '../../runtime/meta';
import type { ReconcileContext, ReconcileResult } from '../../runtime/reconcile';
import type { ControllerRevision, Pod } from '../inplace';
import { ResourceVersionExpectations } from '../inplace';
import { claimPods, releasePatch } from './claim';
import { execute } from './execute';
import { type Plan, plan } from './plan';

export const CloneSetControllerName = 'cloneset';

export interface CloneSetControllerOptions {
  workers?: number;
  /** Watch one namespace only (tests); default all namespaces. */
  namespace?: string;
}

/** While our own writes are not in the cache yet, look again after this long (events usually come first). */
const STALE_CACHE_REQUEUE_MS = 1000;

export function setupCloneSetController(mgr: Manager, options: CloneSetControllerOptions = {}): void {
  const scope: InformerScope = options.namespace ? { namespace: options.namespace } : {};
  const CloneSets = resourceOf('CloneSet');
  const expectations = new Expectations({ metrics: mgr.metrics, controller: CloneSetControllerName });
  const rvExpectations = new ResourceVersionExpectations();
  // Our handlers observe before the builder's handlers enqueue, so a reconcile sees the expectation met.
  mgr.informers
    .informerFor<Pod & KubeObject>(Pods, scope)
    .addEventHandler(observing(expectations, rvExpectations));
  mgr.informers.informerFor(PersistentVolumeClaims, scope).addEventHandler(observing(expectations));
  const listers = {
    cloneSets: mgr.lister<CloneSet & KubeObject>(CloneSets, scope),
    pods: mgr.lister<Pod & KubeObject>(Pods, scope),
    revisions: mgr.lister<ControllerRevision & KubeObject>(ControllerRevisions, scope),
    pvcs: mgr.lister<PersistentVolumeClaim & KubeObject>(PersistentVolumeClaims, scope),
  };
  const resize = new ResizeSupport(mgr.client);
  const deps = { client: mgr.client, events: mgr.events, expectations, rvExpectations, resize };
  controller(mgr)
    .named(CloneSetControllerName)
    .for(CloneSets, scope)
    .owns(Pods, scope)
    .owns(ControllerRevisions, scope)
    .owns(PersistentVolumeClaims, scope)
    .withOptions({ workers: options.workers ?? 4 })
    .complete(async (key, ctx) => {
      const cached = listers.cloneSets.get(key);
      if (!cached) {
        expectations.delete(key);
        return;
      }
      return reconcileCloneSet(cached, listers, { ...deps, key }, ctx);
    });
}

interface Listers {
  pods: Lister<Pod & KubeObject>;
  revisions: Lister<ControllerRevision & KubeObject>;
  pvcs: Lister<PersistentVolumeClaim & KubeObject>;
}

async function reconcileCloneSet(
  cached: CloneSet & KubeObject,
  listers: Listers,
  deps: Parameters<typeof execute>[3] & { key: string; resize: ResizeSupport },
  ctx: ReconcileContext,
): Promise<ReconcileResult | undefined> {
  if (!deps.expectations.isSatisfied(deps.key)) return { requeueAfter: STALE_CACHE_REQUEUE_MS };
  const uid = cached.metadata?.uid ?? '';
  const { claimed: pods, released } = claimPods(cached, ownedBy(listers.pods, uid));
  await releasePods(cached, released, deps, ctx);
  for (const pod of pods) deps.rvExpectations.observe(pod);
  if (pods.some((pod) => !deps.rvExpectations.isSatisfied(pod)))
    return { requeueAfter: STALE_CACHE_REQUEUE_MS };
  const result = planFromCache(cached, pods, listers, await deps.resize.supported(ctx.signal));
  if (result.actions.length > 0) {
    ctx.log.debug({ phase: result.phase, actions: result.actions.map(describe) }, 'cloneset plan');
  }
  const outcome = await execute(cached, pods, result, deps, ctx.signal);
  if (outcome.error) throw outcome.error;
  if (outcome.requeue) return { requeue: true };
  return result.requeueAfterMs !== undefined
    ? { requeueAfter: Math.max(result.requeueAfterMs, 1) }
    : undefined;
}

/** Removes our controller reference from pods the selector no longer matches (Kruise claimPods). */
async function releasePods(
  cs: CloneSet & KubeObject,
  released: Pod[],
  deps: { client: Manager['client'] },
  ctx: ReconcileContext,
): Promise<void> {
  const pods = deps.client.resource<Pod & KubeObject>(Pods);
  for (const pod of released) {
    const ref = { namespace: pod.metadata.namespace, name: pod.metadata.name ?? '' };
    try {
      await pods.patch(ref, releasePatch(pod, cs.metadata?.uid ?? ''), {
        type: 'strategic',
        signal: ctx.signal,
      });
      ctx.log.info({ pod: ref.name }, 'released a pod the selector no longer matches');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** plan() throws only on a malformed spec the webhook rejects: retrying cannot help. */
function planFromCache(
  cached: CloneSet & KubeObject,
  pods: Pod[],
  listers: Listers,
  resizeSupported: boolean,
): Plan {
  const uid = cached.metadata?.uid ?? '';
  try {
    return plan({
      cloneSet: applyDefaults('CloneSet', structuredClone(cached)) as CloneSet,
      pods,
      revisions: ownedBy(listers.revisions, uid),
      pvcs: ownedBy(listers.pvcs, uid).filter((pvc) => !pvc.metadata?.deletionTimestamp),
      now: new Date(),
      resizeSupported,
    });
  } catch (err) {
    throw new TerminalError(`cannot plan: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Whether the apiserver serves pods/resize (in-place pod resize, Kubernetes ≥ 1.33), asked once by
 * discovery. No plan is made without the answer: guessing "no" would recreate pods a resize can keep.
 */
class ResizeSupport {
  private answer: boolean | undefined;

  constructor(private readonly client: Manager['client']) {}

  async supported(signal: AbortSignal): Promise<boolean> {
    if (this.answer !== undefined) return this.answer;
    // A failure fails the reconcile, which is retried with backoff.
    const list = await this.client.request<{ resources?: { name: string }[] }>({
      method: 'GET',
      path: '/api/v1',
      signal,
      idempotent: true,
    });
    this.answer = (list.resources ?? []).some((r) => r.name === 'pods/resize');
    return this.answer;
  }
}

/** Objects whose controller ownerReference is the CloneSet with this uid. */
function ownedBy<T extends KubeObject>(lister: Lister<T>, uid: string): T[] {
  return lister.byIndex('ownerUID', uid).filter((obj) => controllerOf(obj)?.uid === uid);
}

function describe(action: { type: string; name?: string; pod?: { metadata: { name?: string } } }): string {
  return `${action.type} ${action.name ?? action.pod?.metadata.name ?? ''}`.trim();
}

/** Informer handlers that settle create/delete and resource-version expectations of owned objects. */
function observing(
  expectations: Expectations,
  rvExpectations?: ResourceVersionExpectations,
): EventHandler<KubeObject> {
  const ownerKey = (obj: KubeObject) => {
    const ref = controllerOf(obj);
    return ref?.kind === 'CloneSet' ? `${obj.metadata?.namespace}/${ref.name}` : undefined;
  };
  const name = (obj: KubeObject) => obj.metadata?.name ?? '';
  return {
    onAdd: (obj) => {
      const key = ownerKey(obj);
      if (key) expectations.observe(key, 'create', name(obj));
      if (key && obj.metadata?.deletionTimestamp) expectations.observe(key, 'delete', name(obj));
      rvExpectations?.observe(obj);
    },
    onUpdate: (_old, obj) => {
      const key = ownerKey(obj);
      // A terminating object no longer counts as active: its delete is done as far as the plan goes.
      if (key && obj.metadata?.deletionTimestamp) expectations.observe(key, 'delete', name(obj));
      rvExpectations?.observe(obj);
    },
    onDelete: (obj) => {
      const key = ownerKey(obj);
      if (key) {
        expectations.observe(key, 'create', name(obj));
        expectations.observe(key, 'delete', name(obj));
      }
      rvExpectations?.delete(obj);
    },
  };
}
