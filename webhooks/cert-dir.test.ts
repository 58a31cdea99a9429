import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { KubeClient } from '../runtime/client';
import { AdmissionRegistry } from './admission';
import { readCertDir } from './cert-dir';
import { type CertBundle, generateCertBundle } from './certs';
import { webhookRunnable } from './setup';

const HOSTS = ['outrigger-webhook-service.outrigger-system.svc', 'localhost', '127.0.0.1'];
let dir: string;
let first: CertBundle;
let second: CertBundle;

beforeAll(async () => {
  [first, second] = await Promise.all([generateCertBundle(HOSTS), generateCertBundle(HOSTS)]);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cert-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const place = (bundle: Pick<CertBundle, 'tlsCert' | 'tlsKey'>) => {
  writeFileSync(join(dir, 'tls.crt'), bundle.tlsCert);
  writeFileSync(join(dir, 'tls.key'), bundle.tlsKey);
};

function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('readCertDir', () => {
  it('names the file that is missing or holds no PEM', async () => {
    await expect(readCertDir(dir)).rejects.toThrow(`cannot read ${join(dir, 'tls.key')}`);
    writeFileSync(join(dir, 'tls.key'), first.tlsKey);
    writeFileSync(join(dir, 'tls.crt'), '');
    await expect(readCertDir(dir)).rejects.toThrow(`${join(dir, 'tls.crt')} holds no PEM`);
  });
});

describe('webhooks with certificates from a directory', () => {
  const start = () => {
    // Nothing may reach the apiserver: no Secret, no caBundle patches in this mode.
    const client = new Proxy({}, { get: () => fail('the client was used') }) as KubeClient;
    const webhooks = webhookRunnable({
      client,
      registry: new AdmissionRegistry(),
      mode: 'cluster',
      namespace: 'outrigger-system',
      host: '127.0.0.1',
      port: 0,
      certDir: dir,
    });
    const stop = new AbortController();
    const running = webhooks.start(stop.signal);
    return { webhooks, running, stop };
  };

  it('serves the pair in the directory and hot-loads a renewed one', async () => {
    place(first);
    const { webhooks, running, stop } = start();
    try {
      while (!webhooks.ready()) await new Promise((r) => setTimeout(r, 10));
      const port = webhooks.port()!;
      expect(await servedFingerprint(port, first.caCert)).toBe(fingerprint(first.tlsCert));
      place(second);
      await webhooks.checkCertificates();
      expect(await servedFingerprint(port, second.caCert)).toBe(fingerprint(second.tlsCert));
    } finally {
      stop.abort();
      await running;
    }
  });

  it('keeps serving the old pair while the new one is half written', async () => {
    place(first);
    const { webhooks, running, stop } = start();
    try {
      while (!webhooks.ready()) await new Promise((r) => setTimeout(r, 10));
      place({ tlsCert: second.tlsCert, tlsKey: first.tlsKey });
      await expect(webhooks.checkCertificates()).rejects.toThrow();
      expect(await servedFingerprint(webhooks.port()!, first.caCert)).toBe(fingerprint(first.tlsCert));
    } finally {
      stop.abort();
      await running;
    }
  });

  it('fails to start without the files', async () => {
    const { running } = start();
    await expect(running).rejects.toThrow(/cannot read .*tls\.key/);
  });

  it('refuses the local mode', () => {
    expect(() =>
      webhookRunnable({
        client: {} as KubeClient,
        registry: new AdmissionRegistry(),
        mode: 'local',
        namespace: 'ns',
        host: '127.0.0.1',
        port: 0,
        certDir: dir,
      }),
    ).toThrow(/needs cluster webhook mode/);
  });
});
