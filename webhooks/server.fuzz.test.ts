// Fuzz: thousands of random and mutated AdmissionReviews over HTTPS. Every reply must be a well-formed
// AdmissionReview answering the sent uid, or HTTP 400 with a message when there was nothing to answer,
// within a latency bound, and the server must keep serving. Then every handler we ship gets malformed
// input directly and must answer well-formed within 100 ms. The seed is random per run and printed on
// failure; FUZZ_SEED=<seed> replays it.
import { randomInt } from 'node:crypto';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import {
  ADMISSION_V1,
  ADMISSION_V1BETA1,
  type AdmissionHandler,
  AdmissionRegistry,
  allowed,
  denied,
  mutateCopy,
  reviewAdmission,
  type WebhookRoute,
} from './admission';
import { type CertBundle, generateCertBundle, tlsKeyPair } from './certs';
import { registerCustomResourceWebhooks } from './custom-resources';
import { WebhookServer } from './server';

const TOTAL = 5_000;
const CONCURRENCY = 16;
const MAX_BODY = 64 * 1024;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 1);
/** Over HTTPS with CONCURRENCY requests in flight on a shared machine: catches hangs, not jitter. */
const REQUEST_LATENCY_BOUND_MS = 2_000;
/** One review handled in-process, as the issue asks of every handler. */
const HANDLER_LATENCY_BOUND_MS = 100;

/** Runs a fuzz body; a failure names the seed that replays it. */
async function withSeed(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof Error)
      err.message = `${err.message}\n(fuzz seed ${SEED}: replay with FUZZ_SEED=${SEED})`;
    throw err;
  }
}

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const strings = [
  '',
  'a',
  'uid',
  '\u0000',
  'ü',
  '🚀',
  '../..',
  '"',
  '\\',
  'x'.repeat(300),
  '__proto__',
  'constructor',
];

function randomJson(r: Rng, depth = 0): unknown {
  const roll = r.int(depth > 3 ? 6 : 9);
  if (roll === 0) return null;
  if (roll === 1) return r.next() < 0.5;
  if (roll === 2) return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
  if (roll <= 4) return r.pick(strings);
  if (roll === 5) return r.int(1000);
  if (roll <= 7) return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
  return Object.fromEntries(
    Array.from({ length: r.int(4) }, () => [r.pick(strings), randomJson(r, depth + 1)]),
  );
}

// Values nested deeper than JSON.stringify can go are written as a marker and spliced in as text.
const deepValues: string[] = [];
const DEEP_MARKER = /"@@deep(\d+)@@"/g;

