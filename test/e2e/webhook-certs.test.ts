// Self-managed webhook certificates on the real apiserver: an expired certificate is renewed in the
// Secret, in the caBundle and in the served TLS, while the apiserver keeps calling the webhook.
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { resourceOf } from '../../apis/install';
import { sleep, waitFor } from '../../cluster/wait';
import {
  type KubeObject,
  MutatingWebhookConfigurations,
  Secrets,
  ValidatingWebhookConfigurations,
} from '../../runtime/meta';
import {
  type CertBundle,
  CertManager,
  certBundleFromSecretData,
  certBundleToSecretData,
  DEFAULT_CERT_POLICY,
  generateCertBundle,
  WEBHOOK_CERT_SECRET,
  webhookHosts,
} from '../../webhooks/certs';
import {
  MUTATING_CONFIGURATION_NAME,
  VALIDATING_CONFIGURATION_NAME,
  WEBHOOK_SERVICE_NAME,
} from '../../webhooks/configurations';
import { SecretCertStore } from '../../webhooks/kube';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { OPERATOR_NS, useCustomResourceWebhooks } from '../cluster/webhooks';

type SecretObject = KubeObject & { data?: Record<string, string> };
type Configuration = KubeObject & { webhooks: { clientConfig: { caBundle?: string } }[] };

async function storedBundle(): Promise<{ bundle: CertBundle; secret: SecretObject }> {
  const secret = await e2eClient()
    .resource<SecretObject>(Secrets)
    .get({ namespace: OPERATOR_NS, name: WEBHOOK_CERT_SECRET });
  const decoded = Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
  const bundle = certBundleFromSecretData(decoded);
  if (!bundle) throw new Error('the webhook Secret holds no certificate bundle');
  return { bundle, secret };
}

async function caBundles(): Promise<string[]> {
  const read = async (type: typeof MutatingWebhookConfigurations, name: string) => {
    const config = await e2eClient().resource<Configuration>(type).get({ name });
    return config.webhooks.map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'));
  };
  return [
    ...(await read(MutatingWebhookConfigurations, MUTATING_CONFIGURATION_NAME)),
    ...(await read(ValidatingWebhookConfigurations, VALIDATING_CONFIGURATION_NAME)),
  ];
}

/** The certificate the webhook server presents on 127.0.0.1:port, as PEM-comparable fingerprint. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('webhook certificate rotation', () => {
  const ns = useTestNamespace('certs');
  const served = useCustomResourceWebhooks();

  itOnLocalCluster('renews an expired certificate everywhere while admission keeps succeeding', async () => {
    const webhooks = served.webhooks;
    const port = webhooks.port() ?? 0;
    const before = await storedBundle();
    expect(await servedFingerprint(port)).toBe(fingerprintOf(before.bundle.tlsCert));

    // Admission traffic through the real apiserver during the rotation: every CloneSet create calls
    // our mutating and validating webhooks (failurePolicy Fail), so any TLS failure shows up here.
    const failures: string[] = [];
    let created = 0;
    let calling = true;
    const traffic = (async () => {
      for (let i = 0; calling; i++) {
        try {
          await e2eClient()
            .resource(resourceOf('CloneSet'))
            .create({
              apiVersion: 'apps.kruise.io/v1alpha1',
              kind: 'CloneSet',
              metadata: { name: `rotation-${i}`, namespace: ns.name },
              spec: {
                replicas: 0,
                selector: { matchLabels: { app: 'r' } },
                template: {
                  metadata: { labels: { app: 'r' } },
                  spec: { containers: [{ name: 'c', image: 'nginx' }] },
                },
              },
            } as KubeObject);
          created++;
        } catch (err) {
          failures.push((err as Error).message);
        }
        await sleep(20);
      }
    })();
    await waitFor('admission traffic before the rotation', () => created >= 5);

    // Force expiry: replace the stored bundle with one whose CA and serving cert expired long ago.
    const longAgo = new Date(Date.now() - 2 * DEFAULT_CERT_POLICY.caValidityDays * 24 * 3600 * 1000);
    const expired = await generateCertBundle(webhookHosts(WEBHOOK_SERVICE_NAME, OPERATOR_NS), longAgo);
    const data = Object.fromEntries(
      Object.entries(certBundleToSecretData(expired)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    await e2eClient()
      .resource<SecretObject>(Secrets)
      .update({ ...before.secret, data });
    await webhooks.checkCertificates();

    const after = await storedBundle();
    expect(after.bundle.caCert).not.toBe(expired.caCert);
    expect(after.bundle.caCert).not.toBe(before.bundle.caCert);
    expect(new Date(new X509Certificate(after.bundle.tlsCert).validTo).getTime()).toBeGreaterThan(Date.now());
    for (const caBundle of await caBundles()) expect(caBundle).toContain(after.bundle.caCert.trim());
    expect(await servedFingerprint(port)).toBe(fingerprintOf(after.bundle.tlsCert));

    // The next periodic check drops the CA that is no longer served from the caBundle.
    await webhooks.checkCertificates();
    for (const caBundle of await caBundles()) expect(caBundle.trim()).toBe(after.bundle.caCert.trim());

    const createdBeforeEnd = created;
    await waitFor('admission traffic after the rotation', () => created >= createdBeforeEnd + 5);
    calling = false;
    await traffic;
    expect(failures).toEqual([]);
  });

  itOnLocalCluster('fills in a pre-created Secret without keys, keeping what else it holds', async () => {
    const secrets = e2eClient().resource<SecretObject>(Secrets);
    const name = 'pre-created-webhook-certs';
    const precreated = await secrets.create({
      metadata: { name, namespace: ns.name, labels: { 'installed-by': 'helm' } },
      data: { 'extra.conf': Buffer.from('kept').toString('base64') },
    });
    const manager = new CertManager({
      store: new SecretCertStore(e2eClient(), ns.name, name),
      hosts: webhookHosts(WEBHOOK_SERVICE_NAME, ns.name),
    });
    const bundle = await manager.ensure();
    const filled = await secrets.get({ namespace: ns.name, name });
    expect(filled.metadata?.uid).toBe(precreated.metadata?.uid);
    expect(filled.metadata?.labels).toEqual({ 'installed-by': 'helm' });
    expect(Buffer.from(filled.data?.['extra.conf'] ?? '', 'base64').toString()).toBe('kept');
    expect(Buffer.from(filled.data?.['tls.crt'] ?? '', 'base64').toString()).toBe(bundle.tlsCert);
    // A restart reuses it.
    expect(
      await new CertManager({
        store: new SecretCertStore(e2eClient(), ns.name, name),
        hosts: webhookHosts(WEBHOOK_SERVICE_NAME, ns.name),
      }).ensure(),
    ).toEqual(bundle);
  });
});
