// Rollout progress per workload as a metric, read from the informer cache when /metrics is scraped (no
// writes, no timers): spec.replicas as field "desired", and every numeric field of the status
// (updatedReplicas, readyReplicas, …; a SidecarSet's matchedPods, updatedPods, …).
import { Gauge, type Registry } from 'prom-client';
import type { KubeObject } from '../../runtime/meta';

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
