// Runs the admission server as one manager runnable, on every replica: with self-managed certificates,
// or (cluster mode) with certificates another party keeps in a directory (cert-manager, see cert-dir.ts).
import type { Registry } from 'prom-client';
import { CONVERSION_PATH } from '../apis/gen-crds';
import type { KubeClient } from '../runtime/client';
import type { Runnable } from '../runtime/controller';
import { isNotFound } from '../runtime/errors';
import type { Logger } from '../runtime/log';
import type { Manager } from '../runtime/manager';
import { MutatingWebhookConfigurations, Namespaces, ValidatingWebhookConfigurations } from '../runtime/meta';
import type { AdmissionRegistry } from './admission';
import { CERT_DIR_ENV, CertDirSource } from './cert-dir';
import { CertManager, caBundlePem, tlsKeyPair, WEBHOOK_CERT_SECRET, webhookHosts } from './certs';
import {
  buildMutatingWebhookConfiguration,
  buildPodWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  localEndpoint,
  MUTATING_CONFIGURATION_NAME,
  POD_MUTATE_PATH,
  POD_MUTATING_CONFIGURATION_NAME,
  serviceEndpoint,
  VALIDATING_CONFIGURATION_NAME,
  WEBHOOK_SERVICE_NAME,
  type WebhookEndpoint,
} from './configurations';
import { CrdConversionSink } from './crd-conversion';
import { customResourceRegistry } from './custom-resources';
import { SecretCertStore, WebhookConfigurationSink } from './kube';
import { informerPodInjectionSources, registerPodWebhook } from './pod';
import { WebhookServer } from './server';

export interface WebhookRunnableOptions {
  client: KubeClient;
  registry: AdmissionRegistry;
  /**
   * 'local': the apiserver runs on this host; we register the webhook configurations with
   * https://127.0.0.1:<port> URLs and remove the CR ones when we stop. The pod injector's stays, so
   * that pods created while we are down fail and are retried rather than start without their sidecars
   * (removePodWebhookConfiguration removes it). 'cluster': the configurations come from config/webhook
   * (Service clientConfig) and we keep only their caBundle current.
   */
  mode: 'local' | 'cluster';
  /** Where the certificate Secret lives: the operator's namespace. */
  namespace: string;
  /** '0.0.0.0' in a pod, '127.0.0.1' locally. */
  host: string;
  /** 0 picks a free port (local mode only). */
  port: number;
  /**
   * Cluster mode: where the apiserver reaches the replicas, for the CRDs' conversion webhook and the
   * serving certificate's names. Default: the Service in config/webhook. A URL serves clusters that reach
   * the webhooks another way (the chaos suite's loopback "Service").
   */
  clusterEndpoint?: WebhookEndpoint;
  /**
   * Serve tls.crt and tls.key from this directory (cluster mode) instead of self-managed certificates:
   * no Secret is written and no caBundle patched (cert-manager's cainjector does that). Default: the
   * WEBHOOK_CERT_DIR environment variable, which the Helm chart sets in its cert-manager mode.
   */
  certDir?: string;
  metricsRegistry?: Registry;
  logger?: Logger;
}

export interface Webhooks extends Runnable {
  /** True once serving with a certificate the apiserver trusts; a readiness check. */
  ready(): boolean;
  /** The port being served, once started. */
  port(): number | undefined;
  /** Re-check the certificates now (the periodic check runs every minute), e.g. after the Secret changed. */
  checkCertificates(): Promise<void>;
}

/**
 * The operator's webhooks on `mgr`'s client: CR admission and conversion, and the pod injector fed by the
 * manager's informers. Add the result to the manager; or start it on its own first, where conversion must
 * serve before any informer watches.
 */
export function operatorWebhooks(
  mgr: Manager,
  options: Pick<WebhookRunnableOptions, 'mode' | 'namespace' | 'host' | 'port' | 'clusterEndpoint'>,
): Webhooks {
  const { namespace } = options;
  const registry = customResourceRegistry(mgr.client, namespace);
  registerPodWebhook(registry, informerPodInjectionSources(mgr.client, mgr.informers, namespace), {
    operatorNamespace: namespace,
    logger: mgr.logger.child({ component: 'pod-webhook' }),
  });
  return webhookRunnable({
    ...options,
    client: mgr.client,
    registry,
    metricsRegistry: mgr.metrics.registry,
    logger: mgr.logger.child({ component: 'webhooks' }),
  });
}

