import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateClusterPki } from '../cluster/pki';
import { createClient, credentialsForServer, KubeClient, retryOnConflict } from './client';
import { ApiError, isNotFound } from './errors';
import { type KubeObject, Leases, Nodes, Pods } from './meta';
import { createRuntimeMetrics } from './metrics';
import { FaultServer } from './testing/faultserver';

describe('KubeClient against the fault server', () => {
  let server: FaultServer;
  let client: KubeClient;
  let sleeps: number[];

  beforeEach(async () => {
    server = new FaultServer();
    const url = await server.listen();
    sleeps = [];
    client = new KubeClient(credentialsForServer(url), {
      metrics: createRuntimeMetrics(),
      sleep: async (ms) => void sleeps.push(ms),
    });
  });

  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('lists every page with limit/continue and fills in apiVersion/kind', async () => {
    for (let i = 0; i < 7; i++) server.upsert(`pod-${i}`);
    const { items, resourceVersion } = await client.resource(Pods).list({ namespace: 'default', limit: 3 });
    expect(items.map((p) => p.metadata?.name)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `pod-${i}`));
    expect(items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    expect(resourceVersion).toBe('107');
    const lists = server.requestsOf('list');
    expect(lists.map((r) => r.query.get('continue'))).toEqual([null, '3', '6']);
    expect(
      lists.every((r) => r.path === '/api/v1/namespaces/default/pods' && r.query.get('limit') === '3'),
    ).toBe(true);
  });

  it('turns a Status answer into an ApiError with code and reason', async () => {
    const error = await client
      .resource(Pods)
      .get({ namespace: 'default', name: 'missing' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(isNotFound(error)).toBe(true);
  });

  it('honours 429 Retry-After for any verb', async () => {
    server.failNext('other', { kind: 'status', code: 429, retryAfterSeconds: 3 });
    const pod = { metadata: { name: 'a', namespace: 'default' } };
    const created = await client.resource(Pods).create(pod);
    expect(created.metadata?.name).toBe('a');
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(3000);
  });

  it('retries 5xx for reads but not for non-idempotent writes', async () => {
    server.upsert('a');
    server.failNext('other', { kind: 'status', code: 500 });
    server.failNext('other', { kind: 'status', code: 503 });
    const pod = await client.resource(Pods).get({ namespace: 'default', name: 'a' });
    expect(pod.metadata?.name).toBe('a');
    expect(sleeps).toHaveLength(2);

    server.failNext('other', { kind: 'status', code: 500 });
    await expect(
      client.resource(Pods).create({ metadata: { name: 'b', namespace: 'default' } }),
    ).rejects.toMatchObject({
      code: 500,
    });
  });

  it('re-reads credentials once after a 401', async () => {
    let reads = 0;
    const credentials = credentialsForServer(client.server);
    const counting = {
      server: credentials.server,
      apply: (options: object) => {
        reads++;
        return credentials.apply(options);
      },
    };
    const refreshing = new KubeClient(counting, { metrics: createRuntimeMetrics() });
    server.upsert('a');
    server.failNext('other', { kind: 'status', code: 401 });
    expect((await refreshing.resource(Pods).get({ namespace: 'default', name: 'a' })).metadata?.name).toBe(
      'a',
    );
    expect(reads).toBe(2);
    server.failNext('other', { kind: 'status', code: 401 });
    server.failNext('other', { kind: 'status', code: 401 });
    await expect(refreshing.resource(Pods).get({ namespace: 'default', name: 'a' })).rejects.toMatchObject({
      code: 401,
    });
    refreshing.close();
  });

  it('gives up after maxRetries', async () => {
    for (let i = 0; i < 10; i++) server.failNext('list', { kind: 'status', code: 503 });
    await expect(client.resource(Pods).list()).rejects.toMatchObject({ code: 503 });
    expect(server.requestsOf('list')).toHaveLength(6);
  });

  it('sends each patch type with its media type, fieldManager and force', async () => {
    const pods = client.resource(Pods);
    const ref = { namespace: 'default', name: 'a' };
    await pods.patch(ref, { metadata: { labels: { a: 'b' } } }, { type: 'merge' });
    await pods.patch(ref, [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], { type: 'json' });
    await pods.patch(ref, { spec: {} }, { type: 'strategic', subresource: 'status' });
    await pods.apply(
      { metadata: { name: 'a', namespace: 'default' } },
      { fieldManager: 'outrigger', force: true },
    );
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.contentType)).toEqual([
      'application/merge-patch+json',
      'application/json-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    expect(patches[2]?.path).toBe('/api/v1/namespaces/default/pods/a/status');
    expect(patches[3]?.query.get('fieldManager')).toBe('outrigger');
    expect(patches[3]?.query.get('force')).toBe('true');
    expect(patches[3]?.body).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
  });

  it('addresses the scale subresource and sends delete options', async () => {
    const pods = client.resource(Pods);
    await pods.scale({ namespace: 'default', name: 'a' }, 3);
    await pods.updateStatus({ metadata: { name: 'a', namespace: 'default', resourceVersion: '7' } });
    await pods.delete(
      { namespace: 'default', name: 'a' },
      { propagationPolicy: 'Background', preconditions: { uid: 'u1' } },
    );
    const [scale, status, del] = server.requests;
    expect(status).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/default/pods/a/status' });
    expect(status?.body).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '7' } });
    expect(scale).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/default/pods/a/scale' });
    expect(scale?.body).toEqual({ spec: { replicas: 3 } });
    expect(del?.body).toMatchObject({
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      preconditions: { uid: 'u1' },
    });
  });

  it('reports a socket error as a transport ApiError and counts requests', async () => {
    const watch = client
      .resource(Pods)
      .watch({ resourceVersion: '1' }, () => undefined, new AbortController().signal);
    server.failNext('watch', { kind: 'drop' });
    await server.close();
    await expect(watch).rejects.toMatchObject({ code: 0 });
    const text = await client.metrics.registry.metrics();
    expect(text).toMatch(
      /rest_client_requests_total\{code="<error>",method="GET",host="127\.0\.0\.1:\d+"\} 1/,
    );
  });

  it('builds a client from credentials', () => {
    expect(createClient(credentialsForServer('http://127.0.0.1:1')).server).toBe('http://127.0.0.1:1');
  });
});

