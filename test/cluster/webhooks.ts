import { CONVERSION_PATH } from '../../apis/gen-crds';
import { installCrds } from '../../apis/install';
import { waitFor } from '../../cluster/wait';
import { silentLogger } from '../../runtime/log';
import { createRuntimeMetrics } from '../../runtime/metrics';
import { customResourceRegistry } from '../../webhooks/custom-resources';
import { type Webhooks, webhookRunnable } from '../../webhooks/setup';
import { e2eClient } from './e2e';
import { E2E_ENV } from './globalSetup';

export const OPERATOR_NS = 'outrigger-system';

/** Our CR webhooks (admission and conversion) served from this process at `port` until stop(). */
export function serveWebhooks(port: number): { webhooks: Webhooks; stop(): Promise<void> } {
  const abort = new AbortController();
  const webhooks = webhookRunnable({
    client: e2eClient(),
    registry: customResourceRegistry(e2eClient()),
    mode: 'local',
    namespace: OPERATOR_NS,
    host: '127.0.0.1',
    port,
    metricsRegistry: createRuntimeMetrics().registry,
    logger: silentLogger(),
  });
  const served = webhooks.start(abort.signal);
  return {
    webhooks,
    stop: async () => {
      abort.abort();
      await served;
    },
  };
}

/** The one port this run's test files serve our webhooks on, one file at a time (see globalSetup). */
export function e2eWebhookPort(): number {
  const port = Number(process.env[E2E_ENV.webhookPort]);
  if (!port) throw new Error(`${E2E_ENV.webhookPort} is not set: run e2e tests through jest's e2e project`);
  return port;
}

/** Installs our CRDs with their conversion webhook at https://127.0.0.1:<port>; returns the port. */
export async function installCrdsForLocalWebhooks(): Promise<number> {
  const port = e2eWebhookPort();
  await installCrds(e2eClient(), { conversion: { url: `https://127.0.0.1:${port}${CONVERSION_PATH}` } });
  return port;
}

/**
 * Installs our CRDs and serves our CR admission and conversion webhooks in this process for the test
 * file's lifetime, registered with the apiserver as https://127.0.0.1:<port> and removed afterwards.
 */
export function useCustomResourceWebhooks(): { webhooks: Webhooks } {
  const holder = {} as { webhooks: Webhooks };
  let served: ReturnType<typeof serveWebhooks> | undefined;
  beforeAll(async () => {
    served = serveWebhooks(await installCrdsForLocalWebhooks());
    holder.webhooks = served.webhooks;
    await waitFor('the webhooks to serve', () => holder.webhooks.ready());
  });
  afterAll(async () => {
    await served?.stop();
  });
  return holder;
}
