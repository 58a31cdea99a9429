// An informer keeps serving across a kube-apiserver stop and restart, and what changed while its
// apiserver was down (written through a second apiserver on the same etcd) reaches its cache and handlers.

import { startLocalCluster } from '../../cluster/cluster';
import { waitFor } from '../../cluster/wait';
import { createClient, type KubeClient } from '../../runtime/client';
import type { EventHandler } from '../../runtime/informer';
import { InformerFactory } from '../../runtime/informerfactory';
import { ConfigMaps, type KubeObject, Namespaces } from '../../runtime/meta';
import { createRuntimeMetrics, type RuntimeMetrics } from '../../runtime/metrics';
import { itOnLocalCluster } from '../cluster/e2e';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const NAMESPACE = 'informer-e2e';

/** Handler calls as "add name v", "update name v→v", "delete name", in order. */
function recordingHandler(calls: string[]): EventHandler<ConfigMap> {
  const v = (cm: ConfigMap) => cm.data?.v;
  return {
    onAdd: (cm) => calls.push(`add ${cm.metadata?.name} ${v(cm)}`),
    onUpdate: (old, cm) => calls.push(`update ${cm.metadata?.name} ${v(old)}→${v(cm)}`),
    onDelete: (cm) => calls.push(`delete ${cm.metadata?.name}`),
  };
}

const configMap = (name: string, v: string): ConfigMap => ({
  metadata: { name, namespace: NAMESPACE },
  data: { v },
});

async function counterValue(
  metric: RuntimeMetrics['informerRelists'] | RuntimeMetrics['informerWatchRestarts'],
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  const matches = values.filter((s) => {
    const sampleLabels: Record<string, unknown> = s.labels;
    return Object.entries(labels).every(([k, val]) => sampleLabels[k] === val);
  });
  return matches.reduce((sum, s) => sum + s.value, 0);
}

const describeConfigMap = (cm: ConfigMap) =>
  `${cm.metadata?.name} ${cm.data?.v} ${cm.metadata?.resourceVersion}`;

/** The namespace's ConfigMaps on the server as "name v resourceVersion", sorted. */
async function serverState(client: KubeClient): Promise<string[]> {
  const { items } = await client.resource<ConfigMap>(ConfigMaps).list({ namespace: NAMESPACE });
  return items.map(describeConfigMap).sort();
}

/** A ConfigMap informer of NAMESPACE through the shared factory, recording its handler calls. */
async function startRecordingInformer(client: KubeClient, signal: AbortSignal) {
  const metrics = createRuntimeMetrics();
  // A short backoff keeps the test quick; the reconnect logic is the same as with the defaults.
  const factory = new InformerFactory(client, { metrics, backoff: { initialMs: 200, maxMs: 2000 } });
  const informer = factory.informerFor<ConfigMap>(ConfigMaps, { namespace: NAMESPACE });
  const calls: string[] = [];
  informer.addEventHandler(recordingHandler(calls));
  factory.start(signal);
  expect(await factory.waitForSync()).toBe(true);
  return { informer, calls, metrics };
}

/** An add, an update and a delete. */
async function changeEverything(writer: KubeClient): Promise<void> {
  const configMaps = writer.resource<ConfigMap>(ConfigMaps);
  await configMaps.create(configMap('added', '1'));
  const toUpdate = await configMaps.get({ namespace: NAMESPACE, name: 'update-me' });
  await configMaps.update({ ...toUpdate, data: { v: '2' } });
  await configMaps.delete({ namespace: NAMESPACE, name: 'delete-me' });
}

describe('runtime informer against a restarting kube-apiserver', () => {
  itOnLocalCluster('serves while the apiserver is down and catches up with every change after', async () => {
    const cluster = await startLocalCluster({ controllerManager: false, scheduler: false, kwok: false });
    const stop = new AbortController();
    const client = createClient(cluster.kubeconfigPath);
    let writer: KubeClient | undefined;
    try {
      await client.resource(Namespaces).create({ metadata: { name: NAMESPACE } });
      const configMaps = client.resource<ConfigMap>(ConfigMaps);
      for (const name of ['keep', 'update-me', 'delete-me']) await configMaps.create(configMap(name, '1'));
      const { informer, calls, metrics } = await startRecordingInformer(client, stop.signal);
      expect(calls.sort()).toEqual(['add delete-me 1', 'add keep 1', 'add update-me 1']);
      calls.length = 0;

      const extra = await cluster.startExtraApiServer();
      writer = createClient(extra.kubeconfigPath);
      await cluster.stopApiServer();
      await waitFor('the informer to fail reconnecting', async () => {
        return (await counterValue(metrics.informerWatchRestarts, { cause: 'error' })) > 0;
      });
      await changeEverything(writer);
      // Down: the cache keeps serving what it had, and no handler heard of the changes.
      expect(informer.hasSynced()).toBe(true);
      expect(informer.lister.keys().sort()).toEqual(['delete-me', 'keep', 'update-me'].map(key));
      expect(calls).toEqual([]);

      await cluster.startApiServer();
      const expected = await serverState(writer);
      await waitFor('the cache to match the server', () => {
        const cached = informer.lister.list().map(describeConfigMap);
        return JSON.stringify(cached.sort()) === JSON.stringify(expected);
      });
      expect(calls.sort()).toEqual(['add added 1', 'delete delete-me', 'update update-me 1→2']);
      // The restarted apiserver's watch cache begins after the informer's resourceVersion: 410, relist, diff.
      expect(await counterValue(metrics.informerRelists, { reason: 'gone' })).toBeGreaterThan(0);

      // And the informer watches again through its own apiserver.
      calls.length = 0;
      const keep = await configMaps.get({ namespace: NAMESPACE, name: 'keep' });
      await configMaps.update({ ...keep, data: { v: '2' } });
      await waitFor('the live update', () => calls.includes('update keep 1→2'));
    } finally {
      stop.abort();
      client.close();
      writer?.close();
      await cluster.stop();
    }
  });
});

const key = (name: string) => `${NAMESPACE}/${name}`;