describe('ResourceClient.path', () => {
  const client = new KubeClient(credentialsForServer('http://127.0.0.1:1'));

  it('builds core, group, namespaced and cluster-scoped paths', () => {
    expect(client.resource(Pods).path({ namespace: 'ns', name: 'p' }, 'status')).toBe(
      '/api/v1/namespaces/ns/pods/p/status',
    );
    expect(client.resource(Pods).path({ name: '' })).toBe('/api/v1/pods');
    expect(client.resource(Nodes).path({ namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
    expect(client.resource(Leases).path({ namespace: 'kube-system', name: 'x' })).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x',
    );
  });
});

describe('retryOnConflict', () => {
  it('re-runs the update on 409 Conflict only', async () => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      calls++;
      if (calls < 3) throw new ApiError(409, 'Conflict', 'stale');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    await expect(
      retryOnConflict(async () => {
        throw new ApiError(409, 'AlreadyExists', 'exists');
      }),
    ).rejects.toMatchObject({ reason: 'AlreadyExists' });
  });

  it('gives up after the attempts are used', async () => {
    let calls = 0;
    const update = async (): Promise<KubeObject> => {
      calls++;
      throw new ApiError(409, 'Conflict', 'stale');
    };
    await expect(retryOnConflict(update, 4, 0)).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(4);
  });
});

describe('KubeClient on keep-alive sockets the server closes', () => {
  it('resends a write once when a reused socket was closed before it answered', async () => {
    const requestsPerSocket = new Map<unknown, number>();
    let posts = 0;
    const server = http.createServer((req, res) => {
      posts++;
      const seen = (requestsPerSocket.get(req.socket) ?? 0) + 1;
      requestsPerSocket.set(req.socket, seen);
      // The second request on a connection finds it closed, as after the server's idle timeout.
      if (seen === 2) return void req.socket.destroy();
      req.resume();
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ metadata: { name: 'p', namespace: 'default' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient(credentialsForServer(`http://127.0.0.1:${port}`), { maxRetries: 0 });
    try {
      const pods = client.resource(Pods);
      await pods.create({ metadata: { name: 'p', namespace: 'default' } });
      await pods.create({ metadata: { name: 'p', namespace: 'default' } });
      expect(posts).toBe(3);
      expect(requestsPerSocket.size).toBe(2);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not resend a write whose fresh connection fails', async () => {
    let posts = 0;
    const server = http.createServer((req) => {
      posts++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient(credentialsForServer(`http://127.0.0.1:${port}`), { maxRetries: 0 });
    try {
      await expect(
        client.resource(Pods).create({ metadata: { name: 'p', namespace: 'default' } }),
      ).rejects.toMatchObject({ code: 0, reason: 'ECONNRESET' });
      expect(posts).toBe(1);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('KubeClient with maxSockets', () => {
  it('sends requests over at most maxSockets connections, and watches on their own', async () => {
    const requestSockets = new Set<number>();
    let watching!: () => void;
    const watchOpen = new Promise<void>((resolve) => {
      watching = resolve;
    });
    const server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.includes('watch=true')) {
        // A watch that stays open until the client aborts it.
        res.flushHeaders();
        return watching();
      }
      requestSockets.add(req.socket.remotePort ?? 0);
      // Hold each answer a moment so the requests overlap.
      setTimeout(() => res.end(JSON.stringify({ metadata: { name: 'p', namespace: 'default' } })), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient(credentialsForServer(`http://127.0.0.1:${port}`), { maxSockets: 1 });
    const stop = new AbortController();
    try {
      const pods = client.resource(Pods);
      const watch = pods.watch({ namespace: 'default', resourceVersion: '0' }, () => undefined, stop.signal);
      await watchOpen;
      const got = await Promise.all(
        Array.from({ length: 4 }, () => pods.get({ namespace: 'default', name: 'p' })),
      );
      expect(got.map((p) => p.metadata?.name)).toEqual(['p', 'p', 'p', 'p']);
      expect(requestSockets.size).toBe(1);
      stop.abort();
      await watch;
    } finally {
      stop.abort();
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('KubeClient over mutual TLS', () => {
  it('verifies the server and presents its client certificate on every socket, parsing them once', async () => {
    const pki = await generateClusterPki(1);
    const seen = new Set<string>();
    const server = https.createServer(
      {
        cert: pki.apiServer.certPem,
        key: pki.apiServer.keyPem,
        ca: pki.clientCa.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        seen.add(`${socket.remotePort}:${socket.getPeerCertificate().subject?.CN}`);
        // Hold each answer a moment so concurrent requests need sockets of their own.
        setTimeout(() => res.end(JSON.stringify({ metadata: { name: 'p' } })), 50);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // The module object itself (node's TLS sockets call through it), not an import's copy.
    const contexts = jest.spyOn(require('node:tls') as typeof import('node:tls'), 'createSecureContext');
    const client = new KubeClient(
      credentialsForServer(`https://127.0.0.1:${port}`, {
        ca: pki.servingCa.certPem,
        cert: pki.admin.certPem,
        key: pki.admin.keyPem,
      }),
    );
    try {
      const pods = client.resource(Pods);
      await Promise.all(Array.from({ length: 4 }, () => pods.get({ namespace: 'default', name: 'p' })));
      expect([...seen].map((s) => s.split(':')[1])).toEqual(['admin', 'admin', 'admin', 'admin']);
      expect(contexts).toHaveBeenCalledTimes(1);
    } finally {
      contexts.mockRestore();
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a server its CA did not sign', async () => {
    const [ours, theirs] = await Promise.all([generateClusterPki(1), generateClusterPki(1)]);
    const server = https.createServer(
      { cert: theirs.apiServer.certPem, key: theirs.apiServer.keyPem },
      (_req, res) => res.end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient(
      credentialsForServer(`https://127.0.0.1:${port}`, { ca: ours.servingCa.certPem }),
      { maxRetries: 0 },
    );
    try {
      await expect(client.resource(Pods).get({ namespace: 'default', name: 'p' })).rejects.toMatchObject({
        code: 0,
      });
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
