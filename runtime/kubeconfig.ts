// Kubeconfig and in-cluster credentials for the common cases (certificates, tokens, token files, basic
// auth), without loading @kubernetes/client-node: its generated API models cost a manager ~75 MiB of
// RSS. Plugins (exec, auth-provider) and proxies still go through client-node (client.ts falls back).
import * as fs from 'node:fs';
import type * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

/** What a request needs to reach and authenticate to the apiserver; apply() is re-run periodically. */
export interface Credentials {
  server: string;
  /** Fills TLS material and auth headers into request options; called again every minute so tokens rotate. */
  apply(options: https.RequestOptions): Promise<void>;
}

export const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Entry = Record<string, unknown>;
interface Named {
  name: string;
  [section: string]: unknown;
}
interface Loaded {
  clusters: Map<string, { entry: Entry; dir: string }>;
  users: Map<string, { entry: Entry; dir: string }>;
  contexts: Map<string, Entry>;
  currentContext?: string;
}

/**
 * Credentials from a kubeconfig file, or from the default chain ($KUBECONFIG's files merged as kubectl
 * does, ~/.kube/config, then the pod's service account) when `file` is omitted; `context` overrides the
 * current context (kubectl --context). Undefined when the user needs a plugin or the cluster a proxy:
 * client-node handles those.
 */
export function nativeCredentials(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  contextOverride?: string,
): Credentials | undefined {
  const files = file ? [file] : defaultFiles(env);
  if (files.length === 0) {
    if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(path.join(IN_CLUSTER_DIR, 'token')))
      return inCluster(env);
    throw new Error('no kubeconfig: set --kubeconfig or $KUBECONFIG, create ~/.kube/config, or run in a pod');
  }
  const loaded = load(files);
  const contextName = contextOverride ?? loaded.currentContext;
  if (!contextName) throw new Error(`kubeconfig ${files.join(':')} has no current-context`);
  const context = loaded.contexts.get(contextName);
  if (!context) throw new Error(`kubeconfig context "${contextName}" not found`);
  const cluster = loaded.clusters.get(String(context.cluster ?? ''));
  const user = loaded.users.get(String(context.user ?? '')) ?? { entry: {}, dir: '' };
  const server = cluster?.entry.server;
  if (!cluster || typeof server !== 'string' || !server) {
    throw new Error(`kubeconfig context "${contextName}" has no cluster server`);
  }
  if (user.entry.exec || user.entry['auth-provider'] || cluster.entry['proxy-url']) return undefined;
  return {
    server,
    apply: async (options) => {
      const c = cluster.entry;
      const u = user.entry;
      const ca = material(c['certificate-authority-data'], c['certificate-authority'], cluster.dir);
      if (ca) options.ca = ca;
      if (c['insecure-skip-tls-verify'] === true) options.rejectUnauthorized = false;
      if (typeof c['tls-server-name'] === 'string') options.servername = c['tls-server-name'];
      const cert = material(u['client-certificate-data'], u['client-certificate'], user.dir);
      const key = material(u['client-key-data'], u['client-key'], user.dir);
      if (cert) options.cert = cert;
      if (key) options.key = key;
      const headers = (options.headers ?? {}) as Record<string, string>;
      const token = typeof u.tokenFile === 'string' ? readFile(u.tokenFile, user.dir).trim() : u.token;
      if (typeof token === 'string' && token) headers.Authorization = `Bearer ${token}`;
      else if (typeof u.username === 'string') options.auth = `${u.username}:${String(u.password ?? '')}`;
      options.headers = headers;
    },
  };
}

/**
 * The namespace a kubeconfig context names (kubectl's default for -n), undefined when it names none or
 * there is no kubeconfig (in a pod: the service account's namespace).
 */
export function contextNamespace(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  context?: string,
): string | undefined {
  const files = file ? [file] : defaultFiles(env);
  if (files.length === 0) {
    const inPod = path.join(IN_CLUSTER_DIR, 'namespace');
    return fs.existsSync(inPod) ? fs.readFileSync(inPod, 'utf8').trim() : undefined;
  }
  const loaded = load(files);
  const name = context ?? loaded.currentContext;
  const namespace = name ? loaded.contexts.get(name)?.namespace : undefined;
  return typeof namespace === 'string' && namespace ? namespace : undefined;
}

function defaultFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter((f) => f && fs.existsSync(f));
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  return fs.existsSync(home) ? [home] : [];
}

/** The pod's service account: its token file is re-read on every apply, as the kubelet rotates it. */
function inCluster(env: NodeJS.ProcessEnv): Credentials {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    apply: async (options) => {
      options.ca = fs.readFileSync(path.join(IN_CLUSTER_DIR, 'ca.crt'));
      const token = fs.readFileSync(path.join(IN_CLUSTER_DIR, 'token'), 'utf8').trim();
      options.headers = { ...(options.headers as Record<string, string>), Authorization: `Bearer ${token}` };
    },
  };
}

/** kubectl's merge: for each name, and for current-context, the first file that sets it wins. */
function load(files: string[]): Loaded {
  const loaded: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    const doc = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as Entry;
    const dir = path.dirname(path.resolve(file));
    loaded.currentContext ??= (doc['current-context'] as string | undefined) || undefined;
    for (const item of list(doc.clusters)) {
      if (!loaded.clusters.has(item.name))
        loaded.clusters.set(item.name, { entry: section(item, 'cluster'), dir });
    }
    for (const item of list(doc.users)) {
      if (!loaded.users.has(item.name)) loaded.users.set(item.name, { entry: section(item, 'user'), dir });
    }
    for (const item of list(doc.contexts)) {
      if (!loaded.contexts.has(item.name)) loaded.contexts.set(item.name, section(item, 'context'));
    }
  }
  return loaded;
}

const list = (value: unknown): Named[] =>
  Array.isArray(value) ? value.filter((v): v is Named => typeof v?.name === 'string') : [];
const section = (item: Named, key: string): Entry => (item[key] ?? {}) as Entry;

/** Inline base64 data, else a file relative to the kubeconfig's directory. */
function material(data: unknown, file: unknown, dir: string): Buffer | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file) return fs.readFileSync(path.resolve(dir, file));
  return undefined;
}

function readFile(file: string, dir: string): string {
  return fs.readFileSync(path.resolve(dir, file), 'utf8');
}
