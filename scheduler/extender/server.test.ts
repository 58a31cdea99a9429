import { Agent, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import pino from 'pino';
import { parseConfig } from '../config';
import type { Node } from '../types';
import { Extender } from './extender';
import { createExtenderServer } from './server';
import { MemoryClusterState } from './state';

const config = parseConfig('server: {prefix: /angle/, maxBodyBytes: 65536}');
const dims = config.dimensions.map((d) => d.name);
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
let server: Server;
let port: number;
let cacheSynced = true;

const node = (name: string, cpu: string, memory: string, gpu: string): Node => ({
  metadata: { name },
  status: { allocatable: { cpu, memory, 'nvidia.com/gpu': gpu } },
});

beforeAll(async () => {
  const state = new MemoryClusterState({ dims, gpu: config.gpu });
  for (let i = 0; i < 20; i++) state.upsertNode(node(`n${i}`, String(8 + i), `${16 + i}Gi`, String(i % 3)));
  const ext = new Extender(config, state, {
    annotate: async () => {},
    bind: async () => {},
    getPod: async (namespace, name) => ({ metadata: { namespace, name } }),
  });
  server = createExtenderServer(ext, {
    ...config.server,
    logger: pino({ level: 'silent' }),
    isReady: () => cacheSynced,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function post(
  path: string,
  body: string | Buffer,
  method = 'POST',
): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            type: String(res.headers['content-type']),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const validPod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'p-uid' },
  spec: { containers: [{ resources: { requests: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' } } }] },
};

// Every field the extender reads, for the fuzz to mutate.
const richPod = {
  metadata: { name: 'r', namespace: 'ns', uid: 'r-uid', annotations: { ALIYUN_COM_GPU_MEM_IDX: '0' } },
  spec: {
    nodeSelector: { 'nvidia.com/gpu.product': 'T4' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['T4'] }] },
          ],
        },
      },
    },
    resources: { requests: { cpu: '1' }, limits: { memory: '2Gi' } },
    initContainers: [{ restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } }],
    containers: [
      { resources: { requests: { 'aliyun.com/gpu-mem': '3' }, limits: { 'aliyun.com/gpu-mem': '3' } } },
    ],
    overhead: { cpu: '10m' },
  },
};

describe('extender HTTP server', () => {
  it('serves prioritize with capitalised keys and scores 0..10', async () => {
    const res = await post(
      '/angle/prioritize',
      JSON.stringify({ Pod: validPod, Nodes: null, NodeNames: ['n1', 'n2', 'n4'] }),
    );
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    const body = JSON.parse(res.text) as { Host: string; Score: number }[];
    expect(body.map((h) => h.Host)).toEqual(['n1', 'n2', 'n4']);
    expect(body.find((h) => h.Host === 'n1')!.Score).toBeGreaterThan(0);
    // Every score answered is counted in its bucket.
    const metrics = (await post('/metrics', '', 'GET')).text;
    const count = Number(/^outrigger_extender_node_scores_count (\d+)$/m.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    const n1 = body.find((h) => h.Host === 'n1')!.Score;
    const upToN1 = Number(
      new RegExp(`^outrigger_extender_node_scores_bucket\\{le="${n1}"\\} (\\d+)$`, 'm').exec(metrics)?.[1],
    );
    expect(upToN1).toBeGreaterThanOrEqual(1);
  });

  it('serves filter in the ExtenderFilterResult shape', async () => {
    const res = await post('/angle/filter', JSON.stringify({ Pod: validPod, NodeNames: ['n0', 'n1'] }));
    expect(JSON.parse(res.text)).toEqual({
      Nodes: null,
      NodeNames: ['n1'],
      FailedNodes: {},
      FailedAndUnresolvableNodes: { n0: 'Insufficient nvidia.com/gpu' },
      Error: '',
    });
  });

  it('binds when a binder is configured', async () => {
    const res = await post(
      '/angle/bind',
      JSON.stringify({ PodName: 'p', PodNamespace: 'ns', PodUID: 'u', Node: 'n1' }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ Error: '' });
  });

  it('rejects malformed requests with 400 and a message', async () => {
    for (const body of ['{', '[]', '{"Pod":1,"NodeNames":[]}', '{"Pod":{}}', '{"Pod":{},"NodeNames":[1]}']) {
      const res = await post('/angle/prioritize', body);
      expect(res.status).toBe(400);
      expect(res.text.length).toBeGreaterThan(3);
    }
    const bad = { ...validPod, spec: { containers: [{ resources: { requests: { cpu: 'two' } } }] } };
    const res = await post('/angle/filter', JSON.stringify({ Pod: bad, NodeNames: ['n1'] }));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/invalid quantity/);
  });

  it('answers 404, 405 and 413 for wrong paths, methods and oversized bodies', async () => {
    expect((await post('/angle/preempt', '{}')).status).toBe(404);
    expect((await post('/angle/prioritize', '', 'GET')).status).toBe(405);
    expect((await post('/angle/prioritize', Buffer.alloc(70_000, 32))).status).toBe(413);
    expect((await post('/healthz', '', 'GET')).text).toBe('ok');
    expect((await post('/metrics', '', 'GET')).text).toMatch(/outrigger_extender_request_duration_seconds/);
  });
});

