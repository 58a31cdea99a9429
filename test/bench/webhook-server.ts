// bench:webhook's operator side, in its own process as in production: our CR webhooks and the pod
// injector on a loopback port, registered with the bench's apiserver, with the pod handler timed.
// Driven over IPC by test/bench/webhook.ts: 'times' returns (and clears) the handler latencies in ms.
import { performance } from 'node:perf_hooks';
import { createClient } from '../../runtime/client';
import { InformerFactory } from '../../runtime/informerfactory';
import { silentLogger } from '../../runtime/log';
import type { AdmissionHandler } from '../../webhooks/admission';
import { POD_MUTATE_PATH } from '../../webhooks/configurations';
import { customResourceRegistry } from '../../webhooks/custom-resources';
import { informerPodInjectionSources, podInjectionHandler } from '../../webhooks/pod';
import { removePodWebhookConfiguration, webhookRunnable } from '../../webhooks/setup';

export type ServerMessage = { type: 'ready'; port: number } | { type: 'times'; times: number[] };
export type ClientMessage = { type: 'times' } | { type: 'stop' };

async function main(): Promise<void> {
  const [kubeconfig, namespace] = process.argv.slice(2);
  if (!kubeconfig || !namespace) throw new Error('usage: webhook-server.ts KUBECONFIG NAMESPACE');
  const client = createClient(kubeconfig);
  const informers = new InformerFactory(client, { logger: silentLogger() });
  const inner = podInjectionHandler(informerPodInjectionSources(client, informers, namespace), {
    operatorNamespace: namespace,
  });
  let times: number[] = [];
  const timed: AdmissionHandler = async (req, signal) => {
    const started = performance.now();
    try {
      return await inner(req, signal);
    } finally {
      times.push(performance.now() - started);
    }
  };
  const registry = customResourceRegistry(client, namespace).mutating(POD_MUTATE_PATH, timed);
  const webhooks = webhookRunnable({
    client,
    registry,
    mode: 'local',
    namespace,
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
  });
  const stop = new AbortController();
  informers.start(stop.signal);
  const served = webhooks.start(stop.signal);
  while (!webhooks.ready() || !informers.hasSynced()) await new Promise((r) => setTimeout(r, 50));
  process.on('message', async (message: ClientMessage) => {
    if (message.type === 'times') {
      process.send?.({ type: 'times', times } satisfies ServerMessage);
      times = [];
    } else {
      stop.abort();
      await served;
      await removePodWebhookConfiguration(client);
      client.close();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', port: webhooks.port() ?? 0 } satisfies ServerMessage);
}

main().catch((err: Error) => {
  process.stderr.write(`webhook-server: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
