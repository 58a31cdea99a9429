// The webhook certificates' Kubernetes side: the Secret that stores them and the webhook
// configurations whose caBundle must trust them.
import type { KubeClient } from '../runtime/client';
import { isAlreadyExists, isConflict, isNotFound } from '../runtime/errors';
import { type KubeObject, type ResourceType, Secrets } from '../runtime/meta';
import {
  type CaBundleSink,
  CERT_SECRET_KEYS,
  type CertBundle,
  type CertStore,
  CertStoreConflictError,
  certBundleFromSecretData,
  certBundleToSecretData,
  type StoredCertBundle,
} from './certs';
import { caBundlePatchOps, type WebhookConfiguration } from './configurations';

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const decode = (data: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encode = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

/**
 * CertStore on a Secret; optimistic concurrency through resourceVersion, as replicas race to write it.
 * An update keeps what else the Secret holds (labels, annotations, its type, other keys), so a Secret
 * an installer pre-created, even empty, is filled in rather than fought over.
 */
export class SecretCertStore implements CertStore {
  private lastRead?: SecretObject;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async read(): Promise<StoredCertBundle | undefined> {
    try {
      const secret = await this.client
        .resource<SecretObject>(Secrets)
        .get({ namespace: this.namespace, name: this.name });
      this.lastRead = secret;
      const bundle = certBundleFromSecretData(decode(secret.data));
      return { bundle, resourceVersion: secret.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.lastRead = undefined;
      return undefined;
    }
  }

  async write(bundle: CertBundle, resourceVersion?: string): Promise<void> {
    const base = resourceVersion !== undefined ? this.lastRead : undefined;
    const { managedFields: _managed, ...baseMetadata } = base?.metadata ?? {};
    const otherKeys = Object.entries(base?.data ?? {}).filter(
      ([key]) => !(CERT_SECRET_KEYS as readonly string[]).includes(key),
    );
    const secret: SecretObject = {
      ...base,
      metadata: { ...baseMetadata, namespace: this.namespace, name: this.name, resourceVersion },
      type: base?.type ?? 'Opaque',
      data: { ...Object.fromEntries(otherKeys), ...encode(certBundleToSecretData(bundle)) },
    };
    const secrets = this.client.resource<SecretObject>(Secrets);
    try {
      await (resourceVersion === undefined ? secrets.create(secret) : secrets.update(secret));
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        throw new CertStoreConflictError(`Secret ${this.namespace}/${this.name} changed concurrently`);
      }
      throw err;
    }
  }
}

/** Keeps one webhook configuration's caBundle current; a configuration that does not exist yet is skipped. */
export class WebhookConfigurationSink implements CaBundleSink {
  constructor(
    private readonly client: KubeClient,
    private readonly type: ResourceType,
    private readonly name: string,
  ) {}

  async patchCaBundle(caBundlePem: string): Promise<void> {
    const configurations = this.client.resource<WebhookConfiguration & KubeObject>(this.type);
    let config: WebhookConfiguration;
    try {
      config = await configurations.get({ name: this.name });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const ops = caBundlePatchOps(config, caBundlePem);
    if (ops.length > 0) await configurations.patch({ name: this.name }, ops, { type: 'json' });
  }
}
