// The only module that touches @kubernetes/client-node: it is used for kubeconfigs that need a plugin
// (exec, auth-provider) or a proxy, and nothing else (kubeconfig.ts reads the common ones). Requests
// are plain node:http(s), which avoids the generated APIs' serialization traps (Date fields, wrong
// patch media types; libraries.md §2).
import * as http from 'node:http';
import * as https from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { Backoff, realClock, sleep } from './clock';
import { ApiError } from './errors';
import { type Credentials, nativeCredentials } from './kubeconfig';
import type { KubeObject, ResourceType } from './meta';
import { createRuntimeMetrics, type RuntimeMetrics } from './metrics';
import { ResourceClient } from './resource';

// Callers import everything client-related from here.
export {
  type DeleteOptions,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  ResourceClient,
  retryOnConflict,
  type Scale,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './resource';

// Node ≥20.19 can require() an ES module; TypeScript's node16 mode can't express that, so it is required
// explicitly, and lazily: only loading a kubeconfig needs it (unit tests run without it).
type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' }});
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;
const loadClientNode = (): ClientNode => require('@kubernetes/client-node');

/** Loads a kubeconfig file, or the default chain ($KUBECONFIG, ~/.kube/config, in-cluster) when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new (loadClientNode().KubeConfig)();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export type { Credentials } from './kubeconfig';

/** Credentials from a kubeconfig: client certs, tokens, token files, exec plugins (all via client-node). */
export function credentialsFromKubeConfig(kc: KubeConfig): Credentials {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`kubeconfig context "${kc.getCurrentContext()}" has no cluster server`);
  return { server, apply: (options) => kc.applyToHTTPSOptions(options) };
}

/** Credentials for a server URL with fixed TLS material and headers (tests, bootstrap tools). */
export function credentialsForServer(
  server: string,
  tls: Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> = {},
  headers: Record<string, string> = {},
): Credentials {
  return { server, apply: async (options) => void Object.assign(options, tls, { headers: { ...headers } }) };
}

export interface ClientOptions {
  metrics?: RuntimeMetrics;
  /** Injected in tests to observe backoff without waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Retries for 429, and for 5xx/socket errors on idempotent requests. */
  maxRetries?: number;
  requestTimeoutMs?: number;
  userAgent?: string;
  /**
   * Sockets open at once for requests (watches have a pool of their own); more requests wait for one.
   * Default unbounded: a bound can deadlock a process whose webhook calls the apiserver while its own
   * writes wait for that webhook. A process without webhooks (the extender) bounds it, so a burst of
   * writes reuses a few TLS connections instead of opening one each.
   */
  maxSockets?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. /api/v1/namespaces/default/pods?limit=500 */
  path: string;
  body?: unknown;
  contentType?: string;
  /** Default application/json; e.g. the server-side Table format kubectl get uses. */
  accept?: string;
  signal?: AbortSignal;
  /** Safe to resend after a 5xx or a socket error (GET, server-side apply). */
  idempotent?: boolean;
}

interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Connection {
  base: URL;
  agent: http.Agent;
  /** Watches hold their socket for minutes, so they never wait for (or take) one of `agent`'s. */
  streamAgent: http.Agent;
  headers: Record<string, string>;
  tlsFingerprint: string;
  refreshAt: number;
}

// kube-apiserver closes connections idle for 90 s; dropping ours first avoids reusing a closing socket.
const IDLE_SOCKET_MS = 30_000;

/** The request failed on a reused keep-alive socket before any answer: the server had closed it. */
class StaleSocketError extends ApiError {}

// Exec plugins and projected service-account tokens rotate; re-read credentials this often.
const CREDENTIAL_REFRESH_MS = 60_000;

/** A connection to one apiserver: auth, retries, metrics, and the raw request/stream primitives. */
export class KubeClient {
  readonly metrics: RuntimeMetrics;
  private connection?: Connection;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly maxRetries: number;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly maxSockets: number;

  constructor(
    readonly credentials: Credentials,
    options: ClientOptions = {},
  ) {
    this.metrics = options.metrics ?? createRuntimeMetrics();
    this.sleep = options.sleep ?? ((ms, signal) => sleep(ms, signal));
    this.maxRetries = options.maxRetries ?? 5;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.userAgent = options.userAgent ?? 'outrigger';
    this.maxSockets = options.maxSockets ?? Number.POSITIVE_INFINITY;
  }

  resource<T extends KubeObject = KubeObject>(type: ResourceType): ResourceClient<T> {
    return new ResourceClient<T>(this, type);
  }

  /** The server URL, e.g. https://127.0.0.1:6443. */
  get server(): string {
    return this.credentials.server;
  }

