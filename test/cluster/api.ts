import * as fs from 'node:fs';
import * as https from 'node:https';
import { parse } from 'yaml';

/**
 * The few apiserver calls the harness itself makes while bootstrapping (readiness and node
 * creation). Tests and the operator use runtime/client instead.
 */
export interface ClusterApi {
  /** GET a path; undefined on 404. */
  get(path: string): Promise<unknown>;
  /** Server-side apply `obj` under `collectionPath` as field manager outrigger-harness. */
  apply(collectionPath: string, obj: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

interface KubeconfigDoc {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export function connectClusterApi(kubeconfigPath: string): ClusterApi {
  const doc = parse(fs.readFileSync(kubeconfigPath, 'utf8')) as KubeconfigDoc;
  const cluster = doc.clusters[0]?.cluster;
  const user = doc.users[0]?.user;
  if (!cluster || !user) throw new Error(`${kubeconfigPath}: no cluster or user`);
  const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  const agent = new https.Agent({
    ca: decode(cluster['certificate-authority-data']),
    cert: decode(user['client-certificate-data']),
    key: decode(user['client-key-data']),
    keepAlive: true,
  });
  const request = (method: string, path: string, body?: string, contentType?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(new URL(path, cluster.server), { method, agent, timeout: 30_000 }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (contentType) req.setHeader('Content-Type', contentType);
      req.end(body);
    });
  const check = (method: string, path: string, res: { status: number; body: string }) => {
    if (res.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as unknown;
  };
  return {
    async get(path) {
      const res = await request('GET', path);
      return res.status === 404 ? undefined : check('GET', path, res);
    },
    async apply(collectionPath, obj) {
      const name = (obj.metadata as { name: string }).name;
      const path = `${collectionPath}/${name}?fieldManager=outrigger-harness&force=true`;
      return check(
        'PATCH',
        path,
        await request('PATCH', path, JSON.stringify(obj), 'application/apply-patch+yaml'),
      );
    },
    close: () => agent.destroy(),
  };
}
