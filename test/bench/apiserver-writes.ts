// What the apiserver itself counts (its /metrics): every writer's mutating requests, so a benchmark sees
// the writes of kube-controller-manager, kube-scheduler, kwok and our controllers alike, and how fast it
// delivered pod watch events to all of them.
import { execFileSync } from 'node:child_process';
import { metricValue } from './manager-process';

/** Mutating requests the apiserver served so far, pod bindings (each one a pod (re)scheduled) and pod watch events. */
export function apiserverCounters(kubeconfig: string): {
  writes: number;
  bindings: number;
  /** "VERB resource[/subresource]" → requests and seconds spent serving them. */
  byKind: Map<string, { count: number; seconds: number }>;
  podWatch: PodWatchDispatch;
} {
  const text = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let writes = 0;
  let bindings = 0;
  const byKind = new Map<string, { count: number; seconds: number }>();
  for (const line of text.split('\n')) {
    const metric = line.slice(0, line.indexOf('{'));
    if (metric.startsWith(WEBHOOK_METRIC)) {
      addWebhookCall(byKind, metric, line);
      continue;
    }
    const counted = metric === 'apiserver_request_total';
    if (!counted && metric !== 'apiserver_request_duration_seconds_sum') continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(labels.verb ?? '')) continue;
    const excluded = ['events', 'leases', 'nodes'].includes(labels.resource ?? '');
    const kind =
      `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}` +
      (excluded ? ' (not counted)' : '');
    const entry = byKind.get(kind) ?? { count: 0, seconds: 0 };
    byKind.set(kind, entry);
    if (!counted) {
      entry.seconds += value;
      continue;
    }
    entry.count += value;
    if (excluded) continue;
    writes += value;
    if (labels.resource === 'pods' && labels.subresource === 'binding') bindings += value;
  }
  return { writes, bindings, byKind, podWatch: podWatchDispatch(text) };
}

/** Pod watch events the apiserver handed to its watchers (one per watcher), from etcd to each watcher's channel. */
export interface PodWatchDispatch {
  events: number;
  seconds: number;
  within25ms: number;
}

const DISPATCH_METRIC = 'apiserver_watch_events_dispatch_duration_seconds';
const PODS_TOTAL = 'resource="pods",stage="total"';

function podWatchDispatch(text: string): PodWatchDispatch {
  return {
    events: metricValue(text, `${DISPATCH_METRIC}_count`, PODS_TOTAL) ?? 0,
    seconds: metricValue(text, `${DISPATCH_METRIC}_sum`, PODS_TOTAL) ?? 0,
    within25ms: metricValue(text, `${DISPATCH_METRIC}_bucket`, `${PODS_TOTAL},le="0.025"`) ?? 0,
  };
}

/** One line on how fast the apiserver handed pod events to its watchers between two readings. */
export function podWatchDelivery(after: PodWatchDispatch, before: PodWatchDispatch): string {
  const events = after.events - before.events;
  if (events <= 0) return 'no pod watch events';
  const meanMs = ((after.seconds - before.seconds) / events) * 1000;
  const within = ((after.within25ms - before.within25ms) / events) * 100;
  return `${events} pod watch events handed to watchers, mean ${meanMs.toFixed(1)} ms from etcd, ${within.toFixed(1)} % within 25 ms`;
}

const WEBHOOK_METRIC = 'apiserver_admission_webhook_admission_duration_seconds_';

/** Calls to each admission webhook and the seconds they took, as the apiserver saw them (not writes). */
function addWebhookCall(
  byKind: Map<string, { count: number; seconds: number }>,
  metric: string,
  line: string,
) {
  const suffix = metric.slice(WEBHOOK_METRIC.length);
  if (suffix !== 'count' && suffix !== 'sum') return;
  const name = /name="([^"]*)"/.exec(line)?.[1] ?? '?';
  const kind = `webhook ${name} (not counted)`;
  const entry = byKind.get(kind) ?? { count: 0, seconds: 0 };
  byKind.set(kind, entry);
  const value = Number(line.slice(line.lastIndexOf(' ') + 1));
  if (suffix === 'count') entry.count += value;
  else entry.seconds += value;
}

/** Per-kind counts of `after` minus `before`, kinds that did not grow left out. */
export function difference(
  after: Map<string, { count: number; seconds: number }>,
  before: Map<string, { count: number; seconds: number }>,
) {
  const result = new Map<string, { count: number; seconds: number }>();
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, seconds: 0 };
    if (a.count > b.count) result.set(kind, { count: a.count - b.count, seconds: a.seconds - b.seconds });
  }
  return result;
}
