// Rollout progress per workload as a metric, read from the informer cache when /metrics is scraped (no
// writes, no timers): spec.replicas as field "desired", and every numeric field of the status
// (updatedReplicas, readyReplicas, …; a SidecarSet's matchedPods, updatedPods, …).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeObject } from '../../runtime/meta';
import { type Action, RECREATE_FOR_UPDATE } from './actions';

export const WorkloadStatusMetric = 'outrigger_workload_status_replicas';

type Source = () => KubeObject[];
const sourcesByRegistry = new WeakMap<Registry, Map<string, Source>>();

/** Reports the objects `list` returns, as `kind`, on the registry's one workload-status gauge. */
export function registerWorkloadStatus(registry: Registry, kind: string, list: Source): void {
  let sources = sourcesByRegistry.get(registry);
  if (!sources) {
    const own = new Map<string, Source>();
    sources = own;
    sourcesByRegistry.set(registry, own);
    new Gauge({
      name: WorkloadStatusMetric,
      help: 'Per workload: spec.replicas (field="desired") and each numeric status field, from the cache',
      labelNames: ['kind', 'namespace', 'name', 'field'] as const,
      registers: [registry],
      collect() {
        // Rebuilt at every scrape, so deleted workloads drop out.
        this.reset();
        for (const [sourceKind, source] of own) {
          for (const obj of source()) {
            for (const [field, value] of workloadFields(obj)) {
              const { namespace = '', name = '' } = obj.metadata ?? {};
              this.set({ kind: sourceKind, namespace, name, field }, value);
            }
          }
        }
      },
    });
  }
  sources.set(kind, list);
}

/** The numbers reported for one workload. */
export function workloadFields(obj: KubeObject): [string, number][] {
  const { spec, status } = obj as { spec?: { replicas?: unknown }; status?: Record<string, unknown> };
  const fields: [string, number][] = [];
  if (typeof spec?.replicas === 'number') fields.push(['desired', spec.replicas]);
  for (const [field, value] of Object.entries(status ?? {})) {
    if (typeof value === 'number' && field !== 'observedGeneration') fields.push([field, value]);
  }
  return fields;
}

export const PodUpdatesMetric = 'outrigger_pod_updates_total';

export type PodUpdates = Counter<'kind' | 'method'>;

/** The registry's one counter of pod updates started, by owner kind and method (in_place, recreate). */
export function podUpdatesCounter(registry: Registry): PodUpdates {
  return (
    (registry.getSingleMetric(PodUpdatesMetric) as PodUpdates | undefined) ??
    new Counter({
      name: PodUpdatesMetric,
      help: 'Pods moved to a new revision: method="in_place" (containers restarted in the pod) or "recreate"',
      labelNames: ['kind', 'method'] as const,
      registers: [registry],
    })
  );
}

/** How an applied action starts moving a pod to a new revision, if it does. */
export function podUpdateMethod(action: Action): 'in_place' | 'recreate' | undefined {
  if (action.type === 'inPlaceUpdate' || action.type === 'drainAndUpdate') return 'in_place';
  if (
    (action.type === 'deletePod' || action.type === 'patchPodMetadata') &&
    action.reason === RECREATE_FOR_UPDATE
  )
    return 'recreate';
  return undefined;
}
