// Keeps the conversion stanza of our multi-version CRDs pointing at our /convert endpoint with the current
// caBundle, as OpenKruise's webhook controller does for its CRDs (crd.Ensure). A CaBundleSink: the
// CertManager calls it with every bundle it publishes and at its periodic check.

import { CONVERSION_PATH, conversionWebhook, crdName } from '../apis/gen-crds';
import { CustomResourceDefinitions } from '../apis/install';
import { KIND_NAMES, KINDS } from '../apis/kinds';
import type { KubeClient } from '../runtime/client';
import { isNotFound } from '../runtime/errors';
import { deepEqual } from '../runtime/json';
import type { KubeObject } from '../runtime/meta';
import type { CaBundleSink } from './certs';
import { clientConfig, type WebhookEndpoint } from './configurations';

interface Crd extends KubeObject {
  spec?: { conversion?: unknown };
}

/** The CRDs whose versions differ in shape, and so convert through our webhook. */
export const CONVERTED_CRDS = KIND_NAMES.filter((k) => KINDS[k].conversion === 'Webhook').map((k) =>
  crdName(KINDS[k]),
);

/** spec.conversion for our CRDs with `endpoint` serving /convert and `caBundlePem` trusted. */
export function conversionFor(endpoint: WebhookEndpoint, caBundlePem: string): Record<string, unknown> {
  return conversionWebhook(clientConfig({ endpoint, caBundlePem }, CONVERSION_PATH));
}

export class CrdConversionSink implements CaBundleSink {
  /** `endpoint` is read at each call: undefined until the server knows where it listens (local mode). */
  constructor(
    private readonly client: KubeClient,
    private readonly endpoint: () => WebhookEndpoint | undefined,
  ) {}

  async patchCaBundle(caBundlePem: string): Promise<void> {
    const endpoint = this.endpoint();
    if (!endpoint) return;
    const desired = conversionFor(endpoint, caBundlePem);
    const crds = this.client.resource<Crd>(CustomResourceDefinitions);
    for (const name of CONVERTED_CRDS) {
      let crd: Crd;
      try {
        crd = await crds.get({ name });
      } catch (err) {
        if (isNotFound(err)) continue; // not installed yet: patched at the next check
        throw err;
      }
      if (deepEqual(crd.spec?.conversion, desired)) continue;
      // 'add' replaces the whole member, so a service clientConfig never lingers beside a url.
      await crds.patch({ name }, [{ op: 'add', path: '/spec/conversion', value: desired }], {
        type: 'json',
        fieldManager: 'outrigger-webhook',
      });
    }
  }
}