  /** Sends a request, retrying 429 (honouring Retry-After) and, for idempotent requests, 5xx and socket errors. */
  async request<R>(req: HttpRequest): Promise<R> {
    const backoff = new Backoff(200, 10_000);
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.maxRetries && !req.signal?.aborted;
      let res: HttpResponse;
      try {
        res = await this.send(req);
      } catch (err) {
        if (canRetry && req.idempotent && err instanceof ApiError && err.isTransport) {
          await this.sleep(backoff.next(), req.signal);
          continue;
        }
        throw err;
      }
      if (res.status < 400) return (res.body ? JSON.parse(res.body) : {}) as R;
      const error = toApiError(res, req);
      if (error.code === 401 && attempt === 0 && this.connection) {
        // A rotated token or an expired exec credential: re-read credentials once and resend.
        this.connection.refreshAt = 0;
        continue;
      }
      const retryable = error.code === 429 || (req.idempotent && error.code >= 500);
      if (!canRetry || !retryable) throw error;
      const delay = Math.max(backoff.next(), (error.retryAfterSeconds ?? 0) * 1000);
      await this.sleep(delay, req.signal);
    }
  }

  /**
   * Opens a streaming GET (a watch) and calls onLine for every JSON line. Resolves when the server ends
   * the stream or `signal` aborts; rejects with ApiError on an HTTP error or a broken connection.
   */
  async stream(path: string, onLine: (obj: unknown) => void, signal: AbortSignal): Promise<void> {
    const conn = await this.connect();
    const req = this.startRequest(conn, { method: 'GET', path, signal }, conn.streamAgent);
    req.end();
    const res = await this.awaitResponse(req, { method: 'GET', path, signal });
    if (res.statusCode !== 200) {
      throw toApiError(
        { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) },
        {
          method: 'GET',
          path,
        },
      );
    }
    // After the headers, failures are reported by readLines through 'close'; aborting emits 'error' on both.
    req.on('error', () => undefined);
    await readLines(res, onLine, signal, path);
  }

  private async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.sendOnce(req);
    } catch (err) {
      // A keep-alive socket the server closed while idle fails at once on reuse, before the server
      // read anything; resending on a new socket is safe for any verb (node's documented pattern).
      if (err instanceof StaleSocketError) return this.sendOnce(req);
      throw err;
    }
  }

  private async sendOnce(req: HttpRequest): Promise<HttpResponse> {
    const conn = await this.connect();
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const clientReq = this.startRequest(conn, {
      ...req,
      contentType: body ? (req.contentType ?? 'application/json') : undefined,
    });
    if (body) clientReq.setHeader('Content-Length', Buffer.byteLength(body));
    clientReq.setTimeout(this.requestTimeoutMs, () =>
      clientReq.destroy(
        new ApiError(0, 'Timeout', `${req.method} ${req.path}: no answer in ${this.requestTimeoutMs} ms`),
      ),
    );
    clientReq.end(body);
    const res = await this.awaitResponse(clientReq, req);
    return { status: res.statusCode ?? 0, headers: res.headers, body: await readBody(res) };
  }

  private startRequest(
    conn: Connection,
    req: Pick<HttpRequest, 'method' | 'path' | 'signal' | 'contentType' | 'accept'>,
    agent = conn.agent,
  ) {
    const url = new URL(conn.base.pathname.replace(/\/$/, '') + req.path, conn.base);
    const headers: Record<string, string> = {
      ...conn.headers,
      Accept: req.accept ?? 'application/json',
      'User-Agent': this.userAgent,
    };
    if (req.contentType) headers['Content-Type'] = req.contentType;
    const requestFn = url.protocol === 'http:' ? http.request : https.request;
    const clientReq = requestFn(url, { method: req.method, agent, headers });
    // Abort by destroying the request ourselves, without an error: once a response has ended its socket
    // is back in the keep-alive pool, and destroying it with an error (as node's `signal` option does)
    // raises an uncaught 'error' on that socket.
    const signal = req.signal;
    if (signal) {
      const onAbort = () => clientReq.destroy();
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      clientReq.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return clientReq;
  }

  /** Waits for response headers; counts the request in rest_client_requests_total. */
  private awaitResponse(clientReq: http.ClientRequest, req: Pick<HttpRequest, 'method' | 'path' | 'signal'>) {
    const host = this.connection?.base.host ?? '';
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      clientReq.once('response', (res) => {
        this.metrics.restClientRequests.inc({ code: String(res.statusCode), method: req.method, host });
        resolve(res);
      });
      clientReq.once('error', (err: Error & { code?: string }) => {
        this.metrics.restClientRequests.inc({ code: '<error>', method: req.method, host });
        const reason = req.signal?.aborted
          ? 'Aborted'
          : err instanceof ApiError
            ? err.reason
            : (err.code ?? err.name);
        const message = `${req.method} ${req.path}: ${err.message}`;
        if (err instanceof ApiError) reject(err);
        else if (clientReq.reusedSocket && err.code === 'ECONNRESET' && !req.signal?.aborted)
          reject(new StaleSocketError(0, reason, message));
        else reject(new ApiError(0, reason, message));
      });
    });
  }

  /** Credentials from the kubeconfig, refreshed periodically; the keep-alive agent is reused while TLS material is unchanged. */
  private async connect(): Promise<Connection> {
    const now = realClock.now();
    if (this.connection && now < this.connection.refreshAt) return this.connection;
    const opts: https.RequestOptions = { headers: {} };
    await this.credentials.apply(opts);
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      rejectUnauthorized: opts.rejectUnauthorized,
      servername: opts.servername,
    };
    const tlsFingerprint = JSON.stringify(tls);
    const base = new URL(this.credentials.server);
    let { agent, streamAgent } = this.connection ?? {};
    if (!agent || !streamAgent || this.connection?.tlsFingerprint !== tlsFingerprint) {
      agent?.destroy();
      streamAgent?.destroy();
      const secure = base.protocol === 'http:' ? undefined : httpsOptions(tls);
      const newAgent = (maxSockets: number) =>
        secure
          ? new https.Agent({ ...AGENT_OPTIONS, ...secure, maxSockets })
          : new http.Agent({ ...AGENT_OPTIONS, maxSockets });
      agent = newAgent(this.maxSockets);
      streamAgent = newAgent(Number.POSITIVE_INFINITY);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name] = String(value);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.connection = {
      base,
      agent,
      streamAgent,
      headers,
      tlsFingerprint,
      refreshAt: now + CREDENTIAL_REFRESH_MS,
    };
    return this.connection;
  }

  /** Closes idle keep-alive sockets (open watches end through their own abort signals). */
  close(): void {
    this.connection?.agent.destroy();
    this.connection?.streamAgent.destroy();
    this.connection = undefined;
  }
}

