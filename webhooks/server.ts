// The admission HTTPS server. It runs on every replica (webhooks need no leader), takes its serving
// certificate from memory and swaps it without dropping connections.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  type AdmissionRegistry,
  errorMessage,
  type HttpReply,
  reviewAdmission,
  textReply,
  type WebhookRoute,
} from './admission';

export interface TlsKeyPair {
  /** PEM private key (PKCS#8). */
  key: string;
  /** PEM certificate chain, leaf first. */
  cert: string;
}

export interface WebhookServerOptions {
  registry: AdmissionRegistry;
  /** '0.0.0.0' in a cluster (the Service reaches the pod IP), '127.0.0.1' for the local cluster and tests. */
  host: string;
  /** 0 picks a free port; see address() after listen(). */
  port: number;
  tls: TlsKeyPair;
  metricsRegistry?: Registry;
  logger?: Logger;
  /** Largest accepted body. The apiserver caps objects at 3 MiB and a review carries object and oldObject. */
  maxBodyBytes?: number;
  /** Deadline for receiving the whole body, against slow or stalled clients. */
  readTimeoutMs?: number;
  /** Deadline for a handler; below the webhooks' timeoutSeconds (10 s) so our denial beats the apiserver's. */
  handlerTimeoutMs?: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  shutdownGraceMs?: number;
  /** Open connections beyond this are refused, so idle or slow clients cannot hold unbounded sockets. */
  maxConnections?: number;
  /** Deadline for the TLS handshake and then for the request headers. */
  headersTimeoutMs?: number;
}

/**
 * TLS 1.3's suites and TLS 1.2's ECDHE AEAD suites only (no CBC, no SHA-1 MACs, no static RSA): what
 * Go's TLS client, the apiserver's, prefers anyway.
 */
export const AEAD_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const TLS_SETTINGS = { minVersion: 'TLSv1.2', ciphers: AEAD_CIPHERS, honorCipherOrder: true } as const;

/**
 * Far above what admission needs (the apiserver keeps a few keep-alive connections per replica, and
 * a call takes milliseconds), far below what exhausts memory or file descriptors.
 */
export const DEFAULT_MAX_CONNECTIONS = 512;

export const DEFAULT_MAX_BODY_BYTES = 7 * 1024 * 1024;

export interface WebhookMetrics {
  requests: Counter<'webhook' | 'code'>;
  latency: Histogram<'webhook'>;
  inFlight: Gauge<'webhook'>;
}

/** controller-runtime's webhook metrics (same names and labels), registered once per Registry. */
export function webhookMetrics(registry: Registry): WebhookMetrics {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const requests =
    existing<Counter<'webhook' | 'code'>>('controller_runtime_webhook_requests_total') ??
    new Counter({
      name: 'controller_runtime_webhook_requests_total',
      help: 'Total number of admission requests by HTTP status code.',
      labelNames: ['webhook', 'code'],
      registers: [registry],
    });
  const latency =
    existing<Histogram<'webhook'>>('controller_runtime_webhook_latency_seconds') ??
    new Histogram({
      name: 'controller_runtime_webhook_latency_seconds',
      help: 'Histogram of the latency of processing admission requests',
      labelNames: ['webhook'],
      registers: [registry],
    });
  const inFlight =
    existing<Gauge<'webhook'>>('controller_runtime_webhook_requests_in_flight') ??
    new Gauge({
      name: 'controller_runtime_webhook_requests_in_flight',
      help: 'Current number of admission requests being served.',
      labelNames: ['webhook'],
      registers: [registry],
    });
  return { requests, latency, inFlight };
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; reply: HttpReply };

export class WebhookServer {
  /** For the manager: webhooks serve on every replica. */
  readonly needLeaderElection = false;
  private readonly server: https.Server;
  private readonly metrics?: WebhookMetrics;
  private readonly log: Logger;
  private readonly maxBodyBytes: number;
  private readonly readTimeoutMs: number;
  private readonly handlerTimeoutMs: number;
  private readonly shutdown = new AbortController();
  private listening = false;
  private closing?: Promise<void>;

