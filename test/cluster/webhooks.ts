import { CONVERSION_PATH } from '../../apis/gen-crds';
import { installCrds } from '../../apis/install';
import { freePort } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { silentLogger } from '../../runtime/log';
import { createRuntimeMetrics } from '../../runtime/metrics';
import { customResourceRegistry } from '../../webhooks/custom-resources';
import { type Webhooks, webhookRunnable } from '../../webhooks/setup';
import { e2eClient } from './e2e';

export const OPERATOR_NS = 'outrigger-system';

/**
 * Installs our CRDs and serves our CR admission webhooks in this process for the test file's
 * lifetime, registered with the apiserver as https://127.0.0.1:<port> and removed afterwards.
 */
export function useCustomResourceWebhooks(): { webhooks: Webhooks } {
  const holder = {} as { webhooks: Webhooks };
  const stop = new AbortController();
  let served: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    const port = await freePort();
    await installCrds(e2eClient(), { conversion: { url: `https://127.0.0.1:${port}${CONVERSION_PATH}` } });
    holder.webhooks = webhookRunnable({
      client: e2eClient(),
      registry: customResourceRegistry(e2eClient()),
      mode: 'local',
      namespace: OPERATOR_NS,
      host: '127.0.0.1',
      port,
      metricsRegistry: createRuntimeMetrics().registry,
      logger: silentLogger(),
    });
    served = holder.webhooks.start(stop.signal);
    await waitFor('the webhooks to serve', () => holder.webhooks.ready());
  });
  afterAll(async () => {
    stop.abort();
    await served;
  });
  return holder;
}
