// A fault-injecting stand-in for ONE resource (core/v1 pods) of the apiserver, for unit tests of the
// client's retry logic and the informer's reconnect logic only. It serves paginated LIST, chunked WATCH
// with a replayable history, GET by name and echoing writes, and can drop sockets, fail requests, send
// 410 ERROR events and go silent. Everything else is tested against the real control plane.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../meta';

export type Fault =
  | { kind: 'status'; code: number; retryAfterSeconds?: number }
  /** Watch: answer 200, flush headers, then destroy the socket. */
  | { kind: 'drop' }
  /** Watch: answer 200 and send a 410 ERROR event (resourceVersion too old). */
  | { kind: 'goneEvent' }
  /** Watch: answer 200, flush headers and never send anything. */
  | { kind: 'silent' }
  /** Watch: answer 200 and send a line that is not JSON. */
  | { kind: 'garbage' };

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body?: unknown;
  /** performance.now() when the request arrived. */
  at: number;
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export class FaultServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: HistoryEntry[] = [];
  private readonly watches = new Set<{ res: http.ServerResponse; namespace?: string }>();
  private readonly faults: Record<'list' | 'watch' | 'other', Fault[]> = { list: [], watch: [], other: [] };
  private rv = 100;
  /** Watches from a resourceVersion below this get a 410 ERROR event. */
  private compactedBelow = 0;
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues a fault for the next request of that kind. */
  failNext(kind: 'list' | 'watch' | 'other', fault: Fault): void {
    this.faults[kind].push(fault);
  }

  /** Destroys every open watch socket (a network blip or an apiserver crash). */
  dropWatches(): void {
    for (const watch of this.watches) watch.res.socket?.destroy();
    this.watches.clear();
  }

  /** Forgets history, so watches from any earlier resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  requestsOf(kind: 'list' | 'watch'): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === 'GET' && (r.query.get('watch') === 'true') === (kind === 'watch'),
    );
  }

  upsert(
    name: string,
    namespace = 'default',
    extra: Partial<KubeObject> & Record<string, unknown> = {},
  ): KubeObject {
    const key = `${namespace}/${name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const uid = this.objects.get(key)?.metadata?.uid ?? `uid-${name}`;
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      ...extra,
      metadata: { ...extra.metadata, name, namespace, uid, resourceVersion: String(++this.rv) },
    };
    this.objects.set(key, obj);
    this.record(type, obj);
    return obj;
  }

  remove(name: string, namespace = 'default'): void {
    const key = `${namespace}/${name}`;
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.record('DELETED', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Sends a BOOKMARK at the current resourceVersion to every open watch. */
  bookmark(): void {
    const line = JSON.stringify({
      type: 'BOOKMARK',
      object: { kind: 'Pod', metadata: { resourceVersion: String(this.rv) } },
    });
    for (const watch of this.watches) watch.res.write(`${line}\n`);
  }

  private record(type: HistoryEntry['type'], object: KubeObject): void {
    const entry = { rv: this.rv, type, object };
    this.history.push(entry);
    for (const watch of this.watches) if (matches(watch.namespace, object)) send(watch.res, entry);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        body: text ? JSON.parse(text) : undefined,
        at: performance.now(),
      };
      this.requests.push(recorded);
      this.route(recorded, res);
    });
  }

  private route(req: RecordedRequest, res: http.ServerResponse): void {
    const match = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/pods(?:\/([^/]+))?(?:\/(status|scale))?$/.exec(
      req.path,
    );
    if (!match) {
      status(res, 404, 'NotFound', `no route for ${req.path}`);
      return;
    }
    const [, namespace, name] = match;
    const isWatch = req.method === 'GET' && req.query.get('watch') === 'true';
    const kind = req.method === 'GET' && !name ? (isWatch ? 'watch' : 'list') : 'other';
    const fault = this.faults[kind].shift();
    if (fault?.kind === 'status')
      status(res, fault.code, reasonFor(fault.code), 'injected', fault.retryAfterSeconds);
    else if (kind === 'watch') this.watch(req, res, namespace, fault);
    else if (kind === 'list') this.list(req, res, namespace);
    else if (req.method === 'GET') this.getOne(res, `${namespace}/${name}`);
    else
      json(res, req.method === 'POST' ? 201 : 200, req.method === 'DELETE' ? { kind: 'Status' } : req.body);
  }

  private getOne(res: http.ServerResponse, key: string): void {
    const obj = this.objects.get(key);
    if (obj) json(res, 200, obj);
    else status(res, 404, 'NotFound', `pods "${key}" not found`);
  }

  private list(req: RecordedRequest, res: http.ServerResponse, namespace?: string): void {
    const all = [...this.objects.values()].filter((obj) => matches(namespace, obj));
    const offset = Number(req.query.get('continue') ?? 0);
    const limit = Number(req.query.get('limit') ?? 0) || all.length;
    const items = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    json(res, 200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv), continue: more ? String(offset + limit) : undefined },
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest), // real lists omit per-item type meta
    });
  }

  private watch(
    req: RecordedRequest,
    res: http.ServerResponse,
    namespace: string | undefined,
    fault?: Fault,
  ): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // without this the client never sees the stream start
    if (fault?.kind === 'drop') return void res.socket?.destroy();
    if (fault?.kind === 'silent') return;
    if (fault?.kind === 'garbage') return void res.write('{"type": "ADDED", "object": {\n');
    const from = Number(req.query.get('resourceVersion') ?? 0);
    if (fault?.kind === 'goneEvent' || from < this.compactedBelow) {
      const gone = {
        kind: 'Status',
        status: 'Failure',
        code: 410,
        reason: 'Expired',
        message: 'too old resource version',
      };
      res.write(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
      return void res.end();
    }
    for (const entry of this.history)
      if (entry.rv > from && matches(namespace, entry.object)) send(res, entry);
    const watch = { res, namespace };
    this.watches.add(watch);
    res.on('close', () => this.watches.delete(watch));
  }
}

function matches(namespace: string | undefined, obj: KubeObject): boolean {
  return !namespace || obj.metadata?.namespace === namespace;
}

function send(res: http.ServerResponse, entry: HistoryEntry): void {
  res.write(`${JSON.stringify({ type: entry.type, object: entry.object })}\n`);
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function reasonFor(code: number): string {
  return (
    {
      409: 'Conflict',
      410: 'Expired',
      429: 'TooManyRequests',
      500: 'InternalError',
      503: 'ServiceUnavailable',
    }[code] ?? 'Unknown'
  );
}

function status(
  res: http.ServerResponse,
  code: number,
  reason: string,
  message: string,
  retryAfter?: number,
): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (retryAfter) headers['Retry-After'] = String(retryAfter);
  res.writeHead(code, headers);
  const details = retryAfter ? { retryAfterSeconds: retryAfter } : undefined;
  res.end(
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details }),
  );
}