  constructor(private readonly options: WebhookServerOptions) {
    this.log = options.logger ?? pino({ level: 'silent' });
    this.metrics = options.metricsRegistry ? webhookMetrics(options.metricsRegistry) : undefined;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.handlerTimeoutMs = options.handlerTimeoutMs ?? 9_000;
    const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
    this.server = https.createServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        ...TLS_SETTINGS,
        handshakeTimeout: headersTimeoutMs,
        headersTimeout: headersTimeoutMs,
        // Node's own backstop; the per-request read deadline below is the precise one.
        requestTimeout: this.readTimeoutMs + this.handlerTimeoutMs + 5_000,
        // Node enforces headersTimeout and requestTimeout only when it sweeps its connections, every
        // 30 s by default: a silent connection would live 30 s, not 10.
        connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
        // Longer than Go's 90 s idle timeout, so the apiserver closes idle connections first and
        // never writes into one we are closing.
        keepAliveTimeout: 120_000,
      },
      (req, res) => {
        this.onRequest(req, res).catch((err) => this.failed(res, err));
      },
    );
    this.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    // Node times out headers only once a request has begun: a connection that completes the handshake
    // and sends nothing would be held forever. Close it unless its first request starts in time (the
    // request handler clears this; between requests keepAliveTimeout applies).
    this.server.on('secureConnection', (socket) => socket.setTimeout(headersTimeoutMs));
    let droppedSince = 0;
    this.server.on('drop', () => {
      // Once per 10 s at most: a flood of connections must not become a flood of log lines.
      if (droppedSince++ > 0) return;
      setTimeout(() => {
        this.log.warn({ dropped: droppedSince }, 'webhook connections refused: maxConnections reached');
        droppedSince = 0;
      }, 10_000).unref();
    });
    this.server.on('tlsClientError', (err) =>
      this.log.debug({ err: errorMessage(err) }, 'TLS handshake failed'),
    );
    this.server.on('clientError', (err, socket) => {
      this.log.debug({ err: errorMessage(err) }, 'bad HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.listening = true;
        this.log.info({ address: this.server.address() }, 'webhook server listening');
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Manager runnable: serve until `signal` aborts, then drain. */
  async start(signal: AbortSignal): Promise<void> {
    await this.listen();
    if (!signal.aborted)
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await this.close();
  }

  /** Hot swap: new connections get the new certificate, open ones finish on the old. */
  setCertificate(tls: TlsKeyPair): void {
    this.server.setSecureContext({ key: tls.key, cert: tls.cert, ...TLS_SETTINGS });
    this.log.info('webhook serving certificate reloaded');
  }

  get ready(): boolean {
    return this.listening && !this.shutdown.signal.aborted;
  }

  address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then cuts what is left. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    this.shutdown.abort(new Error('webhook server shutting down'));
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.shutdownGraceMs ?? 10_000);
    });
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
    this.listening = false;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.socket.setTimeout(0);
    const path = requestPath(req.url);
    if (this.shutdown.signal.aborted) res.setHeader('Connection', 'close');
    if (path === undefined) return send(res, textReply(400, 'the request target is not a valid path'));
    if (path === '/healthz') return send(res, textReply(200, 'ok'));
    if (path === '/readyz') return send(res, this.ready ? textReply(200, 'ok') : textReply(503, 'not ready'));
    const route = this.options.registry.get(path);
    if (!route) return send(res, textReply(404, `no webhook at ${path}`));
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, textReply(405, `method ${req.method} not allowed; use POST`));
    }
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      return send(res, textReply(415, 'content-type must be application/json'));
    }
    await this.serveRoute(route, req, res);
  }

  private async serveRoute(route: WebhookRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    this.metrics?.inFlight.inc({ webhook: route.path });
    try {
      const reply = await this.review(route, req, res);
      if (reply.status !== 200) res.setHeader('Connection', 'close');
      send(res, reply);
      this.metrics?.requests.inc({ webhook: route.path, code: String(reply.status) });
      if (reply.status === 408) setTimeout(() => req.socket.destroy(), 1_000).unref();
    } finally {
      this.metrics?.inFlight.dec({ webhook: route.path });
      this.metrics?.latency.observe({ webhook: route.path }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async review(route: WebhookRoute, req: IncomingMessage, res: ServerResponse): Promise<HttpReply> {
    const body = await readBody(req, this.maxBodyBytes, this.readTimeoutMs);
    if (!body.ok) return body.reply;
    // Abort the handler when the client goes away or the server shuts down.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort(new Error('client went away'));
    };
    res.once('close', onClose);
    const signal = AbortSignal.any([gone.signal, this.shutdown.signal]);
    try {
      return await reviewAdmission(route, body.body, { timeoutMs: this.handlerTimeoutMs, signal });
    } finally {
      res.off('close', onClose);
    }
  }

  private failed(res: ServerResponse, err: unknown): void {
    this.log.error({ err: errorMessage(err) }, 'webhook request failed');
    send(res, textReply(500, 'internal error'));
  }
}

/** The path of a request target; undefined when it does not parse (e.g. `//`). */
function requestPath(target = '/'): string | undefined {
  try {
    return new URL(target, 'https://webhook').pathname;
  } catch {
    return undefined;
  }
}

/** `application/json; charset=utf-8` → `application/json`: the media type alone, compared exactly. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Reads the body within a size limit and a deadline; past either, replies 400 or 408. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // discard the rest so the client can read our reply
    return Promise.resolve({ ok: false, reply: tooLarge(limit) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reply: textReply(408, `request body not received within ${timeoutMs}ms`) }),
      timeoutMs,
    );
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish({ ok: false, reply: tooLarge(limit) });
      else if (!done) chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', (err) =>
      finish({ ok: false, reply: textReply(400, `reading body: ${errorMessage(err)}`) }),
    );
    req.on('close', () => finish({ ok: false, reply: textReply(400, 'client closed the request') }));
  });
}

function tooLarge(limit: number): HttpReply {
  return textReply(400, `request body exceeds the ${limit}-byte limit`);
}

function send(res: ServerResponse, reply: HttpReply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
  });
  res.end(reply.body);
}
