// The SidecarSet controller: records the latest ControllerRevision (so injectionStrategy.revision can
// name one), writes the status (matchedPods, observedGeneration, ...) and reports selected pods that
// run without the SidecarSet's sidecars, as status.missingSidecarPods, a Warning Event and a metric.
// The in-place upgrade of injected sidecars builds on this reconcile.
import { Gauge } from 'prom-client';
import type { ControllerRevision, Pod } from '../../apis/core-objects';
import { applyDefaults } from '../../apis/defaults';
import { resourceOf } from '../../apis/install';
import type { SidecarSet } from '../../apis/sidecarset';
import { SidecarSetHashAnnotation, SidecarSetNameLabel } from '../../apis/well-known';
import { controller } from '../../runtime/builder';
import type { Lister } from '../../runtime/cache';
import { retryOnConflict } from '../../runtime/client';
import { isAlreadyExists, isNotFound } from '../../runtime/errors';
import { deepEqual } from '../../runtime/json';
import type { Manager } from '../../runtime/manager';
import { ControllerRevisions, type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import type { ReconcileContext } from '../../runtime/reconcile';
import { isActivePod, isInjectableNamespace, sidecarSetSelects } from './match';
import { injectedSidecarSetNames, parseUpgradeSpecs } from './pod-annotations';
import { type RevisionAction, registerLatestRevision, withHashes } from './revisions';
import { computeStatus } from './status';

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
  // The pods last reported per SidecarSet, so an Event is written when the set grows, not every reconcile.
  const reported = new Map<string, Set<string>>();
  const deps = { mgr, listers, namespace: options.namespace, missingGauge, reported };

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
      await reconcile(cached, deps, ctx);
    });
}

const nameOf = (s: KubeObject) => s.metadata?.name ?? '';

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
  listers: Listers;
  namespace: string;
  missingGauge: Gauge<'sidecarset'>;
  reported: Map<string, Set<string>>;
}

async function reconcile(cached: Obj<SidecarSet>, deps: Deps, ctx: ReconcileContext): Promise<void> {
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
  for (const action of revision.actions) await applyRevisionAction(action, deps, ctx);
  const { status, missing } = computeStatus({
    sidecarSet,
    pods,
    sidecarSets: listers.sidecarSets.list(),
    latestRevision: revision.latest.metadata.name,
    collisionCount: revision.collisionCount,
    injectable: (namespace) =>
      isInjectableNamespace(namespace, listers.namespaces.get(namespace)?.metadata?.labels, deps.namespace),
  });
  deps.missingGauge.set({ sidecarset: name }, missing.length);
  reportMissing(cached, missing, deps);
  await writeStatus(cached, status, deps, ctx);
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

async function applyRevisionAction(action: RevisionAction, deps: Deps, ctx: ReconcileContext): Promise<void> {
  const revisions = deps.mgr.client.resource<ControllerRevision>(ControllerRevisions);
  const ref = (name: string) => ({ namespace: deps.namespace, name });
  const signal = ctx.signal;
  try {
    switch (action.type) {
      case 'createRevision':
        await revisions.create(action.revision, { signal });
        return;
      case 'updateRevisionNumber':
        await revisions.patch(ref(action.name), { revision: action.revision }, { type: 'merge', signal });
        return;
      case 'labelRevision':
        await revisions.patch(
          ref(action.name),
          { metadata: { labels: action.labels } },
          { type: 'merge', signal },
        );
        return;
      case 'deleteRevision':
        await revisions.delete(ref(action.name), { signal });
        return;
    }
  } catch (err) {
    // Another replica or a cache that lags: the next reconcile sees the truth.
    if (isAlreadyExists(err) || (action.type === 'deleteRevision' && isNotFound(err))) return;
    throw err;
  }
}

async function writeStatus(
  cached: Obj<SidecarSet>,
  status: ReturnType<typeof computeStatus>['status'],
  deps: Deps,
  ctx: ReconcileContext,
): Promise<void> {
  const next = { ...cached.status, ...status };
  if (deepEqual(cached.status ?? {}, next)) return;
  const sidecarSets = deps.mgr.client.resource<Obj<SidecarSet>>(resourceOf('SidecarSet'));
  await retryOnConflict(async () => {
    const latest = await sidecarSets.get({ name: nameOf(cached) }, { signal: ctx.signal });
    await sidecarSets.updateStatus(
      { ...latest, status: { ...latest.status, ...status } },
      { signal: ctx.signal },
    );
  }).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
}
