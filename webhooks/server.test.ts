import https from 'node:https';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { ADMISSION_V1, type AdmissionHandler, AdmissionRegistry, allowed, mutateCopy } from './admission';
import { type CertBundle, generateCertBundle, tlsKeyPair } from './certs';
import { WebhookServer, type WebhookServerOptions } from './server';

const HOST = '127.0.0.1';
let certs: CertBundle;

beforeAll(async () => {
  certs = await generateCertBundle(['localhost', HOST]);
});

const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(
  overrides: Partial<WebhookServerOptions> = {},
  handlers: Record<string, AdmissionHandler> = {},
) {
  const registry = new AdmissionRegistry()
    .mutating('/mutate', (req) =>
      mutateCopy(req.object, (o) => Object.assign(o as object, { touched: true })),
    )
    .validating('/validate', () => allowed());
  for (const [path, handle] of Object.entries(handlers)) registry.mutating(path, handle);
  const server = new WebhookServer({ registry, host: HOST, port: 0, tls: tlsKeyPair(certs), ...overrides });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

function call(
  port: number,
  path: string,
  options: { method?: string; body?: string; contentType?: string } = {},
) {
  return new Promise<Reply>((resolve, reject) => {
    const req = https.request(
      {
        host: HOST,
        port,
        path,
        method: options.method ?? 'POST',
        ca: certs.caCert,
        agent: false,
        headers: { 'content-type': options.contentType ?? 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const reviewBody = (uid = 'uid-1') =>
  JSON.stringify({
    apiVersion: ADMISSION_V1,
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      object: { metadata: { name: 'p' } },
    },
  });

describe('WebhookServer', () => {
  it('serves health and readiness, and reports not ready once closing', async () => {
    const { server, port } = await startServer();
    expect(await call(port, '/healthz', { method: 'GET' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await call(port, '/readyz', { method: 'GET' })).toMatchObject({ status: 200 });
    expect(server.ready).toBe(true);
    await server.close();
    expect(server.ready).toBe(false);
  });

  it('answers a review with a patch over HTTPS', async () => {
    const { port } = await startServer();
    const reply = await call(port, '/mutate', { body: reviewBody('abc') });
    expect(reply.status).toBe(200);
    const review = JSON.parse(reply.body);
    expect(review.response).toMatchObject({ uid: 'abc', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(review.response.patch, 'base64').toString())).toEqual([
      { op: 'add', path: '/touched', value: true },
    ]);
  });

  it.each([
    ['an unknown path', '/nope', {}, 404, /no webhook at \/nope/],
    ['GET on a webhook', '/mutate', { method: 'GET' }, 405, /use POST/],
    [
      'a non-JSON content type',
      '/mutate',
      { contentType: 'text/plain', body: '{}' },
      415,
      /application\/json/,
    ],
    ['bad JSON', '/mutate', { body: '{"apiVersion"' }, 400, /not valid UTF-8 JSON/],
    [
      'a wrong kind',
      '/validate',
      { body: '{"apiVersion":"admission.k8s.io/v1","kind":"X"}' },
      400,
      /AdmissionReview/,
    ],
  ])('rejects %s with a message', async (_name, path, options, status, message) => {
    const { port } = await startServer();
    const reply = await call(port, path, options);
    expect(reply.status).toBe(status);
    expect(reply.body).toMatch(message);
    expect((await call(port, '/healthz', { method: 'GET' })).status).toBe(200);
  });

  it.each([
    ['application/json; charset=utf-8', 200],
    ['Application/JSON', 200],
    ['application/jsonx-evil', 415],
    ['application/json-patch+json', 415],
    ['', 415],
  ])('takes content type %j as %i', async (contentType, status) => {
    const { port } = await startServer();
    expect((await call(port, '/validate', { body: reviewBody(), contentType })).status).toBe(status);
  });

  it('answers an unparsable request target with 400, not 500', async () => {
    const { port } = await startServer();
    const reply = await rawRequest(port, 'POST // HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1.1 400[\s\S]*not a valid path/);
    expect((await call(port, '/validate', { body: reviewBody() })).status).toBe(200);
  });

  it('answers a 20,000-deep apiVersion or kind with 400 and a message', async () => {
    const { port } = await startServer();
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    for (const body of [
      `{"apiVersion":${deep},"kind":"AdmissionReview"}`,
      `{"apiVersion":"${ADMISSION_V1}","kind":${deep}}`,
    ]) {
      const reply = await call(port, '/validate', { body });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatch(/apiVersion \(an array\)|kind \(an array\)/);
    }
  });

  it('negotiates only AEAD cipher suites', async () => {
    const { port } = await startServer();
    const legacy = 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256:AES128-SHA';
    await expect(handshake(port, { maxVersion: 'TLSv1.2', ciphers: legacy })).rejects.toThrow();
    expect(await handshake(port, { maxVersion: 'TLSv1.2' })).toMatch(/GCM|CHACHA20/);
    expect(await handshake(port, {})).toMatch(/^TLS_(AES_\d+_GCM|CHACHA20)/);
  });

  it('holds at most maxConnections connections; idle ones are cut after the headers timeout', async () => {
    const { port } = await startServer({ maxConnections: 10, headersTimeoutMs: 300 });
    const sockets = Array.from({ length: 30 }, () => openIdle(port));
    const outcomes = await Promise.all(sockets.map((s) => s.closed));
    // Refused connections never finish a handshake; the held ones are closed once idle for 300 ms
    // (Node alone would hold them until its 30 s sweep, or forever without a first request).
    const held = outcomes.filter((o) => o.heldMs !== undefined);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThanOrEqual(10);
    expect(Math.max(...held.map((o) => o.heldMs ?? 0))).toBeLessThan(5_000);
    expect((await call(port, '/validate', { body: reviewBody() })).status).toBe(200);
  });

  it('rejects a body over the size limit, declared or streamed, and keeps serving', async () => {
    const { port } = await startServer({ maxBodyBytes: 4096 });
    const big = JSON.stringify({ padding: 'x'.repeat(64 * 1024) });
    const declared = await call(port, '/mutate', { body: big });
    expect(declared.status).toBe(400);
    expect(declared.body).toMatch(/exceeds the 4096-byte limit/);
    const streamed = await streamBody(port, '/mutate', [big.slice(0, 3000), big.slice(3000)]);
    expect(streamed).toMatch(/^HTTP\/1.1 400[\s\S]*exceeds the 4096-byte limit/);
    expect((await call(port, '/mutate', { body: reviewBody() })).status).toBe(200);
  });

  it('answers 408 and closes the connection when a client stalls mid-body', async () => {
    const { port } = await startServer({ readTimeoutMs: 100 });
    const socket = tls.connect({ host: HOST, port, ca: certs.caCert });
    let received = '';
    socket.on('data', (c: Buffer) => {
      received += c.toString();
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      'POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a"',
    );
    await closed;
    expect(received).toMatch(/^HTTP\/1.1 408[\s\S]*not received within 100ms/);
    expect((await call(port, '/mutate', { body: reviewBody() })).status).toBe(200);
  });

  it('denies with 504 when a handler hangs, and keeps serving', async () => {
    const hang: AdmissionHandler = () => new Promise(() => undefined);
    const { port } = await startServer({ handlerTimeoutMs: 50 }, { '/hang': hang });
    const reply = await call(port, '/hang', { body: reviewBody('slow') });
    expect(JSON.parse(reply.body).response).toMatchObject({
      uid: 'slow',
      allowed: false,
      status: { code: 504 },
    });
    expect((await call(port, '/mutate', { body: reviewBody() })).status).toBe(200);
  });

  it('records controller-runtime webhook metrics in the given registry', async () => {
    const metricsRegistry = new Registry();
    const { port } = await startServer({ metricsRegistry });
    await call(port, '/mutate', { body: reviewBody() });
    await call(port, '/validate', { body: 'nope' });
    const text = await metricsRegistry.metrics();
    expect(text).toContain('controller_runtime_webhook_requests_total{webhook="/mutate",code="200"} 1');
    expect(text).toContain('controller_runtime_webhook_requests_total{webhook="/validate",code="400"} 1');
    expect(text).toContain('controller_runtime_webhook_latency_seconds_count{webhook="/mutate"} 1');
    expect(text).toContain('controller_runtime_webhook_requests_in_flight{webhook="/mutate"} 0');
    // A second server on the same registry shares the metrics instead of failing to register.
    await startServer({ metricsRegistry });
  });

  it('finishes an in-flight request during close()', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow: AdmissionHandler = async () => {
      entered();
      await gate;
      return allowed();
    };
    const { server, port } = await startServer({}, { '/slow': slow });
    const pending = call(port, '/slow', { body: reviewBody('drain') });
    await inHandler;
    const closing = server.close();
    release();
    const reply = await pending;
    await closing;
    expect(JSON.parse(reply.body).response).toEqual({ uid: 'drain', allowed: true });
  });

  it('stops via the runnable start(signal)', async () => {
    const registry = new AdmissionRegistry();
    const server = new WebhookServer({ registry, host: HOST, port: 0, tls: tlsKeyPair(certs) });
    const stop = new AbortController();
    const running = server.start(stop.signal);
    await waitFor(() => server.ready);
    expect(server.needLeaderElection).toBe(false);
    stop.abort();
    await running;
    expect(server.ready).toBe(false);
  });
});

/** Sends a chunked body piece by piece over a raw TLS socket and returns the raw reply. */
function streamBody(port: number, path: string, pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ca: certs.caCert }, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`);
      socket.write('Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
      for (const piece of pieces) socket.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
      socket.write('0\r\n\r\n');
    });
    let received = '';
    socket.on('data', (c: Buffer) => {
      received += c.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Writes raw bytes over TLS and returns everything the server sent until it closed. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ca: certs.caCert }, () => socket.write(request));
    let received = '';
    socket.on('data', (c: Buffer) => {
      received += c.toString();
      if (/\r\n\r\n[\s\S]*\n$/.test(received)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** Completes a TLS handshake with the given client settings; resolves with the negotiated cipher. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ca: certs.caCert, ...options }, () => {
      resolve(socket.getCipher().standardName);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/**
 * A connection that completes its TLS handshake, if the server lets it, and then sends nothing.
 * `closed` resolves when the server closes it, with how long it was held after the handshake.
 */
function openIdle(port: number) {
  let handshakeAt: number | undefined;
  const socket = tls.connect({ host: HOST, port, ca: certs.caCert }, () => {
    handshakeAt = Date.now();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ heldMs?: number }>((resolve) =>
    socket.on('close', () =>
      resolve({ heldMs: handshakeAt === undefined ? undefined : Date.now() - handshakeAt }),
    ),
  );
  return { closed };
}
