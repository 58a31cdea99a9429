// The SidecarSet controller: records the latest ControllerRevision (so injectionStrategy.revision can
// name one), upgrades the sidecars of matched pods in place (upgrade.ts), writes the status (matchedPods,
// updatedPods, readyPods, observedGeneration, ...) and reports selected pods that run without the
// SidecarSet's sidecars, as status.missingSidecarPods, a Warning Event and a metric. SidecarSet selects
// pods rather than owning them, so it wires its own watches; it plans with the workload kit and applies
// the plan with the kit's executor.
import { Gauge } from 'prom-client';
import type { ControllerRevision, Pod } from '../../apis/core-objects';
import { applyDefaults } from '../../apis/defaults';
import { resourceOf } from '../../apis/install';
import type { SidecarSet } from '../../apis/sidecarset';
import { SidecarSetHashAnnotation, SidecarSetNameLabel } from '../../apis/well-known';
import { controller } from '../../runtime/builder';
import type { Lister } from '../../runtime/cache';
import { Expectations } from '../../runtime/expectations';
import type { Manager } from '../../runtime/manager';
import { ControllerRevisions, type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import type { ReconcileContext, ReconcileResult } from '../../runtime/reconcile';
import { ResourceVersionExpectations } from '../../runtime/resource-version';
import type { WorkloadPlan } from '../workload/actions';
import { type ExecutorDeps, execute, type WorkloadKind } from '../workload/execute';
import { podUpdatesCounter, registerWorkloadStatus } from '../workload/metrics';
import { isActivePod, isInjectableNamespace, sidecarSetSelects } from './match';
import { injectedSidecarSetNames, parseUpgradeSpecs } from './pod-annotations';
import { registerLatestRevision, withHashes } from './revisions';
import { carriesSidecars, computeStatus } from './status';
import { planUpgrade, sidecarSetResultEvent } from './upgrade';

export const SidecarSetControllerName = 'sidecarset';
export const MissingSidecarsReason = 'PodsWithoutSidecars';
export const MissingSidecarsMetric = 'outrigger_sidecarset_missing_sidecar_pods';

export interface SidecarSetControllerOptions {
  /** Where SidecarSet revisions live: the operator's namespace. */
  namespace: string;
  workers?: number;
}

type Obj<T> = T & KubeObject;

interface Listers {
  sidecarSets: Lister<Obj<SidecarSet>>;
  pods: Lister<Obj<Pod>>;
  namespaces: Lister<KubeObject>;
  revisions: Lister<ControllerRevision>;
}

export function setupSidecarSetController(mgr: Manager, options: SidecarSetControllerOptions): void {
  const SidecarSets = resourceOf('SidecarSet');
  const revisionScope = { namespace: options.namespace, labelSelector: SidecarSetNameLabel };
  const listers: Listers = {
    sidecarSets: mgr.lister(SidecarSets),
    pods: mgr.lister(Pods),
    namespaces: mgr.lister(Namespaces),
    revisions: mgr.lister(ControllerRevisions, revisionScope),
  };
  const missingGauge =
    (mgr.metrics.registry.getSingleMetric(MissingSidecarsMetric) as Gauge<'sidecarset'> | undefined) ??
    new Gauge({
      name: MissingSidecarsMetric,
      help: 'Pods a SidecarSet selects, created after it, that run without its sidecars.',
      labelNames: ['sidecarset'],
      registers: [mgr.metrics.registry],
    });
  registerWorkloadStatus(mgr.metrics.registry, 'SidecarSet', () => listers.sidecarSets.list());
  // The pods last reported per SidecarSet, so an Event is written when the set grows, not every reconcile.
  const reported = new Map<string, Set<string>>();
  const executor: ExecutorDeps = {
    client: mgr.client,
    events: mgr.events,
    expectations: new Expectations({ metrics: mgr.metrics, controller: SidecarSetControllerName }),
    rvExpectations: new ResourceVersionExpectations(),
    kind: SidecarSetKind,
    podUpdates: podUpdatesCounter(mgr.metrics.registry),
  };
  const deps = { mgr, executor, listers, namespace: options.namespace, missingGauge, reported };

  controller(mgr)
    .named(SidecarSetControllerName)
    .for(SidecarSets)
    .watches(Pods, (pod) => sidecarSetsOfPod(pod as Obj<Pod>, listers))
    .watches(Namespaces, () =>
      listers.sidecarSets
        .list()
        .filter((s) => s.spec?.namespaceSelector)
        .map(nameOf),
    )
    .watches(
      ControllerRevisions,
      (r) => [r.metadata?.labels?.[SidecarSetNameLabel] ?? ''].filter(Boolean),
      revisionScope,
    )
    .withOptions({ workers: options.workers ?? 2 })
    .complete(async (key, ctx) => {
      const cached = listers.sidecarSets.get(key);
      if (!cached) {
        missingGauge.remove({ sidecarset: key });
        reported.delete(key);
        return;
      }
      return reconcile(cached, deps, ctx);
    });
}

const nameOf = (s: KubeObject) => s.metadata?.name ?? '';

/** SidecarSet to the executor: its status subresource; failures are reported as Events only. */
const SidecarSetKind: WorkloadKind = {
  resource: resourceOf('SidecarSet'),
  resultEvent: sidecarSetResultEvent,
};

/** While our own pod writes are not in the cache yet, look again after this long. */
const STALE_CACHE_REQUEUE_MS = 1000;

/** The SidecarSets a pod event concerns: those selecting it, and those it says injected it. */
function sidecarSetsOfPod(pod: Obj<Pod>, listers: Listers): string[] {
  const namespace = pod.metadata?.namespace ?? '';
  const labels = listers.namespaces.get(namespace)?.metadata?.labels;
  const names = new Set(injectedSidecarSetNames(pod));
  for (const s of listers.sidecarSets.list()) {
    if (sidecarSetSelects(s, pod, namespace, labels)) names.add(nameOf(s));
  }
  return [...names];
}

interface Deps {
  mgr: Manager;
  executor: ExecutorDeps;
  listers: Listers;
  namespace: string;
  missingGauge: Gauge<'sidecarset'>;
  reported: Map<string, Set<string>>;
}

async function reconcile(
  cached: Obj<SidecarSet>,
  deps: Deps,
  ctx: ReconcileContext,
): Promise<ReconcileResult | undefined> {
  const { listers } = deps;
  const sidecarSet = withHashes(applyDefaults('SidecarSet', structuredClone(cached)) as SidecarSet);
  const name = nameOf(cached);
  const pods = listers.pods.list().filter((pod) => {
    const namespace = pod.metadata?.namespace ?? '';
    return sidecarSetSelects(sidecarSet, pod, namespace, listers.namespaces.get(namespace)?.metadata?.labels);
  });
  const podRevisions = new Set(
    pods.filter(isActivePod).flatMap((pod) => {
      try {
        const revision = parseUpgradeSpecs(pod.metadata.annotations?.[SidecarSetHashAnnotation])[name];
        return revision?.controllerRevision ? [revision.controllerRevision] : [];
      } catch {
        return [];
      }
    }),
  );
  const revision = registerLatestRevision(sidecarSet, listers.revisions.list(), deps.namespace, podRevisions);
  const latestRevision = revision.latest.metadata.name ?? '';
  const { status, missing } = computeStatus({
    sidecarSet,
    pods,
    sidecarSets: listers.sidecarSets.list(),
    latestRevision,
    collisionCount: revision.collisionCount,
    injectable: (namespace) =>
      isInjectableNamespace(namespace, listers.namespaces.get(namespace)?.metadata?.labels, deps.namespace),
  });
  deps.missingGauge.set({ sidecarset: name }, missing.length);
  reportMissing(cached, missing, deps);

  const matched = pods.filter((pod) => isActivePod(pod) && carriesSidecars(pod, sidecarSet));
  for (const pod of matched) deps.executor.rvExpectations.observe(pod);
  // Never plan an upgrade from a cache that does not show our own last writes yet.
  const stale = matched.some((pod) => !deps.executor.rvExpectations.isSatisfied(pod));
  const upgrade = stale
    ? undefined
    : planUpgrade({ sidecarSet, pods: matched, latestRevision, now: new Date() });
  const plan: WorkloadPlan = {
    actions: [...revision.actions, ...(upgrade?.actions ?? [])],
    events: upgrade?.events ?? [],
    status: { ...cached.status, ...status },
    phase: 'update',
  };
  if (upgrade && upgrade.actions.length > 0) {
    ctx.log.debug(
      { upgraded: upgrade.upgraded, reset: upgrade.reset, notUpgradable: upgrade.notUpgradable },
      'sidecarset upgrade',
    );
  }
  const outcome = await execute(cached, plan, deps.executor, ctx.signal);
  if (outcome.error) throw outcome.error;
  if (outcome.requeue) return { requeue: true };
  return stale ? { requeueAfter: STALE_CACHE_REQUEUE_MS } : undefined;
}

function reportMissing(sidecarSet: Obj<SidecarSet>, missing: string[], deps: Deps): void {
  const name = nameOf(sidecarSet);
  const before = deps.reported.get(name) ?? new Set<string>();
  deps.reported.set(name, new Set(missing));
  const fresh = missing.filter((p) => !before.has(p));
  if (fresh.length === 0) return;
  const shown =
    missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
  void deps.mgr.events.event(
    sidecarSet,
    'Warning',
    MissingSidecarsReason,
    `${missing.length} selected pod(s) created after this SidecarSet run without its sidecars ` +
      `(created while the pod webhook was not serving, or selected only since the SidecarSet changed); ` +
      `recreate them to inject: ${shown}`,
  );
}
