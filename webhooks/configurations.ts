// Builders for our MutatingWebhookConfiguration and ValidatingWebhookConfiguration. The reasons behind
// each setting are in webhooks/README.md.
import { stringify } from 'yaml';
import { KINDS } from '../apis/kinds';
import type { JsonPatchOp } from './admission';

export const WEBHOOK_GROUP = 'apps.kruise.io';
export const MUTATING_CONFIGURATION_NAME = 'outrigger-mutating-webhook-configuration';
export const VALIDATING_CONFIGURATION_NAME = 'outrigger-validating-webhook-configuration';
export const WEBHOOK_SERVICE_NAME = 'outrigger-webhook-service';
export const OPERATOR_NAMESPACE = 'outrigger-system';
/** controller-runtime's default webhook port; the Service maps 443 to it. */
export const WEBHOOK_PORT = 9443;

export interface WebhookKind {
  kind: 'CloneSet' | 'StatefulSet' | 'BroadcastJob' | 'SidecarSet';
  /** Lower-case name used in paths and webhook names, as OpenKruise does. */
  name: string;
  resource: string;
  versions: string[];
  scope: 'Namespaced' | 'Cluster';
  mutatePath: string;
  validatePath: string;
}

const kind = (k: WebhookKind['kind'], resource: string, scope: WebhookKind['scope']) => {
  const name = k.toLowerCase();
  return {
    kind: k,
    name,
    resource,
    // Every served version: requests arrive in the version the user wrote, so errors name their fields.
    versions: KINDS[k].versions.map((v) => v.name),
    scope,
    mutatePath: `/mutate-apps-kruise-io-${name}`,
    validatePath: `/validate-apps-kruise-io-${name}`,
  } satisfies WebhookKind;
};

/** Our four CR kinds; their handlers must be registered at these paths. */
export const WEBHOOK_KINDS: readonly WebhookKind[] = [
  kind('CloneSet', 'clonesets', 'Namespaced'),
  kind('StatefulSet', 'statefulsets', 'Namespaced'),
  kind('BroadcastJob', 'broadcastjobs', 'Namespaced'),
  kind('SidecarSet', 'sidecarsets', 'Cluster'),
];

/** The sidecar injector's path (OpenKruise's /mutate-pod). */
export const POD_MUTATE_PATH = '/mutate-pod';

type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface WebhookClientConfig {
  url?: string;
  service?: { name: string; namespace: string; path: string; port: number };
  caBundle?: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules: {
    apiGroups: string[];
    apiVersions: string[];
    resources: string[];
    operations: Operation[];
    scope: 'Namespaced' | 'Cluster' | '*';
  }[];
  failurePolicy: 'Fail' | 'Ignore';
  matchPolicy: 'Exact' | 'Equivalent';
  sideEffects: 'None' | 'NoneOnDryRun';
  timeoutSeconds: number;
  admissionReviewVersions: string[];
  namespaceSelector?: LabelSelector;
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

export interface WebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  metadata: { name: string; labels?: Record<string, string> };
  webhooks: Webhook[];
}

/** Where the apiserver calls us: a URL on loopback (local cluster) or a Service (real cluster). */
export type WebhookEndpoint =
  | { type: 'url'; host: string; port: number }
  | { type: 'service'; name: string; namespace: string; port: number };

export const localEndpoint = (port: number, host = '127.0.0.1'): WebhookEndpoint => ({
  type: 'url',
  host,
  port,
});

export const serviceEndpoint = (
  namespace = OPERATOR_NAMESPACE,
  name = WEBHOOK_SERVICE_NAME,
  port = 443,
): WebhookEndpoint => ({ type: 'service', name, namespace, port });

export interface WebhookConfigurationOptions {
  endpoint: WebhookEndpoint;
  /** PEM CA bundle; omitted until the CertManager has one (then patched in). */
  caBundlePem?: string;
  /** Namespaces the pod webhook never sees, besides kube-system (our own, to avoid a bootstrap deadlock). */
  operatorNamespace?: string;
  timeoutSeconds?: number;
  podFailurePolicy?: 'Fail' | 'Ignore';
  /**
   * Register the pod webhook (default true). Leave it out while no pod handler is served: with
   * failurePolicy Fail, a registered webhook without a handler would block every pod create.
   */
  podWebhook?: boolean;
  names?: { mutating?: string; validating?: string };
}