describe('server limits', () => {
  let limited: Server;
  let limitedPort: number;

  beforeAll(async () => {
    const state = new MemoryClusterState({ dims, gpu: config.gpu });
    const ext = new Extender(config, state, {
      annotate: async () => {},
      bind: async () => {},
      getPod: async () => {
        throw new Error('pods "gone" not found');
      },
    });
    limited = createExtenderServer(ext, {
      ...config.server,
      requestTimeoutMs: 400,
      headersTimeoutMs: 300,
      logger: pino({ level: 'silent' }),
    });
    await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve));
    limitedPort = (limited.address() as AddressInfo).port;
  });

  afterAll(async () => {
    limited.closeAllConnections();
    await new Promise((resolve) => limited.close(resolve));
  });

  /** Opens a raw connection, writes `head` and trickles a byte every 50 ms; resolves with what came back. */
  function trickle(head: string): Promise<{ reply: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let reply = '';
      const socket = connect(limitedPort, '127.0.0.1', () => socket.write(head));
      const timer = setInterval(() => socket.writable && socket.write(' '), 50);
      socket.on('data', (d) => {
        reply += d.toString('utf8');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ reply, ms: Date.now() - started });
      });
      setTimeout(() => reject(new Error('the server kept a trickling connection open')), 10_000);
    });
  }

  it('closes a connection whose body trickles in beyond the request timeout', async () => {
    const { reply, ms } = await trickle(
      'POST /angle/prioritize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{',
    );
    expect(reply).toMatch(/^HTTP\/1.1 408/);
    expect(ms).toBeLessThan(5_000);
  });

  it('closes a connection whose headers never end', async () => {
    const { ms } = await trickle('POST /angle/prioritize HTTP/1.1\r\nX-Slow: ');
    expect(ms).toBeLessThan(5_000);
  });

  it('refuses a body declared larger than the limit before reading it', async () => {
    const { reply } = await new Promise<{ reply: string }>((resolve) => {
      let text = '';
      const socket = connect(limitedPort, '127.0.0.1', () =>
        socket.write('POST /angle/prioritize HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n'),
      );
      socket.on('data', (d) => {
        text += d.toString('utf8');
      });
      socket.on('close', () => resolve({ reply: text }));
    });
    expect(reply).toMatch(/^HTTP\/1.1 413/);
    expect(reply).toMatch(/Connection: close/i);
  });

  it('reports bind failures in ExtenderBindingResult.Error', async () => {
    const bind = (body: unknown) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: limitedPort, path: '/angle/bind', method: 'POST' },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString('utf8');
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const gone = await bind({ PodName: 'gone', PodNamespace: 'ns', PodUID: 'u', Node: 'n1' });
    expect(gone.status).toBe(200);
    expect(JSON.parse(gone.text).Error).toMatch(/not found/);
  });
});

