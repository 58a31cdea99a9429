// A small real controller built with the runtime's builder and run by a Manager: ConfigMaps labelled
// for copying get an owned "<name>-copy" ConfigMap with the same data, and an Event each reconcile.
import * as http from 'node:http';
import { waitFor } from '../../cluster/wait';
import { controller } from '../../runtime/builder';
import { isAlreadyExists } from '../../runtime/errors';
import type { CoreEvent } from '../../runtime/events';
import { silentLogger } from '../../runtime/log';
import { Manager } from '../../runtime/manager';
import { ConfigMaps, Events, type KubeObject } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath, useTestNamespace } from '../cluster/e2e';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const CONTROLLER = 'configmap-copy';
const COPY_LABEL = 'outrigger.io/runtime-e2e-copy';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format into samples. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match?.[1] || !match[3]) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[k as string] = v as string;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sample with this name and (at least) these labels. */
function sample(samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Registers the copy controller; returns the keys it reconciled, in order. */
function addCopyController(mgr: Manager, namespace: string): string[] {
  const reconciled: string[] = [];
  const sourceScope = { namespace, labelSelector: `${COPY_LABEL}=true` };
  const sources = mgr.lister<ConfigMap>(ConfigMaps, sourceScope);
  const all = mgr.lister<ConfigMap>(ConfigMaps, { namespace });
  const configMaps = mgr.client.resource<ConfigMap>(ConfigMaps);
  controller(mgr)
    .named(CONTROLLER)
    .for(ConfigMaps, sourceScope)
    .owns(ConfigMaps, { namespace })
    .complete(async (key, { signal, name }) => {
      reconciled.push(key);
      const source = sources.get(key);
      if (!source?.metadata?.uid) return;
      const copyName = `${name}-copy`;
      const copy = all.get(`${namespace}/${copyName}`);
      const data = source.data ?? {};
      if (!copy) {
        const ownerReferences = [
          { apiVersion: 'v1', kind: 'ConfigMap', name, uid: source.metadata.uid, controller: true },
        ];
        // A reconcile that runs before the cache saw our create finds it missing too: that is fine.
        await configMaps
          .create({ metadata: { name: copyName, namespace, ownerReferences }, data }, { signal })
          .catch((err) => {
            if (!isAlreadyExists(err)) throw err;
          });
      } else if (JSON.stringify(copy.data ?? {}) !== JSON.stringify(data)) {
        await configMaps.update({ ...copy, data }, { signal });
      }
      await mgr.events.event(source, 'Normal', 'Copied', `data copied to ${copyName}`);
    });
  return reconciled;
}

/** controller-runtime's metric names and labels, on the manager's /metrics. */
async function expectControllerMetrics(port: number, leaseName: string): Promise<void> {
  const samples = parseMetrics((await httpGet(port, '/metrics')).body);
  const queue = { name: CONTROLLER, controller: CONTROLLER };
  const success = { controller: CONTROLLER, result: 'success' };
  const host = new URL(e2eClient().server).host;
  expect(sample(samples, 'controller_runtime_reconcile_total', success)?.value).toBeGreaterThanOrEqual(3);
  expect(sample(samples, 'workqueue_adds_total', queue)?.value).toBeGreaterThanOrEqual(3);
  expect(sample(samples, 'workqueue_depth', queue)).toBeDefined();
  const created = { code: '201', method: 'POST', host };
  expect(sample(samples, 'rest_client_requests_total', created)?.value).toBeGreaterThanOrEqual(3);
  expect(sample(samples, 'rest_client_requests_total', { code: '200', method: 'GET', host })).toBeDefined();
  expect(sample(samples, 'leader_election_master_status', { name: leaseName })?.value).toBe(1);
}

describe('a runtime controller run by a Manager', () => {
  const ns = useTestNamespace('rt-controller');

  it('reconciles, maps owned objects to the owner, records aggregated events and serves metrics', async () => {
    const namespace = ns.name;
    const leaseName = `${CONTROLLER}-e2e`;
    const mgr = new Manager({
      kubeconfig: e2eKubeconfigPath(),
      name: 'runtime-e2e',
      healthAddress: '127.0.0.1:0',
      leaderElection: { leaseName, namespace },
      logger: silentLogger(),
    });
    const reconciled = addCopyController(mgr, namespace);
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    try {
      const port = (await mgr.healthServer?.listening())?.port ?? 0;
      await waitFor('/readyz', async () => (await httpGet(port, '/readyz')).status === 200);
      expect((await httpGet(port, '/healthz')).status).toBe(200);
      await waitFor('leadership', () => mgr.isLeader());

      const configMaps = e2eClient().resource<ConfigMap>(ConfigMaps);
      const source = await configMaps.create({
        metadata: { name: 'source', namespace, labels: { [COPY_LABEL]: 'true' } },
        data: { greeting: 'hello' },
      });
      const copyRef = { namespace, name: 'source-copy' };
      const copy = await waitFor('the copy', () => configMaps.get(copyRef));
      expect(copy.data).toEqual({ greeting: 'hello' });
      expect(copy.metadata?.ownerReferences?.[0]).toMatchObject({
        uid: source.metadata?.uid,
        controller: true,
      });

      // Only the owned object changes: its owner is reconciled and puts it back.
      await configMaps.delete(copyRef);
      await waitFor('the copy to be recreated', async () => {
        const again = await configMaps.get(copyRef);
        return again.metadata?.uid !== copy.metadata?.uid;
      });
      await configMaps.patch({ namespace, name: 'source' }, { data: { greeting: 'hi' } }, { type: 'merge' });
      await waitFor(
        'the copy to follow',
        async () => (await configMaps.get(copyRef)).data?.greeting === 'hi',
      );
      expect(new Set(reconciled)).toEqual(new Set([`${namespace}/source`]));

      const event = await waitFor('an aggregated Event', async () => {
        const { items } = await e2eClient().resource<CoreEvent>(Events).list({ namespace });
        const copied = items.filter((e) => e.reason === 'Copied' && e.involvedObject.name === 'source');
        return copied.length === 1 && (copied[0]?.count ?? 0) > 1 && copied[0];
      });
      expect(event).toMatchObject({ type: 'Normal', message: 'data copied to source-copy' });
      expect(event.source.component).toBe('runtime-e2e');

      await expectControllerMetrics(port, leaseName);
    } finally {
      stop.abort();
      await running;
    }
  });
});
