import { CONVERSION_STASH_ANNOTATION } from '../apis/convert';
import { CONVERSION_REVIEW_V1, reviewConversion } from './conversion';

const cloneSet = (name: string) => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name, namespace: 'shop', uid: `uid-${name}` },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    scaleStrategy: {},
    updateStrategy: { type: 'InPlaceOnly', partition: 1 },
  },
});

async function convert(body: unknown) {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const reply = await reviewConversion(raw, { timeoutMs: 5_000 });
  return { reply, review: reply.status === 200 ? JSON.parse(reply.body) : undefined };
}

const review = (objects: unknown[], desiredAPIVersion = 'apps.kruise.io/v1beta1') => ({
  apiVersion: CONVERSION_REVIEW_V1,
  kind: 'ConversionReview',
  request: { uid: 'conv-1', desiredAPIVersion, objects },
});

describe('reviewConversion', () => {
  it('converts every object, in order, and answers the request uid', async () => {
    const { review: out } = await convert(review([cloneSet('a'), cloneSet('b')]));
    expect(out).toMatchObject({ apiVersion: CONVERSION_REVIEW_V1, kind: 'ConversionReview' });
    expect(out.response.uid).toBe('conv-1');
    expect(out.response.result).toEqual({ status: 'Success' });
    expect(out.response.convertedObjects.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(
      ['a', 'b'],
    );
    expect(out.response.convertedObjects[0]).toMatchObject({
      apiVersion: 'apps.kruise.io/v1beta1',
      metadata: { uid: 'uid-a' },
      spec: {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { podUpdatePolicy: 'InPlaceOnly', partition: 1 },
        },
      },
    });
  });

  it('returns what the other version cannot say in the stash, and takes it back', async () => {
    const sts = {
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop' },
      spec: { reserveOrdinals: [2], selector: {}, template: {} },
    };
    const { review: down } = await convert(review([sts], 'apps.kruise.io/v1alpha1'));
    const alpha = down.response.convertedObjects[0];
    expect(alpha.metadata.annotations[CONVERSION_STASH_ANNOTATION]).toContain('reserveOrdinals');
    const { review: up } = await convert(review([alpha], 'apps.kruise.io/v1beta1'));
    expect(up.response.convertedObjects[0]).toEqual(sts);
  });

  it.each([
    [
      'an unknown desired version',
      review([cloneSet('a')], 'apps.kruise.io/v2'),
      /not served as "apps.kruise.io\/v2"/,
    ],
    [
      'a kind that is not ours',
      review([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }]),
      /objects\[0\] \(Deployment d\)/,
    ],
    [
      'objects that are not a list',
      { ...review([]), request: { uid: 'conv-1', desiredAPIVersion: 'v1', objects: {} } },
      /must be a list/,
    ],
  ])('fails the review with a message for %s', async (_what, body, message) => {
    const { review: out } = await convert(body);
    expect(out.response.uid).toBe('conv-1');
    expect(out.response.result.status).toBe('Failure');
    expect(out.response.result.message).toMatch(message);
    expect(out.response.convertedObjects).toBeUndefined();
  });

  it.each([
    ['bad JSON', '{'],
    ['a wrong kind', { ...review([]), kind: 'AdmissionReview' }],
    ['a missing uid', { ...review([]), request: { objects: [] } }],
  ])('answers 400 to %s', async (_what, body) => {
    const { reply } = await convert(body);
    expect(reply.status).toBe(400);
    expect(reply.body).not.toBe('');
  });

  it('converts a long list without holding the event loop for long', async () => {
    const many = Array.from({ length: 2_000 }, (_, i) => cloneSet(`cs-${i}`));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const { review: out } = await convert(review(many));
    clearInterval(timer);
    expect(out.response.convertedObjects).toHaveLength(2_000);
    expect(ticks).toBeGreaterThan(0);
  });
});