// Deterministic PRNG so a failing fuzz case can be reproduced.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  '',
  'x',
  '1e999',
  '-5',
  '3Gi',
  '100m',
  true,
  [],
  {},
  [1],
  { a: 1 },
  'NaN',
];

function mutate(value: unknown, rand: () => number, depth = 0): unknown {
  if (rand() < 0.15 || depth > 6) return ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
  if (Array.isArray(value)) return value.map((v) => mutate(v, rand, depth + 1)).filter(() => rand() > 0.1);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (rand() < 0.1) continue;
      out[rand() < 0.05 ? k.toLowerCase() : k] = rand() < 0.6 ? v : mutate(v, rand, depth + 1);
    }
    return out;
  }
  return value;
}

function fuzzBody(rand: () => number): { path: string; body: string } {
  const paths = ['/angle/filter', '/angle/prioritize', '/angle/bind'];
  const path = paths[Math.floor(rand() * paths.length)]!;
  const nodes = { items: [node('n1', '8', '16Gi', '1'), node('zz', '2', '1Gi', '0')] };
  const valid =
    path === '/angle/bind'
      ? { PodName: 'p', PodNamespace: 'ns', PodUID: 'u', Node: 'n3' }
      : {
          Pod: rand() < 0.5 ? validPod : richPod,
          Nodes: rand() < 0.5 ? nodes : null,
          NodeNames: rand() < 0.5 ? ['n1', 'n2', 'x'] : null,
        };
  let body = JSON.stringify(mutate(valid, rand));
  const r = rand();
  if (r < 0.08)
    body = body.slice(0, Math.floor(rand() * body.length)); // truncated JSON
  else if (r < 0.12)
    body = Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))).toString('latin1');
  return { path, body };
}

function wellFormed(path: string, status: number, text: string): boolean {
  if (status === 400) return text.trim().length > 0;
  if (status !== 200) return false;
  const body = JSON.parse(text) as unknown;
  if (path.endsWith('/prioritize')) {
    return (
      Array.isArray(body) &&
      body.every(
        (h) => typeof h.Host === 'string' && Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10,
      )
    );
  }
  if (path.endsWith('/bind')) return typeof (body as { Error?: unknown }).Error === 'string';
  const f = body as Record<string, unknown>;
  return (
    typeof f.Error === 'string' &&
    typeof f.FailedNodes === 'object' &&
    typeof f.FailedAndUnresolvableNodes === 'object' &&
    (f.NodeNames === null) !== (f.Nodes === null)
  );
}

describe('extender fuzz', () => {
  it('answers 5,000 random and mutated requests with well-formed replies and stays up', async () => {
    const rand = rng(20231125);
    const cases = Array.from({ length: 5000 }, () => fuzzBody(rand));
    const bad: string[] = [];
    const counts: Record<number, number> = {};
    for (let i = 0; i < cases.length; i += 50) {
      const batch = cases.slice(i, i + 50);
      const replies = await Promise.all(batch.map((c) => post(c.path, c.body)));
      replies.forEach((res, k) => {
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        if (!wellFormed(batch[k]!.path, res.status, res.text)) bad.push(`${res.status} ${batch[k]!.body}`);
      });
    }
    expect(bad).toEqual([]);
    expect(counts[200]).toBeGreaterThan(100);
    expect(counts[400]).toBeGreaterThan(100);
    expect((await post('/healthz', '', 'GET')).status).toBe(200);
  }, 120_000);
});

describe('before the cache has synced', () => {
  afterEach(() => {
    cacheSynced = true;
  });

  it('answers verbs with 503 and /readyz with 503, then serves once synced', async () => {
    cacheSynced = false;
    const body = JSON.stringify({ Pod: {}, NodeNames: ['n1'] });
    expect((await post('/angle/prioritize', body)).status).toBe(503);
    expect(await post('/readyz', '', 'GET')).toMatchObject({
      status: 503,
      text: expect.stringMatching(/not synced/),
    });
    expect((await post('/healthz', '', 'GET')).status).toBe(200);
    cacheSynced = true;
    expect((await post('/angle/prioritize', body)).status).toBe(200);
    expect((await post('/readyz', '', 'GET')).status).toBe(200);
  });
});
