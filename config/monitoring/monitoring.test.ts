// The dashboard queries only metrics the manager exports, the README's table lists exactly those, and the
// PodMonitors point at the ports and pods config/ deploys.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONTROLLERS } from '../../controllers/catalog';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { addProcessMetrics } from '../../runtime/metrics';
import { configAt } from '../../scheduler/config';
import { addExtender } from '../../scheduler/extender/runnable';
import { webhookMetrics } from '../../webhooks/server';

const read = (file: string) => fs.readFileSync(path.join(__dirname, file), 'utf8');
const yamlDocs = (file: string) =>
  parseAllDocuments(fs.readFileSync(path.join(__dirname, file), 'utf8')).map(
    // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
    (d) => d.toJS() as any,
  );

/** Every series name /metrics can carry, from a manager set up as cmd/manager.ts does (all of it on). */
async function exportedSeries(): Promise<{ series: Set<string>; metrics: string[] }> {
  // Nothing here talks to an apiserver: informers and servers are only built, never started.
  const nowhere = { server: 'https://127.0.0.1:1', apply: async () => undefined };
  const mgr = new Manager({ kubeconfig: nowhere, healthAddress: false, logger: silentLogger() });
  for (const entry of CONTROLLERS) entry.setup(mgr, { namespace: 'outrigger-system' });
  webhookMetrics(mgr.metrics.registry);
  addExtender(mgr, configAt('127.0.0.1:0'));
  addProcessMetrics(mgr.metrics.registry);
  const metrics = await mgr.metrics.registry.getMetricsAsJSON();
  mgr.client.close();
  const series = new Set<string>();
  for (const { name, type } of metrics) {
    series.add(name);
    if (String(type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) series.add(name + suffix);
  }
  return { series, metrics: metrics.map((m) => m.name) };
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\$\w+/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL_WORDS.has(word) && !/^\d/.test(word));
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(read('grafana-dashboard.json')) as {
  panels: Panel[];
  templating: { list: { query?: { query: string } | string }[] };
};
const queries = [
  ...dashboard.panels
    .flatMap((p) => [p, ...(p.panels ?? [])])
    .flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
  ...dashboard.templating.list
    .map((v) => (typeof v.query === 'string' ? v.query : v.query?.query))
    .filter((q): q is string => q?.startsWith('label_values(') === true)
    .map((q) => ({ panel: 'variables', expr: q.replace(/^label_values\(([^,)]+).*$/, '$1') })),
];

describe('config/monitoring', () => {
  it('reads PromQL metric names, not functions, labels or variables', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (webhook, le) (rate(a_bucket{job=~"$job", x="rate(b)"}[$__rate_interval])))',
      ),
    ).toEqual(['a_bucket']);
    expect(metricNames('time() - max by (resource) (c_seconds{job=~"$job"}) or d')).toEqual([
      'c_seconds',
      'd',
    ]);
  });

  it('the dashboard queries only metrics the manager exports', async () => {
    const { series } = await exportedSeries();
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap(({ panel, expr }) =>
      metricNames(expr)
        .filter((name) => !series.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('the dashboard has a panel for each metric family of ours, the webhooks and the extender', () => {
    const queried = new Set(queries.flatMap(({ expr }) => metricNames(expr)));
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_webhook_latency_seconds_bucket',
      'outrigger_extender_request_duration_seconds_bucket',
      'outrigger_sidecarset_missing_sidecar_pods',
      'outrigger_workload_status_replicas',
      'workqueue_depth',
      'process_resident_memory_bytes',
    ]) {
      expect(queried).toContain(name);
    }
  });

  it('the README table lists exactly the metrics exported, besides the process defaults', async () => {
    const { metrics } = await exportedSeries();
    const ours = metrics.filter((m) => !/^(process|nodejs)_/.test(m)).sort();
    const table = [...read('README.md').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(table).toEqual(ours);
    expect(read('README.md')).toContain('| `process_*`, `nodejs_*` |');
  });

  it('the PodMonitors select the manager and extender pods on the ports that serve /metrics', () => {
    const [managerMonitor, extenderMonitor] = yamlDocs('podmonitor.yaml');
    const deployment = (file: string) =>
      parseAllDocuments(fs.readFileSync(path.join(__dirname, '..', file), 'utf8'))
        .map((d) => d.toJS())
        .find((o) => o?.kind === 'Deployment');
    for (const [monitor, deploy] of [
      [managerMonitor, deployment('manager/manager.yaml')],
      [extenderMonitor, deployment('scheduler/extender-deployment.yaml')],
    ]) {
      expect(monitor.kind).toBe('PodMonitor');
      expect(monitor.metadata.namespace).toBe(deploy.metadata.namespace);
      expect(deploy.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      const ports = deploy.spec.template.spec.containers.flatMap((c: { ports?: { name: string }[] }) =>
        (c.ports ?? []).map((p) => p.name),
      );
      for (const endpoint of monitor.spec.podMetricsEndpoints) {
        expect(ports).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
    }
  });
});
