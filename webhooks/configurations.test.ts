import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyJsonPatch } from '../runtime/json';
import { AdmissionRegistry, allowed } from './admission';
import {
  buildMutatingWebhookConfiguration,
  buildPodWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  caBundlePatchOps,
  clientConfig,
  endpointOfUrl,
  localEndpoint,
  OPERATOR_NAMESPACE,
  POD_MUTATE_PATH,
  serviceEndpoint,
  WEBHOOK_KINDS,
  type WebhookConfiguration,
  webhookSummary,
} from './configurations';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const local = { endpoint: localEndpoint(9443), caBundlePem: CA_PEM };
const byMetadataName = (a: WebhookConfiguration, b: WebhookConfiguration) =>
  a.metadata.name.localeCompare(b.metadata.name);
const byName = (config: WebhookConfiguration, name: string) => config.webhooks.find((w) => w.name === name)!;

describe('webhook configurations', () => {
  it('registers a mutating webhook per CR kind, and the pod injector on its own', () => {
    const config = buildMutatingWebhookConfiguration(local);
    expect(config).toMatchObject({
      kind: 'MutatingWebhookConfiguration',
      apiVersion: 'admissionregistration.k8s.io/v1',
    });
    expect(config.webhooks.map((w) => w.name)).toEqual([
      'mcloneset.kb.io',
      'mstatefulset.kb.io',
      'mbroadcastjob.kb.io',
      'msidecarset.kb.io',
    ]);
    const pods = buildPodWebhookConfiguration(local);
    expect(pods.metadata.name).toBe('outrigger-pod-mutating-webhook-configuration');
    expect(pods.webhooks.map((w) => w.name)).toEqual(['mpod.kb.io']);
    expect(byName(config, 'mstatefulset.kb.io').rules).toEqual([
      {
        apiGroups: ['apps.kruise.io'],
        apiVersions: ['v1alpha1', 'v1beta1'],
        resources: ['statefulsets'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      },
    ]);
    expect(byName(config, 'msidecarset.kb.io').rules[0]?.scope).toBe('Cluster');
    expect(byName(pods, 'mpod.kb.io').rules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        operations: ['CREATE'],
        scope: 'Namespaced',
      },
    ]);
  });

  it('registers a validating webhook per CR kind and none for pods', () => {
    const config = buildValidatingWebhookConfiguration(local);
    expect(config.kind).toBe('ValidatingWebhookConfiguration');
    expect(config.webhooks.map((w) => w.clientConfig.url)).toEqual(
      WEBHOOK_KINDS.map((k) => `https://127.0.0.1:9443${k.validatePath}`),
    );
  });

  it('uses safe settings on every webhook', () => {
    const all = [
      buildMutatingWebhookConfiguration(local),
      buildValidatingWebhookConfiguration(local),
      buildPodWebhookConfiguration(local),
    ];
    for (const webhook of all.flatMap((c) => c.webhooks)) {
      expect(webhook).toMatchObject({
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
      });
      expect(webhook.name.split('.').length).toBeGreaterThanOrEqual(3);
      expect(Buffer.from(webhook.clientConfig.caBundle!, 'base64').toString()).toBe(CA_PEM);
    }
  });

  it('keeps the pod webhook out of kube-system, the operator namespace and opted-out namespaces', () => {
    const pod = byName(buildPodWebhookConfiguration({ ...local, operatorNamespace: 'ops' }), 'mpod.kb.io');
    expect(pod.namespaceSelector?.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'ops'] },
      { key: 'control-plane', operator: 'NotIn', values: ['openkruise'] },
      { key: 'outrigger.io/sidecar-injection', operator: 'NotIn', values: ['disabled'] },
    ]);
    expect(pod.failurePolicy).toBe('Fail');
    expect(pod.reinvocationPolicy).toBe('Never');
    expect(pod.clientConfig.url).toBe(`https://127.0.0.1:9443${POD_MUTATE_PATH}`);
  });

  it('points at the Service in a real cluster', () => {
    const config = buildValidatingWebhookConfiguration({ endpoint: serviceEndpoint('ops') });
    expect(config.webhooks[0]?.clientConfig).toEqual({
      service: {
        name: 'outrigger-webhook-service',
        namespace: 'ops',
        path: '/validate-apps-kruise-io-cloneset',
        port: 443,
      },
    });
  });

  it('brackets an IPv6 loopback host in the URL', () => {
    const config = buildValidatingWebhookConfiguration({ endpoint: localEndpoint(8443, '::1') });
    expect(config.webhooks[0]?.clientConfig.url).toBe('https://[::1]:8443/validate-apps-kruise-io-cloneset');
  });

  it('uses paths the admission registry accepts', () => {
    const registry = new AdmissionRegistry();
    for (const k of WEBHOOK_KINDS)
      registry.mutating(k.mutatePath, () => allowed()).validating(k.validatePath, () => allowed());
    registry.mutating(POD_MUTATE_PATH, () => allowed());
    expect(registry.list()).toHaveLength(9);
  });
});

