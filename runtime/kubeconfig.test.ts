import * as fs from 'node:fs';
import type * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { contextNamespace, nativeCredentials } from './kubeconfig';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function kubeconfig(dir: string, name: string, doc: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

const single = (cluster: Record<string, unknown>, user: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
  users: [{ name: 'u', user }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'ctx',
});

async function applied(file?: string, env: NodeJS.ProcessEnv = {}) {
  const credentials = nativeCredentials(file, env);
  if (!credentials) return undefined;
  const options: https.RequestOptions = {};
  await credentials.apply(options);
  return { server: credentials.server, options };
}

describe('nativeCredentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads inline certificates and key', async () => {
    const file = kubeconfig(
      dir,
      'config',
      single(
        { 'certificate-authority-data': b64('CA') },
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      ),
    );
    const result = await applied(file);
    expect(result?.server).toBe('https://127.0.0.1:6443');
    expect(String(result?.options.ca)).toBe('CA');
    expect(String(result?.options.cert)).toBe('CERT');
    expect(String(result?.options.key)).toBe('KEY');
    expect(result?.options.headers).toEqual({});
  });

  it('reads certificate files relative to the kubeconfig, and a token file afresh on every apply', async () => {
    fs.mkdirSync(path.join(dir, 'pki'));
    fs.writeFileSync(path.join(dir, 'pki', 'ca.crt'), 'CA FILE');
    fs.writeFileSync(path.join(dir, 'token'), 'first\n');
    const file = kubeconfig(
      dir,
      'config',
      single(
        { 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'api.internal' },
        { tokenFile: 'token' },
      ),
    );
    const credentials = nativeCredentials(file, {});
    const first: https.RequestOptions = {};
    await credentials?.apply(first);
    expect(String(first.ca)).toBe('CA FILE');
    expect(first.servername).toBe('api.internal');
    expect(first.headers).toEqual({ Authorization: 'Bearer first' });
    fs.writeFileSync(path.join(dir, 'token'), 'rotated');
    const second: https.RequestOptions = {};
    await credentials?.apply(second);
    expect(second.headers).toEqual({ Authorization: 'Bearer rotated' });
  });

  it('supports a static token, basic auth and insecure-skip-tls-verify', async () => {
    const token = await applied(
      kubeconfig(dir, 'a', single({ 'insecure-skip-tls-verify': true }, { token: 't' })),
    );
    expect(token?.options).toMatchObject({
      rejectUnauthorized: false,
      headers: { Authorization: 'Bearer t' },
    });
    const basic = await applied(kubeconfig(dir, 'b', single({}, { username: 'me', password: 'pw' })));
    expect(basic?.options.auth).toBe('me:pw');
  });

  it('merges $KUBECONFIG files as kubectl does: the first file to set a name or current-context wins', async () => {
    const first = kubeconfig(dir, 'first', {
      'current-context': 'ctx',
      users: [{ name: 'u', user: { token: 'from-first' } }],
    });
    const second = kubeconfig(dir, 'second', {
      ...single({}, { token: 'from-second' }),
      'current-context': 'other',
    });
    const result = await applied(undefined, {
      KUBECONFIG: [first, path.join(dir, 'missing'), second].join(':'),
    });
    expect(result?.server).toBe('https://127.0.0.1:6443');
    expect(result?.options.headers).toEqual({ Authorization: 'Bearer from-first' });
  });

  it.each([
    [
      'an exec plugin',
      single({}, { exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1' } }),
    ],
    ['an auth-provider', single({}, { 'auth-provider': { name: 'oidc' } })],
    ['a proxy', single({ 'proxy-url': 'http://proxy:3128' }, { token: 't' })],
  ])('leaves %s to client-node', (_name, doc) => {
    expect(nativeCredentials(kubeconfig(dir, 'config', doc), {})).toBeUndefined();
  });

  it('says what is missing', () => {
    expect(() => nativeCredentials(undefined, { HOME: dir })).toThrow(/no kubeconfig/);
    const noContext = kubeconfig(dir, 'none', { ...single({}, {}), 'current-context': '' });
    expect(() => nativeCredentials(noContext, {})).toThrow(/no current-context/);
    const noServer = kubeconfig(dir, 'noserver', {
      ...single({}, {}),
      clusters: [{ name: 'c', cluster: {} }],
    });
    expect(() => nativeCredentials(noServer, {})).toThrow(/no cluster server/);
  });
});

describe('--context', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const two = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'a', cluster: { server: 'https://127.0.0.1:1111' } },
      { name: 'b', cluster: { server: 'https://127.0.0.1:2222' } },
    ],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [
      { name: 'first', context: { cluster: 'a', user: 'u' } },
      { name: 'second', context: { cluster: 'b', user: 'u', namespace: 'team' } },
    ],
    'current-context': 'first',
  };

  it('picks another context than the current one, with its namespace', () => {
    const file = kubeconfig(dir, 'config', two);
    expect(nativeCredentials(file, {})?.server).toBe('https://127.0.0.1:1111');
    expect(nativeCredentials(file, {}, 'second')?.server).toBe('https://127.0.0.1:2222');
    expect(contextNamespace(file, {})).toBeUndefined();
    expect(contextNamespace(file, {}, 'second')).toBe('team');
    expect(() => nativeCredentials(file, {}, 'third')).toThrow('kubeconfig context "third" not found');
  });
});
