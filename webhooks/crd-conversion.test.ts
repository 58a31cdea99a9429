import { buildCrd } from '../apis/gen-crds';
import { KINDS } from '../apis/kinds';
import { localEndpoint, serviceEndpoint } from './configurations';
import { CONVERTED_CRDS, conversionFor } from './crd-conversion';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('CRD conversion stanza', () => {
  it('covers the kinds whose versions differ', () => {
    expect(CONVERTED_CRDS).toEqual([
      'clonesets.apps.kruise.io',
      'statefulsets.apps.kruise.io',
      'sidecarsets.apps.kruise.io',
    ]);
  });

  it('points at /convert on the Service in a cluster, as the generated CRDs do, with the CA', () => {
    const conversion = conversionFor(serviceEndpoint('outrigger-system'), CA);
    const generated = (buildCrd(KINDS.CloneSet) as { spec: { conversion: unknown } }).spec.conversion;
    const { caBundle, ...clientConfig } = (conversion as { webhook: { clientConfig: { caBundle: string } } })
      .webhook.clientConfig;
    expect(Buffer.from(caBundle, 'base64').toString()).toBe(CA);
    expect({
      ...(conversion as object),
      webhook: { ...(conversion as { webhook: object }).webhook, clientConfig },
    }).toEqual(generated);
  });

  it('points at the loopback URL on the local cluster', () => {
    expect(conversionFor(localEndpoint(34567), CA)).toMatchObject({
      strategy: 'Webhook',
      webhook: { clientConfig: { url: 'https://127.0.0.1:34567/convert' }, conversionReviewVersions: ['v1'] },
    });
  });
});
