import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { ResourceError } from '../../apis/resources';
import type { Extender } from './extender';
import { BadRequest, parseBindingArgs, parseExtenderArgs } from './wire';

export interface ServerOptions {
  prefix: string;
  maxBodyBytes: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  maxConnections?: number;
  logger: Logger;
  registry?: Registry;
  /** Until this is true (the cache has synced) verbs answer 503, which an ignorable extender's scheduler skips. */
  isReady?: () => boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Request bodies buffered at once, across connections: a few maximal bodies, then 503. */
class BodyBudget {
  private used = 0;
  constructor(private readonly limit: number) {}
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
}

function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new HttpError(413, `request body exceeds ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: HttpError) => {
      budget.give(size);
      size = 0;
      chunks.length = 0;
      req.removeAllListeners('data');
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) return fail(new HttpError(413, `request body exceeds ${limit} bytes`));
      if (!budget.take(chunk.length)) return fail(new HttpError(503, 'too many request bodies in flight'));
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      budget.give(size);
      resolve(body);
    });
    req.on('error', (err) => {
      budget.give(size);
      reject(err);
    });
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

/** The extender's HTTP server: POST <prefix>/filter, /prioritize, /bind; GET /healthz, /readyz and /metrics. */
export function createExtenderServer(extender: Extender, options: ServerOptions): Server {
  const prefix = options.prefix.replace(/\/+$/, '');
  const registry = options.registry ?? new Registry();
  const duration = new Histogram({
    name: 'outrigger_extender_request_duration_seconds',
    help: 'Extender request handling time by verb and HTTP status.',
    labelNames: ['verb', 'code'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
  });

  const scores = new Histogram({
    name: 'outrigger_extender_node_scores',
    help: 'Node scores answered to prioritize (0-10; kube-scheduler multiplies them by the extender weight).',
    buckets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    registers: [registry],
  });

  const budget = new BodyBudget(4 * options.maxBodyBytes);
  const verbs: Record<string, (body: unknown) => Promise<unknown> | unknown> = {
    filter: (body) => extender.filter(parseExtenderArgs(body)),
    prioritize: async (body) => {
      const priorities = await extender.prioritize(parseExtenderArgs(body));
      for (const { Score } of priorities) scores.observe(Score);
      return priorities;
    },
  };
  if (extender.canBind) {
    // ExtenderBindingResult carries the failure; kube-scheduler then retries the pod.
    verbs.bind = async (body) => {
      const args = parseBindingArgs(body);
      try {
        return { Error: await extender.bind(args) };
      } catch (err) {
        return { Error: err instanceof Error ? err.message : String(err) };
      }
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const ready = options.isReady?.() ?? true;
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, 'ok');
    if (req.method === 'GET' && path === '/readyz')
      return send(res, ready ? 200 : 503, ready ? 'ok' : 'cache not synced');
    if (req.method === 'GET' && path === '/metrics') return send(res, 200, await registry.metrics());
    const verb = path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : '';
    const run = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
    if (!run) throw new HttpError(404, `no such endpoint: ${path}`);
    if (req.method !== 'POST') throw new HttpError(405, `${path} accepts POST only`);
    if (!ready) throw new HttpError(503, 'the node/pod cache has not synced yet');
    const stop = duration.startTimer({ verb });
    let code = 200;
    try {
      send(res, 200, await run(parseJson(await readBody(req, options.maxBodyBytes, budget))));
    } catch (err) {
      code = statusOf(err);
      throw err;
    } finally {
      stop({ code });
    }
  }

  // Timeouts are enforced on this interval (Node checks every 30 s by default).
  const server = createServer({ connectionsCheckingInterval: 250 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = statusOf(err);
      const message = err instanceof Error ? err.message : String(err);
      if (status >= 500 && status !== 503)
        options.logger.error({ err, url: req.url }, 'extender request failed');
      else options.logger.debug({ status, message, url: req.url }, 'rejected request');
      // An unread body (413, 503) is not drained: the connection closes after the reply.
      if (!res.headersSent) send(res, status, `${message}\n`, status === 413 || status === 503);
      else res.destroy();
    });
  });
  // A slow or stalled client cannot hold a connection (or memory) for long.
  server.headersTimeout = options.headersTimeoutMs ?? 5_000;
  server.requestTimeout = options.requestTimeoutMs ?? 10_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000;
  server.maxConnections = options.maxConnections ?? 256;
  return server;
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof BadRequest || err instanceof ResourceError) return 400;
  return 500;
}