/** An array or object nested `depth` deep (JSON text too deep for JSON.stringify, spliced in later). */
function nested(r: Rng, depth = r.pick([2, 64, 2_000, 20_000])): string {
  const leaf = JSON.stringify(r.pick(strings));
  const key = JSON.stringify(r.pick(['a', 'kind', 'apiVersion']));
  const text =
    r.next() < 0.5
      ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`
      : `${`{${key}:`.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  deepValues.push(text);
  return `@@deep${deepValues.length - 1}@@`;
}

/** Bodies sent with a value nested 2,000 or more deep: a fuzz that never sends one proves nothing. */
let deepBodies = 0;

function serialize(value: unknown): string {
  const text = JSON.stringify(value).replace(DEEP_MARKER, (_m, i: string) => {
    const deep = deepValues[Number(i)]!;
    if (deep.length > 4_000) deepBodies++;
    return deep;
  });
  deepValues.length = 0;
  return text;
}

function validReview(r: Rng, i: number): Record<string, unknown> {
  return {
    apiVersion: r.next() < 0.9 ? ADMISSION_V1 : ADMISSION_V1BETA1,
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${i}-${r.int(1e9)}`,
      kind: { group: 'apps.kruise.io', version: 'v1alpha1', kind: 'CloneSet' },
      resource: { group: 'apps.kruise.io', version: 'v1alpha1', resource: 'clonesets' },
      name: 'web',
      namespace: 'default',
      operation: r.pick(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
      userInfo: { username: 'u', groups: ['g'] },
      object: { metadata: { name: 'web', labels: { a: 'b' } }, spec: randomJson(r) },
      oldObject: r.next() < 0.5 ? null : { metadata: { name: 'web' } },
      dryRun: r.next() < 0.5,
    },
  };
}

// Structural mutations: drop, replace or retype a random field anywhere in the review, or nest the
// envelope's apiVersion or kind deep (a 20,000-deep one once answered 500).
function mutateStructure(r: Rng, review: Record<string, unknown>): Record<string, unknown> {
  if (r.next() < 0.15) review[r.pick(['apiVersion', 'kind'])] = nested(r);
  for (let n = 1 + r.int(3); n > 0; n--) {
    let node: Record<string, unknown> = review;
    while (r.next() < 0.6) {
      const objects = Object.entries(node).filter(
        ([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v),
      );
      if (objects.length === 0) break;
      node = r.pick(objects)[1] as Record<string, unknown>;
    }
    const keys = Object.keys(node);
    const key = keys.length > 0 && r.next() < 0.8 ? r.pick(keys) : r.pick(strings);
    if (r.next() < 0.35) delete node[key];
    else
      node[key] = r.pick([
        randomJson(r),
        nested(r, 64),
        'admission.k8s.io/v2',
        'AdmissionReview',
        '',
        7,
        null,
        [],
        {},
      ]);
  }
  return review;
}

// Byte-level damage to an otherwise valid body.
function mutateBytes(r: Rng, text: string): Buffer {
  const bytes = Buffer.from(text);
  const at = r.int(bytes.length);
  switch (r.int(4)) {
    case 0:
      return bytes.subarray(0, at);
    case 1:
      bytes[at] = r.int(256);
      return bytes;
    case 2:
      return Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from([0xc3, 0x28, r.int(256)]),
        bytes.subarray(at),
      ]);
    default:
      return Buffer.concat([bytes, bytes.subarray(0, at)]);
  }
}

function oddBody(r: Rng): Buffer {
  switch (r.int(5)) {
    case 0:
      return Buffer.from(JSON.stringify(randomJson(r)));
    case 1:
      return Buffer.from(
        `{"apiVersion":"${ADMISSION_V1}","kind":"AdmissionReview","request":${'['.repeat(50_000)}`,
      );
    case 2:
      return Buffer.from(JSON.stringify({ ...validReview(r, 0), padding: 'x'.repeat(MAX_BODY) }));
    case 3:
      return Buffer.from(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    default:
      return Buffer.alloc(r.int(64), r.int(256));
  }
}

function makeBody(r: Rng, i: number): Buffer {
  const roll = r.next();
  if (roll < 0.3) return Buffer.from(JSON.stringify(validReview(r, i)));
  if (roll < 0.7) return Buffer.from(serialize(mutateStructure(r, validReview(r, i))));
  if (roll < 0.9) return mutateBytes(r, JSON.stringify(validReview(r, i)));
  return oddBody(r);
}

/** The oracle: what the server should be able to answer with an AdmissionReview. */
function answerable(body: Buffer, maxBody: number): { uid: string; apiVersion: string } | undefined {
  if (body.length > maxBody) return undefined;
  try {
    const review = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    const request = review?.request;
    const okVersion = review?.apiVersion === ADMISSION_V1 || review?.apiVersion === ADMISSION_V1BETA1;
    if (Array.isArray(review) || !okVersion || review.kind !== 'AdmissionReview') return undefined;
    if (typeof request !== 'object' || request === null || Array.isArray(request)) return undefined;
    return typeof request.uid === 'string' && request.uid !== ''
      ? { uid: request.uid, apiVersion: review.apiVersion }
      : undefined;
  } catch {
    return undefined;
  }
}

const handlers: Record<string, AdmissionHandler> = {
  '/mutate': (req) => mutateCopy(req.object ?? {}, (o) => Object.assign(o, { fuzzed: true })),
  '/validate-random': (req) =>
    JSON.stringify(req.object ?? '').length % 2 ? allowed(['odd']) : denied('even', 422),
  '/throw': () => {
    throw new Error('handler exploded');
  },
  '/slow': (_req, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(allowed()), 100);
      signal.addEventListener('abort', () => clearTimeout(timer));
    }),
};

let certs: CertBundle;
let server: WebhookServer;
let port: number;
const metrics = new Registry();

beforeAll(async () => {
  certs = await generateCertBundle(['127.0.0.1']);
  const registry = new AdmissionRegistry();
  for (const [path, handle] of Object.entries(handlers)) registry.mutating(path, handle);
  registry.validating('/validate', () => allowed());
  server = new WebhookServer({
    registry,
    host: '127.0.0.1',
    port: 0,
    tls: tlsKeyPair(certs),
    maxBodyBytes: MAX_BODY,
    handlerTimeoutMs: 30,
    metricsRegistry: metrics,
  });
  ({ port } = await server.listen());
});

afterAll(() => server.close());

function post(agent: https.Agent, path: string, body: Buffer) {
  const started = performance.now();
  return new Promise<{ status: number; text: string; ms: number }>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`no reply within 20 s on ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

type Outcome = 'rejected' | 'allowed' | 'denied' | 'patched';

function checkReply(body: Buffer, reply: { status: number; text: string }, maxBody = MAX_BODY): Outcome {
  const expected = answerable(body, maxBody);
  if (!expected) {
    expect(reply.status).toBe(400);
    expect(reply.text.trim().length).toBeGreaterThan(0);
    return 'rejected';
  }
  expect(reply.status).toBe(200);
  const review = JSON.parse(reply.text);
  expect(review).toMatchObject({ apiVersion: expected.apiVersion, kind: 'AdmissionReview' });
  const response = review.response;
  expect(response.uid).toBe(expected.uid);
  expect(typeof response.allowed).toBe('boolean');
  if (!response.allowed) {
    expect(Number.isInteger(response.status.code)).toBe(true);
    expect(response.status.message.length).toBeGreaterThan(0);
  }
  if (response.patch !== undefined) {
    expect(response.patchType).toBe('JSONPatch');
    expect(Array.isArray(JSON.parse(Buffer.from(response.patch, 'base64').toString()))).toBe(true);
    return 'patched';
  }
  return response.allowed ? 'allowed' : 'denied';
}

it(
  `answers ${TOTAL} random and mutated AdmissionReviews well-formed, each within ${REQUEST_LATENCY_BOUND_MS} ms, and stays up (seed ${SEED})`,
  () =>
    withSeed(async () => {
      const r = rng(SEED);
      const paths = [...Object.keys(handlers), '/validate'];
      const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: certs.caCert });
      let sent = 0;
      const slow: string[] = [];
      const outcomes: Record<Outcome, number> = { rejected: 0, allowed: 0, denied: 0, patched: 0 };
      const worker = async () => {
        while (sent < TOTAL) {
          const i = sent++;
          const body = makeBody(r, i);
          const path = r.pick(paths);
          const reply = await post(agent, path, body);
          outcomes[checkReply(body, reply)] += 1;
          if (reply.ms > REQUEST_LATENCY_BOUND_MS)
            slow.push(`${path} request ${i}: ${Math.round(reply.ms)} ms`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      agent.destroy();
      expect(slow).toEqual([]);
      expect(deepBodies).toBeGreaterThan(TOTAL / 100);
      // Every class of reply was exercised, not just one.
      for (const count of Object.values(outcomes)) expect(count).toBeGreaterThan(TOTAL / 50);

      const health = await post(new https.Agent({ ca: certs.caCert }), '/healthz', Buffer.alloc(0));
      expect(health.status).toBe(200);
      const after = await post(
        new https.Agent({ ca: certs.caCert }),
        '/mutate',
        Buffer.from(JSON.stringify(validReview(r, -1))),
      );
      expect(JSON.parse(after.text).response.allowed).toBe(true);
      const counted = (await metrics.getSingleMetricAsString('controller_runtime_webhook_requests_total'))
        .split('\n')
        .filter((line) => line.startsWith('controller_runtime_webhook_requests_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      expect(counted).toBe(TOTAL + 1);
    }),
  120_000,
);

/** Malformed content inside a sound envelope: what reaches a handler. */
function malformedReview(r: Rng, i: number): Buffer {
  const review = validReview(r, i);
  const request = review.request as Record<string, unknown>;
  const junk = () =>
    r.pick([
      randomJson(r),
      nested(r),
      { apiVersion: nested(r, 64), kind: nested(r, 64), metadata: randomJson(r), spec: nested(r) },
      { metadata: { name: 'x' }, spec: { replicas: 'many', selector: [], template: nested(r, 2_000) } },
      { metadata: { name: 'x' }, spec: { template: { spec: { containers: Array(200).fill({}) } } } },
      { spec: Object.fromEntries(Array.from({ length: 500 }, (_, k) => [`k${k}`, randomJson(r)])) },
    ]);
  request.object = junk();
  if (r.next() < 0.5) request.oldObject = junk();
  return Buffer.from(serialize(mutateStructure(r, review)));
}

it(
  `answers malformed input to every handler we ship within ${HANDLER_LATENCY_BOUND_MS} ms (seed ${SEED})`,
  () =>
    withSeed(async () => {
      const r = rng(SEED ^ 0x9e3779b9);
      const shipped = new AdmissionRegistry();
      registerCustomResourceWebhooks(shipped, { listSidecarSets: async () => [] });
      // The shipped handlers, plus this file's mutating and throwing ones ('/slow' sleeps on purpose).
      const routes: WebhookRoute[] = [
        ...shipped.list(),
        ...['/mutate', '/throw'].map((path) => ({
          path,
          type: 'mutating' as const,
          handle: handlers[path]!,
        })),
      ];
      expect(routes.length).toBe(10);
      const slow: string[] = [];
      const review = (route: WebhookRoute, body: Buffer) => {
        const started = performance.now();
        return reviewAdmission(route, body, { timeoutMs: 9_000 }).then((reply) => ({
          status: reply.status,
          text: reply.body,
          ms: performance.now() - started,
        }));
      };
      for (const route of routes) {
        for (let i = 0; i < 30; i++) {
          const body = r.next() < 0.7 ? malformedReview(r, i) : makeBody(r, i);
          let reply = await review(route, body);
          checkReply(body, reply, Number.POSITIVE_INFINITY);
          // A machine shared with other work can stall any one call; a slow code path is slow again.
          if (reply.ms > HANDLER_LATENCY_BOUND_MS) reply = await review(route, body);
          if (reply.ms > HANDLER_LATENCY_BOUND_MS)
            slow.push(`${route.path} input ${i}: ${Math.round(reply.ms)} ms`);
        }
      }
      expect(slow).toEqual([]);
    }),
  120_000,
);
