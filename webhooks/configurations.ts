// Builders for our MutatingWebhookConfiguration and ValidatingWebhookConfiguration. The reasons behind
// each setting are in webhooks/README.md.
import { CONVERSION_PATH } from '../apis/gen-crds';
import { KIND_NAMES, KINDS, type KindName } from '../apis/kinds';
import { InjectionOptOutLabel } from '../controllers/sidecarset/match';
import type { JsonPatchOp } from '../runtime/json';

export const MUTATING_CONFIGURATION_NAME = 'outrigger-mutating-webhook-configuration';
export const VALIDATING_CONFIGURATION_NAME = 'outrigger-validating-webhook-configuration';
/** The pod injector has its own configuration: it stays registered while the operator is down. */
export const POD_MUTATING_CONFIGURATION_NAME = 'outrigger-pod-mutating-webhook-configuration';
/** A namespace labelled with this, value "disabled", gets no sidecars injected. */
export const INJECTION_OPT_OUT_LABEL = InjectionOptOutLabel;
export const WEBHOOK_SERVICE_NAME = 'outrigger-webhook-service';
export const OPERATOR_NAMESPACE = 'outrigger-system';
/** controller-runtime's default webhook port; the Service maps 443 to it. */
export const WEBHOOK_PORT = 9443;

export interface WebhookKind {
  kind: KindName;
  group: string;
  /** Lower-case name used in paths and webhook names, as OpenKruise does. */
  name: string;
  resource: string;
  versions: string[];
  scope: 'Namespaced' | 'Cluster';
  mutatePath: string;
  validatePath: string;
}

/** Our CR kinds, as apis/kinds lists them; their handlers must be registered at these paths. */
export const WEBHOOK_KINDS: readonly WebhookKind[] = KIND_NAMES.map((kind) => {
  const info = KINDS[kind];
  const name = kind.toLowerCase();
  return {
    kind,
    group: info.group,
    name,
    resource: info.plural,
    // Every served version: requests arrive in the version the user wrote, so errors name their fields.
    versions: info.versions.map((v) => v.name),
    scope: info.scope,
    mutatePath: `/mutate-apps-kruise-io-${name}`,
    validatePath: `/validate-apps-kruise-io-${name}`,
  };
});

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

/** An https://HOST[:PORT] URL as an endpoint; anything after the port is refused (the paths are ours). */
export function endpointOfUrl(url: string): WebhookEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: "${url}"`);
  }
  const extra = parsed.pathname !== '/' || parsed.search || parsed.hash || parsed.username;
  if (parsed.protocol !== 'https:' || extra || url.endsWith('/')) {
    throw new Error(`want https://HOST[:PORT] and nothing more, got "${url}"`);
  }
  return localEndpoint(Number(parsed.port || 443), parsed.hostname.replace(/^\[(.*)\]$/, '$1'));
}

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
  names?: { mutating?: string; validating?: string; pod?: string };
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
        apiGroups: [k.group],
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

/** The same scope as controllers/sidecarset/match.ts isInjectableNamespace. */
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
        { key: INJECTION_OPT_OUT_LABEL, operator: 'NotIn', values: ['disabled'] },
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
    webhooks: WEBHOOK_KINDS.map((k) => crWebhook(options, k, true)),
  };
}

/** The sidecar injector (mpod.kb.io); see webhooks/README.md for why it fails closed. */
export function buildPodWebhookConfiguration(options: WebhookConfigurationOptions): WebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.names?.pod ?? POD_MUTATING_CONFIGURATION_NAME, labels },
    webhooks: [podWebhook(options)],
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

/** What the admission server serves, one line each, for the operator's start-up report. */
export function webhookSummary(): string[] {
  const kinds = WEBHOOK_KINDS.map((k) => k.kind).join(', ');
  const converted = KIND_NAMES.filter((kind) => KINDS[kind].conversion === 'Webhook').join(', ');
  return [
    `defaulting and validation of ${kinds} (${MUTATING_CONFIGURATION_NAME}, ${VALIDATING_CONFIGURATION_NAME})`,
    `sidecar injection into new pods (${POD_MUTATING_CONFIGURATION_NAME}, ${POD_MUTATE_PATH})`,
    `conversion between the served versions of ${converted} (${CONVERSION_PATH})`,
  ];
}