const AGENT_OPTIONS = { keepAlive: true, timeout: IDLE_SOCKET_MS };

/**
 * Agent options whose sockets share one TLS context: given raw ca/cert/key, node parses the PEMs again
 * for every new socket, and a burst of writes opens hundreds of them.
 */
function httpsOptions(
  tls: SecureContextOptions & Pick<https.AgentOptions, 'rejectUnauthorized' | 'servername'>,
): https.AgentOptions {
  const { rejectUnauthorized, servername, ...material } = tls;
  const secureContext = createSecureContext(withoutUndefined(material));
  return { ...withoutUndefined({ rejectUnauthorized, servername }), secureContext };
}

function withoutUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', (err) => reject(new ApiError(0, 'ResponseError', err.message)));
  });
}

/** Splits a chunked watch body into JSON lines. A close without a clean end, or a bad line, is an error. */
function readLines(
  res: http.IncomingMessage,
  onLine: (obj: unknown) => void,
  signal: AbortSignal,
  path: string,
) {
  return new Promise<void>((resolve, reject) => {
    let buffered = '';
    let ended = false;
    let failure: ApiError | undefined;
    const deliver = (line: string) => {
      try {
        onLine(JSON.parse(line));
      } catch (error) {
        failure = new ApiError(0, 'BadWatchEvent', `watch ${path}: ${(error as Error).message}`);
        res.destroy();
      }
    };
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let start = 0;
      for (
        let newline = buffered.indexOf('\n');
        newline >= 0 && !failure;
        newline = buffered.indexOf('\n', start)
      ) {
        const line = buffered.slice(start, newline).trim();
        start = newline + 1;
        if (line) deliver(line);
      }
      buffered = buffered.slice(start);
    });
    res.once('end', () => {
      ended = true;
      resolve();
    });
    res.once('close', () => {
      if (failure) return reject(failure);
      if (ended || signal.aborted) return resolve();
      reject(new ApiError(0, 'ConnectionClosed', `watch ${path}: connection closed before the stream ended`));
    });
    res.on('error', () => undefined); // reported through 'close'
  });
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

function toApiError(res: HttpResponse, req: Pick<HttpRequest, 'method' | 'path'>): ApiError {
  let status: StatusBody = {};
  try {
    status = JSON.parse(res.body) as StatusBody;
  } catch {
    status = { message: res.body.slice(0, 200) };
  }
  const header = Number(res.headers['retry-after']);
  const retryAfter = Number.isFinite(header) && header > 0 ? header : status.details?.retryAfterSeconds;
  const reason = status.reason || http.STATUS_CODES[res.status] || 'Unknown';
  const message = `${req.method} ${req.path}: ${res.status} ${reason}: ${status.message ?? ''}`.trim();
  return new ApiError(res.status, reason, message, req.method, req.path, retryAfter);
}

/**
 * Builds a client from a kubeconfig path (default chain when omitted), a loaded KubeConfig, or
 * Credentials. Certificates and tokens are read natively; client-node is loaded only for a user that
 * needs a plugin (exec, auth-provider) or a cluster behind a proxy.
 */
export function createClient(
  source?: string | KubeConfig | Credentials,
  options: ClientOptions & { context?: string } = {},
): KubeClient {
  if (source && typeof source === 'object' && 'apply' in source) return new KubeClient(source, options);
  if (typeof source === 'object') return new KubeClient(credentialsFromKubeConfig(source), options);
  const credentials =
    nativeCredentials(source, process.env, options.context) ??
    credentialsFromKubeConfig(withContext(source, options.context));
  return new KubeClient(credentials, options);
}

function withContext(path: string | undefined, context: string | undefined): KubeConfig {
  const kc = loadKubeConfig(path);
  if (context) {
    if (!kc.getContextObject(context)) throw new Error(`kubeconfig context "${context}" not found`);
    kc.setCurrentContext(context);
  }
  return kc;
}