/** Where the apiserver calls `path`: a loopback URL or the Service, with the caBundle when known. */
export function clientConfig(options: WebhookConfigurationOptions, path: string): WebhookClientConfig {
  const { endpoint, caBundlePem } = options;
  const config: WebhookClientConfig =
    endpoint.type === 'url'
      ? {
          url: `https://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}${path}`,
        }
      : { service: { name: endpoint.name, namespace: endpoint.namespace, path, port: endpoint.port } };
  if (caBundlePem) config.caBundle = Buffer.from(caBundlePem).toString('base64');
  return config;
}

function crWebhook(options: WebhookConfigurationOptions, k: WebhookKind, mutating: boolean): Webhook {
  const path = mutating ? k.mutatePath : k.validatePath;
  return {
    name: `${mutating ? 'm' : 'v'}${k.name}.kb.io`,
    clientConfig: clientConfig(options, path),
    rules: [
      {
        apiGroups: [WEBHOOK_GROUP],
        apiVersions: k.versions,
        resources: [k.resource],
        operations: ['CREATE', 'UPDATE'],
        scope: k.scope,
      },
    ],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds: options.timeoutSeconds ?? 10,
    admissionReviewVersions: ['v1'],
  };
}

function podWebhook(options: WebhookConfigurationOptions): Webhook {
  const excluded = ['kube-system', options.operatorNamespace ?? OPERATOR_NAMESPACE];
  return {
    name: 'mpod.kb.io',
    clientConfig: clientConfig(options, POD_MUTATE_PATH),
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        operations: ['CREATE'],
        scope: 'Namespaced',
      },
    ],
    failurePolicy: options.podFailurePolicy ?? 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds: options.timeoutSeconds ?? 10,
    admissionReviewVersions: ['v1'],
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(excluded)] },
        // OpenKruise's opt-out label, so namespaces labelled for Kruise stay excluded under Outrigger.
        { key: 'control-plane', operator: 'NotIn', values: ['openkruise'] },
      ],
    },
    reinvocationPolicy: 'Never',
  };
}

const labels = { 'app.kubernetes.io/name': 'outrigger', 'app.kubernetes.io/component': 'webhook' };

export function buildMutatingWebhookConfiguration(
  options: WebhookConfigurationOptions,
): WebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.names?.mutating ?? MUTATING_CONFIGURATION_NAME, labels },
    webhooks: [
      ...WEBHOOK_KINDS.map((k) => crWebhook(options, k, true)),
      ...(options.podWebhook === false ? [] : [podWebhook(options)]),
    ],
  };
}

export function buildValidatingWebhookConfiguration(
  options: WebhookConfigurationOptions,
): WebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.names?.validating ?? VALIDATING_CONFIGURATION_NAME, labels },
    webhooks: WEBHOOK_KINDS.map((k) => crWebhook(options, k, false)),
  };
}

/**
 * JSON patch setting every webhook's caBundle to `caBundlePem` in a fetched configuration; [] when
 * already up to date. Each change is guarded by a `test` on the webhook name, so a concurrent edit
 * that reorders webhooks fails the patch instead of writing into the wrong entry.
 */
export function caBundlePatchOps(
  config: { webhooks?: { name: string; clientConfig?: { caBundle?: string } }[] },
  caBundlePem: string,
): JsonPatchOp[] {
  const caBundle = Buffer.from(caBundlePem).toString('base64');
  return (config.webhooks ?? []).flatMap((webhook, i): JsonPatchOp[] => {
    if (webhook.clientConfig?.caBundle === caBundle) return [];
    const at = `/webhooks/${i}/clientConfig`;
    const op = webhook.clientConfig?.caBundle === undefined ? 'add' : 'replace';
    return [
      { op: 'test', path: `/webhooks/${i}/name`, value: webhook.name },
      { op, path: `${at}/caBundle`, value: caBundle },
    ];
  });
}

/** The Service-based configurations in config/webhook/manifests.yaml (caBundle patched at runtime). */
export function renderClusterManifests(namespace = OPERATOR_NAMESPACE): string {
  const options: WebhookConfigurationOptions = {
    endpoint: serviceEndpoint(namespace),
    operatorNamespace: namespace,
    // No pod handler is served until SidecarSet injection lands.
    podWebhook: false,
  };
  const header =
    '# Generated from webhooks/configurations.ts by webhooks/configurations.test.ts; do not edit.\n';
  const docs = [buildMutatingWebhookConfiguration(options), buildValidatingWebhookConfiguration(options)];
  return header + docs.map((doc) => `---\n${stringify(doc, { lineWidth: 0 })}`).join('');
}
