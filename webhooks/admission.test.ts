import { applyJsonPatch } from '../runtime/json';
import {
  ADMISSION_V1,
  ADMISSION_V1BETA1,
  type AdmissionHandler,
  AdmissionRegistry,
  type AdmissionResult,
  type AdmissionRoute,
  allowed,
  denied,
  mutateCopy,
  parseAdmissionReview,
  reviewAdmission,
  type WebhookRoute,
} from './admission';

const request = (overrides: Record<string, unknown> = {}) => ({
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  kind: { group: 'apps.kruise.io', version: 'v1alpha1', kind: 'CloneSet' },
  resource: { group: 'apps.kruise.io', version: 'v1alpha1', resource: 'clonesets' },
  name: 'web',
  namespace: 'default',
  operation: 'CREATE',
  userInfo: { username: 'admin', groups: ['system:masters'] },
  object: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', metadata: { name: 'web' }, spec: {} },
  oldObject: null,
  dryRun: false,
  ...overrides,
});
const review = (req: unknown = request(), apiVersion: unknown = ADMISSION_V1) => ({
  apiVersion,
  kind: 'AdmissionReview',
  request: req,
});
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseAdmissionReview', () => {
  it.each([
    ['a v1 review', review()],
    ['a v1beta1 review (answered in its own version)', review(request(), ADMISSION_V1BETA1)],
    [
      'a DELETE with object null',
      review(request({ operation: 'DELETE', object: null, oldObject: { a: 1 } })),
    ],
    ['unknown extra fields', { ...review(request({ somethingNew: 1 })), extra: true }],
  ])('accepts %s', (_name, value) => {
    const parsed = parseAdmissionReview(body(value));
    expect(parsed).toMatchObject({ ok: true, request: { uid: request().uid } });
  });

  it.each([
    ['bad JSON', '{"apiVersion":', /not valid UTF-8 JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8 JSON/],
    ['an empty body', '', /not valid UTF-8 JSON/],
    ['a JSON array', '[]', /must be a JSON object/],
    ['JSON null', 'null', /must be a JSON object/],
    ['a JSON string', '"review"', /must be a JSON object/],
    [
      'a missing apiVersion',
      JSON.stringify({ kind: 'AdmissionReview', request: request() }),
      /apiVersion \(missing\)/,
    ],
    [
      'an unknown version',
      JSON.stringify(review(request(), 'admission.k8s.io/v2')),
      /unsupported apiVersion/,
    ],
    ['a numeric apiVersion', JSON.stringify(review(request(), 1)), /unsupported apiVersion/],
    ['the wrong kind', JSON.stringify({ ...review(), kind: 'TokenReview' }), /is not AdmissionReview/],
    [
      'a missing request',
      JSON.stringify({ apiVersion: ADMISSION_V1, kind: 'AdmissionReview' }),
      /request is missing/,
    ],
    ['a request array', JSON.stringify(review([])), /request is missing/],
    ['a missing uid', JSON.stringify(review(request({ uid: undefined }))), /uid is missing/],
    ['an empty uid', JSON.stringify(review(request({ uid: '' }))), /uid is missing/],
    [
      'a 20,000-deep apiVersion',
      `{"apiVersion":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      /unsupported apiVersion \(an array\)/,
    ],
    [
      'a 20,000-deep kind',
      `{"apiVersion":"${ADMISSION_V1}","kind":${'{"k":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
      /kind \(an object\) is not AdmissionReview/,
    ],
    ['a numeric uid', JSON.stringify(review(request({ uid: 7 }))), /uid is missing/],
  ])('rejects %s without a uid to answer', (_name, raw, message) => {
    const parsed = parseAdmissionReview(typeof raw === 'string' ? Buffer.from(raw) : raw);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(message);
    expect(parsed.uid).toBeUndefined();
  });

  it.each([
    ['an unknown operation', request({ operation: 'PATCH' }), /request.operation/],
    ['a missing kind', request({ kind: undefined }), /request.kind/],
    ['a string resource', request({ resource: 'clonesets' }), /request.resource/],
    ['an array object', request({ object: [] }), /request.object/],
    ['a string oldObject', request({ oldObject: 'x' }), /request.oldObject/],
    ['non-string groups', request({ userInfo: { groups: [1] } }), /request.userInfo.groups/],
  ])('rejects %s but keeps the uid for a denial', (_name, req, message) => {
    const parsed = parseAdmissionReview(body(review(req)));
    expect(parsed).toMatchObject({ ok: false, uid: request().uid, apiVersion: ADMISSION_V1 });
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

const route = (handle: AdmissionHandler, type: AdmissionRoute['type'] = 'mutating'): WebhookRoute => ({
  path: '/mutate-apps-kruise-io-cloneset',
  type,
  handle,
});

async function respond(handle: AdmissionHandler, value: unknown = review(), type?: AdmissionRoute['type']) {
  const reply = await reviewAdmission(route(handle, type), body(value), { timeoutMs: 1_000 });
  expect(reply.status).toBe(200);
  return JSON.parse(reply.body);
}

describe('reviewAdmission', () => {
  it('echoes uid and apiVersion on an allowed response', async () => {
    const out = await respond(() => allowed(['deprecated field']), review(request(), ADMISSION_V1BETA1));
    expect(out).toEqual({
      apiVersion: ADMISSION_V1BETA1,
      kind: 'AdmissionReview',
      response: { uid: request().uid, allowed: true, warnings: ['deprecated field'] },
    });
  });

  it('carries a denial message and code', async () => {
    const out = await respond(() => denied('spec.replicas: must be >= 0', 422));
    expect(out.response).toEqual({
      uid: request().uid,
      allowed: false,
      status: { code: 422, message: 'spec.replicas: must be >= 0' },
    });
  });

  it('replaces an out-of-range denial code by 403', async () => {
    const out = await respond(() => denied('no', 200));
    expect(out.response.status.code).toBe(403);
  });

  it('returns a base64 JSONPatch computed from the changed copy', async () => {
    const out = await respond((req) =>
      mutateCopy(req.object, (obj) => {
        const o = obj as { spec: Record<string, unknown>; metadata: Record<string, unknown> };
        o.spec.replicas = 1;
        o.metadata.labels = { 'a/b': 'c' };
      }),
    );
    expect(out.response.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(out.response.patch, 'base64').toString());
    expect(applyJsonPatch(request().object, ops)).toEqual({
      ...request().object,
      metadata: { name: 'web', labels: { 'a/b': 'c' } },
      spec: { replicas: 1 },
    });
  });

  it('sends no patch when the copy is unchanged', async () => {
    const out = await respond((req) => mutateCopy(req.object, () => undefined));
    expect(out.response).toEqual({ uid: request().uid, allowed: true });
  });

  it('denies a request whose fields are invalid, echoing the uid', async () => {
    const out = await respond(() => allowed(), review(request({ operation: 'PATCH' })));
    expect(out.response).toMatchObject({ uid: request().uid, allowed: false, status: { code: 400 } });
  });

  it('answers HTTP 400 with a message when there is no uid to answer', async () => {
    const reply = await reviewAdmission(
      route(() => allowed()),
      Buffer.from('{'),
      { timeoutMs: 1_000 },
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/not valid UTF-8 JSON/);
  });

  it.each<[string, AdmissionHandler, RegExp]>([
    [
      'a thrown error',
      () => {
        throw new Error('boom');
      },
      /failed: boom/,
    ],
    ['a rejected promise', async () => Promise.reject(new Error('later boom')), /failed: later boom/],
    [
      'a thrown non-error',
      () => {
        throw 'text';
      },
      /failed: text/,
    ],
    ['no verdict', () => undefined as unknown as AdmissionResult, /returned no verdict/],
    ['an unknown verdict', () => ({ type: 'maybe' }) as unknown as AdmissionResult, /unknown verdict/],
    [
      'a denial without message',
      () => ({ type: 'denied' }) as unknown as AdmissionResult,
      /without a message/,
    ],
  ])('turns %s into a 500 denial', async (_name, handle, message) => {
    const out = await respond(handle);
    expect(out.response).toMatchObject({ uid: request().uid, allowed: false, status: { code: 500 } });
    expect(out.response.status.message).toMatch(message);
  });

  it('refuses a patch from a validating webhook', async () => {
    const handle: AdmissionHandler = (req) =>
      mutateCopy(req.object, (o) => Object.assign(o as object, { x: 1 }));
    const out = await respond(handle, review(), 'validating');
    expect(out.response).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(out.response.status.message).toMatch(/patch from a validating webhook/);
  });

  it('denies with 504 when the handler outlives its deadline, and aborts its signal', async () => {
    let seen: AbortSignal | undefined;
    const handle: AdmissionHandler = (_req, signal) => {
      seen = signal;
      return new Promise(() => undefined);
    };
    const reply = await reviewAdmission(route(handle), body(review()), { timeoutMs: 20 });
    const out = JSON.parse(reply.body);
    expect(out.response).toMatchObject({ uid: request().uid, allowed: false, status: { code: 504 } });
    expect(seen?.aborted).toBe(true);
  });

  it('aborts the handler when the caller signal aborts', async () => {
    const caller = new AbortController();
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const handle: AdmissionHandler = (_req, signal) =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () => resolve(denied('cancelled', 503)));
        started();
      });
    const pending = reviewAdmission(route(handle), body(review()), {
      timeoutMs: 5_000,
      signal: caller.signal,
    });
    await running;
    caller.abort();
    const out = JSON.parse((await pending).body);
    expect(out.response).toMatchObject({ allowed: false, status: { code: 503, message: 'cancelled' } });
  });

  it('does not start the handler when the caller signal is already aborted', async () => {
    const handle = jest.fn(() => allowed());
    const reply = await reviewAdmission(route(handle), body(review()), {
      timeoutMs: 5_000,
      signal: AbortSignal.abort(new Error('shutting down')),
    });
    expect(JSON.parse(reply.body).response).toMatchObject({ allowed: false, status: { code: 503 } });
    expect(handle).not.toHaveBeenCalled();
  });
});

describe('AdmissionRegistry', () => {
  it('routes by path and refuses duplicates and bad paths', () => {
    const registry = new AdmissionRegistry()
      .mutating('/mutate-pod', () => allowed())
      .validating('/validate-x', () => allowed());
    expect(registry.get('/mutate-pod')?.type).toBe('mutating');
    expect(registry.get('/validate-x')?.type).toBe('validating');
    expect(registry.get('/nope')).toBeUndefined();
    expect(registry.list().map((r) => r.path)).toEqual(['/mutate-pod', '/validate-x']);
    expect(() => registry.mutating('/mutate-pod', () => allowed())).toThrow(/registered twice/);
    expect(() => registry.mutating('mutate', () => allowed())).toThrow(/invalid webhook path/);
  });
});