export function webhookRunnable(options: WebhookRunnableOptions): Webhooks {
  const certDir = options.certDir ?? (process.env[CERT_DIR_ENV] || undefined);
  if (certDir) {
    if (options.mode !== 'cluster') {
      throw new Error(`${CERT_DIR_ENV} (certificates from ${certDir}) needs cluster webhook mode`);
    }
    return certDirWebhooks(options, certDir);
  }
  const { client, namespace } = options;
  // The CRDs' conversion webhook: the Service in a cluster; our loopback URL once listening, locally.
  let conversionEndpoint: WebhookEndpoint | undefined =
    options.mode === 'cluster' ? (options.clusterEndpoint ?? serviceEndpoint(namespace)) : undefined;
  const crdSink = new CrdConversionSink(client, () => conversionEndpoint);
  const sinks = [
    new WebhookConfigurationSink(client, MutatingWebhookConfigurations, MUTATING_CONFIGURATION_NAME),
    new WebhookConfigurationSink(client, ValidatingWebhookConfigurations, VALIDATING_CONFIGURATION_NAME),
    new WebhookConfigurationSink(client, MutatingWebhookConfigurations, POD_MUTATING_CONFIGURATION_NAME),
    ...(options.registry.get(CONVERSION_PATH) ? [crdSink] : []),
  ];
  const certs = new CertManager({
    store: new SecretCertStore(client, namespace, WEBHOOK_CERT_SECRET),
    hosts: certificateHosts(namespace, options.mode === 'cluster' ? options.clusterEndpoint : undefined),
    sinks,
    logger: options.logger,
  });
  let server: WebhookServer | undefined;
  let registered = false;
  return {
    name: 'webhooks',
    needLeaderElection: false,
    // Locally, ready once the apiserver has been told where we serve, not merely once we listen.
    ready: () => (server?.ready ?? false) && (options.mode !== 'local' || registered),
    port: () => server?.address()?.port,
    checkCertificates: async () => void (await certs.ensure()),
    async start(signal) {
      if (options.mode === 'local') await ensureNamespace(client, namespace);
      const bundle = await certs.ensure();
      server = new WebhookServer({
        registry: options.registry,
        host: options.host,
        port: options.port,
        tls: tlsKeyPair(bundle),
        metricsRegistry: options.metricsRegistry,
        logger: options.logger,
      });
      const activeServer = server;
      certs.subscribe((pair) => activeServer.setCertificate(pair));
      const { port } = await server.listen();
      options.logger?.info({ host: options.host, port, mode: options.mode }, 'serving admission webhooks');
      if (options.mode === 'local') {
        // Conversion first: admission may read objects through it. Left in place when we stop, so reads
        // that need conversion then fail clearly instead of returning unconverted objects.
        conversionEndpoint = localEndpoint(port);
        if (sinks.includes(crdSink)) await crdSink.patchCaBundle(caBundlePem(bundle));
        await registerLocalConfigurations(options, port, caBundlePem(bundle));
        registered = true;
      }
      try {
        await Promise.all([certs.run(signal), aborted(signal)]);
      } finally {
        if (options.mode === 'local') await removeLocalConfigurations(client);
        await server.close();
      }
    },
  };
}

/** Cluster mode with certificates from `certDir`, reloaded when they change. */
function certDirWebhooks(options: WebhookRunnableOptions, certDir: string): Webhooks {
  let server: WebhookServer | undefined;
  const source = new CertDirSource(certDir, (pair) => server?.setCertificate(pair));
  return {
    name: 'webhooks',
    needLeaderElection: false,
    ready: () => server?.ready ?? false,
    port: () => server?.address()?.port,
    checkCertificates: async () => void (await source.check()),
    async start(signal) {
      server = new WebhookServer({
        registry: options.registry,
        host: options.host,
        port: options.port,
        tls: await source.load(),
        metricsRegistry: options.metricsRegistry,
        logger: options.logger,
      });
      const { port } = await server.listen();
      options.logger?.info({ host: options.host, port, certDir }, 'serving admission webhooks');
      try {
        await source.run(signal, {
          onError: (err) => options.logger?.warn({ err }, 'webhook certificates not reloaded'),
        });
      } finally {
        await server.close();
      }
    },
  };
}

/** The Service's names and loopback, plus the host of a cluster endpoint URL. */
function certificateHosts(namespace: string, endpoint?: WebhookEndpoint): string[] {
  const hosts = webhookHosts(WEBHOOK_SERVICE_NAME, namespace);
  if (endpoint?.type === 'url' && !hosts.includes(endpoint.host)) hosts.push(endpoint.host);
  return hosts;
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  );

async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  await client
    .resource(Namespaces)
    .apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'outrigger' });
}

async function registerLocalConfigurations(options: WebhookRunnableOptions, port: number, caBundle: string) {
  const config = {
    endpoint: localEndpoint(port),
    caBundlePem: caBundle,
    operatorNamespace: options.namespace,
  };
  const apply = { fieldManager: 'outrigger', force: true };
  const mutating = options.client.resource(MutatingWebhookConfigurations);
  await mutating.apply(buildMutatingWebhookConfiguration(config), apply);
  await options.client
    .resource(ValidatingWebhookConfigurations)
    .apply(buildValidatingWebhookConfiguration(config), apply);
  // Registered only while a handler serves it: with failurePolicy Fail it blocks pod creation otherwise.
  if (options.registry.get(POD_MUTATE_PATH))
    await mutating.apply(buildPodWebhookConfiguration(config), apply);
  else await removePodWebhookConfiguration(options.client);
}

async function remove(client: KubeClient, type: typeof MutatingWebhookConfigurations, name: string) {
  try {
    await client.resource(type).delete({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Local CR configurations point at this process; left behind, they would fail every later request they match. */
async function removeLocalConfigurations(client: KubeClient): Promise<void> {
  await remove(client, MutatingWebhookConfigurations, MUTATING_CONFIGURATION_NAME);
  await remove(client, ValidatingWebhookConfigurations, VALIDATING_CONFIGURATION_NAME);
}

/** Unregisters the pod injector, so pods are created without it (e.g. when a test cluster is reused). */
export async function removePodWebhookConfiguration(client: KubeClient): Promise<void> {
  await remove(client, MutatingWebhookConfigurations, POD_MUTATING_CONFIGURATION_NAME);
}
