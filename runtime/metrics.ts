import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// Names and labels follow controller-runtime and client-go so existing dashboards and alerts work.
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// controller-runtime: ExponentialBuckets(10e-9, 10, 12), in seconds.
const workqueueBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;

/** What a workqueue reports at scrape time about the keys its workers hold. */
export interface InFlightWork {
  readonly labels: { name: string; controller: string };
  /** Seconds of work in progress not yet observed by work_duration, and the longest single one. */
  inFlightSeconds(): { total: number; longest: number };
}

/** All runtime metrics, registered on one registry (one per manager; tests make their own). */
export function createRuntimeMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  const queueLabels = ['name', 'controller'] as const;
  // Queues register here; the two gauges below are computed when /metrics is scraped, with no timers.
  const queues = new Set<InFlightWork>();
  return {
    registry,
    queues,
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    terminalReconcileErrors: new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'] as const,
      buckets: reconcileBuckets,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: queueLabels,
      registers,
    }),
    workqueueAdds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: queueLabels,
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: queueLabels,
      buckets: workqueueBuckets,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: queueLabels,
      buckets: workqueueBuckets,
      registers,
    }),
    workqueueUnfinishedWork: new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration',
      labelNames: queueLabels,
      registers,
      collect() {
        for (const queue of queues) this.set(queue.labels, queue.inFlightSeconds().total);
      },
    }),
    workqueueLongestRunning: new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: queueLabels,
      registers,
      collect() {
        for (const queue of queues) this.set(queue.labels, queue.inFlightSeconds().longest);
      },
    }),
    workqueueRetries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: queueLabels,
      registers,
    }),
    restClientRequests: new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host',
      labelNames: ['code', 'method', 'host'] as const,
      registers,
    }),
    leaderStatus: new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'] as const,
      registers,
    }),
    informerRelists: new Counter({
      name: 'outrigger_informer_relists_total',
      help: 'Full lists done by an informer, by resource and reason (initial, gone, watchdog, error)',
      labelNames: ['resource', 'reason'] as const,
      registers,
    }),
    informerWatchRestarts: new Counter({
      name: 'outrigger_informer_watch_restarts_total',
      help: 'Watch requests that ended, by resource and how (closed, error, gone, watchdog)',
      labelNames: ['resource', 'cause'] as const,
      registers,
    }),
    informerLastEventTime: new Gauge({
      name: 'outrigger_informer_last_event_timestamp_seconds',
      help: 'Unix time of the last watch event or bookmark seen by an informer',
      labelNames: ['resource'] as const,
      registers,
    }),
    expectationTimeouts: new Counter({
      name: 'outrigger_expectations_timeouts_total',
      help: 'Expectations that expired unobserved (a create or delete whose event never arrived)',
      labelNames: ['controller'] as const,
      registers,
    }),
  };
}

/** Adds Node process metrics (heap, event loop lag, GC) in place of Go's process collectors. */
export function addProcessMetrics(registry: Registry): void {
  // Several managers may share one registry (in-process replicas in benchmarks): register once.
  if (registry.getSingleMetric('nodejs_heap_size_total_bytes')) return;
  collectDefaultMetrics({ register: registry });
}