describe('endpointOfUrl', () => {
  it('takes https://HOST[:PORT], IPv6 too, and the webhook paths go after it', () => {
    expect(endpointOfUrl('https://127.0.0.1:31443')).toEqual(localEndpoint(31443, '127.0.0.1'));
    expect(endpointOfUrl('https://webhooks.example')).toEqual(localEndpoint(443, 'webhooks.example'));
    expect(clientConfig({ endpoint: endpointOfUrl('https://[::1]:9443') }, POD_MUTATE_PATH).url).toBe(
      'https://[::1]:9443/mutate-pod',
    );
  });

  it.each([
    'http://127.0.0.1:9443',
    'https://127.0.0.1:9443/',
    'https://127.0.0.1:9443/mutate-pod',
    'https://127.0.0.1:9443?x=1',
    'https://user@127.0.0.1:9443',
    '127.0.0.1:9443',
  ])('refuses %s', (url) => {
    expect(() => endpointOfUrl(url)).toThrow(/https:\/\/HOST|not a URL/);
  });
});

describe('webhookSummary', () => {
  it('names every configuration we register, every kind and the conversion path', () => {
    const text = webhookSummary().join('\n');
    for (const config of [
      buildMutatingWebhookConfiguration(local),
      buildValidatingWebhookConfiguration(local),
      buildPodWebhookConfiguration(local),
    ]) {
      expect(text).toContain(config.metadata.name);
    }
    for (const k of WEBHOOK_KINDS) expect(webhookSummary()[0]).toContain(k.kind);
    expect(text).toContain(POD_MUTATE_PATH);
    expect(webhookSummary()[2]).toBe(
      'conversion between the served versions of CloneSet, StatefulSet, SidecarSet (/convert)',
    );
  });
});

describe('caBundlePatchOps', () => {
  it('sets every caBundle, guarded by the webhook name, and is then a no-op', () => {
    const config = buildMutatingWebhookConfiguration({ endpoint: serviceEndpoint() });
    const ops = caBundlePatchOps(config, CA_PEM);
    expect(ops).toHaveLength(config.webhooks.length * 2);
    const patched = applyJsonPatch(config, ops) as WebhookConfiguration;
    expect(
      patched.webhooks.every((w) => Buffer.from(w.clientConfig.caBundle!, 'base64').toString() === CA_PEM),
    ).toBe(true);
    expect(caBundlePatchOps(patched, CA_PEM)).toEqual([]);
    const rotated = caBundlePatchOps(patched, `${CA_PEM}${CA_PEM}`);
    expect(rotated.filter((op) => op.op === 'replace')).toHaveLength(config.webhooks.length);
  });

  it('fails rather than writing into the wrong webhook after a reorder', () => {
    const config = buildMutatingWebhookConfiguration({ endpoint: serviceEndpoint() });
    const ops = caBundlePatchOps(config, CA_PEM);
    const reordered = { ...config, webhooks: [...config.webhooks].reverse() };
    expect(() => applyJsonPatch(reordered, ops)).toThrow(/test failed/);
  });
});

describe('config/webhook/manifests.yaml', () => {
  const file = join(__dirname, '..', 'config', 'webhook', 'manifests.yaml');

  it('holds what the builders make for the Service (rendered from the chart, see charts/render.ts)', () => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as WebhookConfiguration);
    const options = { endpoint: serviceEndpoint(), operatorNamespace: OPERATOR_NAMESPACE };
    const built = [
      buildMutatingWebhookConfiguration(options),
      buildValidatingWebhookConfiguration(options),
      buildPodWebhookConfiguration(options),
    ];
    expect(docs.sort(byMetadataName)).toEqual(built.sort(byMetadataName));
  });

  it('holds the three configurations pointing at the Service', () => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as WebhookConfiguration);
    expect(docs.map((d) => d.metadata.name).sort()).toEqual([
      'outrigger-mutating-webhook-configuration',
      'outrigger-pod-mutating-webhook-configuration',
      'outrigger-validating-webhook-configuration',
    ]);
    for (const webhook of docs.flatMap((d) => d.webhooks)) {
      expect(webhook.clientConfig.service).toMatchObject({
        name: 'outrigger-webhook-service',
        namespace: OPERATOR_NAMESPACE,
      });
      expect(webhook.clientConfig.url).toBeUndefined();
    }
  });
});
