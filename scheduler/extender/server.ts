import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { ResourceError } from '../../apis/resources';
import type { Extender } from './extender';
import { BadRequest, parseBindingArgs, parseExtenderArgs } from './wire';

export interface ServerOptions {
  prefix: string;
  maxBodyBytes: number;
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

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `request body exceeds ${limit} bytes`));
        req.resume(); // drain without buffering so the reply can be sent
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
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

  const verbs: Record<string, (body: unknown) => Promise<unknown> | unknown> = {
    filter: (body) => extender.filter(parseExtenderArgs(body)),
    prioritize: (body) => extender.prioritize(parseExtenderArgs(body)),
  };
  if (extender.canBind) verbs.bind = async (body) => ({ Error: await extender.bind(parseBindingArgs(body)) });

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
      send(res, 200, await run(parseJson(await readBody(req, options.maxBodyBytes))));
    } catch (err) {
      code = statusOf(err);
      throw err;
    } finally {
      stop({ code });
    }
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = statusOf(err);
      const message = err instanceof Error ? err.message : String(err);
      if (status >= 500) options.logger.error({ err, url: req.url }, 'extender request failed');
      else options.logger.debug({ status, message, url: req.url }, 'rejected request');
      if (!res.headersSent) send(res, status, `${message}\n`);
      else res.destroy();
    });
  });
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof BadRequest || err instanceof ResourceError) return 400;
  return 500;
}
