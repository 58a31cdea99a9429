import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { ADMISSION_V1, AdmissionRegistry, allowed } from './admission';
import {
  type CertBundle,
  CertManager,
  type CertStore,
  CertStoreConflictError,
  caBundlePem,
  certBundleFromSecretData,
  certBundleToSecretData,
  DEFAULT_CERT_POLICY,
  generateCa,
  generateCertBundle,
  generateServingCert,
  MemoryCaBundleSink,
  MemoryCertStore,
  planCertRenewal,
  renewCertBundle,
  type StoredCertBundle,
  serviceDnsNames,
  tlsKeyPair,
  webhookHosts,
} from './certs';
import { WebhookServer } from './server';

const HOSTS = webhookHosts('outrigger-webhook-service', 'outrigger-system');
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const policy = (caValidityDays: number, servingValidityDays: number) => ({
  ...DEFAULT_CERT_POLICY,
  caValidityDays,
  servingValidityDays,
});

let fresh: CertBundle;
beforeAll(async () => {
  fresh = await generateCertBundle(HOSTS);
});

const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(bundle: CertBundle) {
  const registry = new AdmissionRegistry().validating('/validate', () => allowed());
  const server = new WebhookServer({ registry, host: '127.0.0.1', port: 0, tls: tlsKeyPair(bundle) });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

/** The SHA-256 fingerprint of the certificate a client trusting `ca` is served. */
function servedFingerprint(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

function admit(port: number, ca: string): Promise<boolean> {
  const body = JSON.stringify({
    apiVersion: ADMISSION_V1,
    kind: 'AdmissionReview',
    request: {
      uid: 'u',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
    },
  });
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve(res.statusCode === 200 && JSON.parse(text).response.allowed === true));
      },
    );
    req.setHeader('content-type', 'application/json');
    req.on('error', reject);
    req.end(body);
  });
}

describe('certificate generation', () => {
  it('names the Service in every form the apiserver may use', () => {
    expect(serviceDnsNames('svc', 'ns')).toEqual(['svc', 'svc.ns', 'svc.ns.svc', 'svc.ns.svc.cluster.local']);
    expect(HOSTS).toEqual(expect.arrayContaining(['localhost', '127.0.0.1']));
  });

  it('issues an ECDSA P-256 CA and serving cert that TLS clients trusting the CA accept', async () => {
    const ca = new X509Certificate(fresh.caCert);
    const cert = new X509Certificate(fresh.tlsCert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(cert.subjectAltName).toContain('DNS:outrigger-webhook-service.outrigger-system.svc.cluster.local');
    const { port } = await serve(fresh);
    for (const servername of [
      undefined,
      'localhost',
      ...serviceDnsNames('outrigger-webhook-service', 'outrigger-system'),
    ]) {
      expect(await servedFingerprint(port, fresh.caCert, servername)).toBe(cert.fingerprint256);
    }
    await expect(servedFingerprint(port, fresh.caCert, 'other.example.com')).rejects.toThrow(/altnames/);
    const stranger = await generateCa(new Date());
    await expect(servedFingerprint(port, stranger.caCert)).rejects.toThrow();
  });

  it('round-trips through Secret data', () => {
    const data = certBundleToSecretData({ ...fresh, previousCaCert: 'old' });
    expect(Object.keys(data).sort()).toEqual(['ca-previous.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(certBundleFromSecretData(data)).toEqual({ ...fresh, previousCaCert: 'old' });
    expect(certBundleFromSecretData({ 'ca.crt': fresh.caCert })).toBeUndefined();
  });
});

describe('planCertRenewal', () => {
  it('keeps a fresh bundle', () => {
    expect(planCertRenewal(fresh, HOSTS, new Date())).toEqual({ action: 'keep' });
  });

  it.each<[string, () => Promise<CertBundle>, string, RegExp]>([
    [
      'a serving cert in its last third',
      async () => ({ ...fresh, ...(await generateServingCert(fresh, HOSTS, daysAgo(250))) }),
      'renew-serving',
      /serving certificate expires soon/,
    ],
    [
      'an expired serving cert',
      async () => ({ ...fresh, ...(await generateServingCert(fresh, HOSTS, daysAgo(400))) }),
      'renew-serving',
      /serving certificate expired/,
    ],
    [
      'a serving cert missing a SAN',
      async () => ({ ...fresh, ...(await generateServingCert(fresh, ['localhost'], new Date())) }),
      'renew-serving',
      /lacks SANs .*outrigger-webhook-service/,
    ],
    [
      'a serving cert from another CA',
      async () => ({
        ...fresh,
        ...(await generateServingCert(await generateCa(new Date()), HOSTS, new Date())),
      }),
      'renew-serving',
      /not signed by the CA/,
    ],
    [
      'a serving key that does not match',
      async () => ({ ...fresh, tlsKey: fresh.caKey }),
      'renew-serving',
      /serving key does not match/,
    ],
    [
      'an expired CA',
      async () => generateCertBundle(HOSTS, daysAgo(40), policy(30, 30)),
      'renew-all',
      /CA certificate expired/,
    ],
    [
      'a CA near expiry',
      async () => generateCertBundle(HOSTS, daysAgo(25), policy(30, 30)),
      'renew-all',
      /expires soon/,
    ],
    ['garbage PEM', async () => ({ ...fresh, caCert: 'not a cert' }), 'renew-all', /CA is unreadable/],
    [
      'a CA key that does not match',
      async () => ({ ...fresh, caKey: fresh.tlsKey }),
      'renew-all',
      /CA key does not match/,
    ],
  ])('renews %s', async (_name, make, action, reason) => {
    const plan = planCertRenewal(await make(), HOSTS, new Date());
    expect(plan.action).toBe(action);
    expect('reason' in plan && plan.reason).toMatch(reason);
  });

  it('keeps a valid old CA as previousCaCert when rotating the CA, and drops an expired one', async () => {
    const nearExpiry = await generateCertBundle(HOSTS, daysAgo(25), policy(30, 30));
    const rotated = await renewCertBundle(
      nearExpiry,
      { action: 'renew-all', reason: 'test' },
      HOSTS,
      new Date(),
    );
    expect(rotated.previousCaCert).toBe(nearExpiry.caCert);
    expect(caBundlePem(rotated)).toContain(rotated.caCert.trim());
    expect(caBundlePem(rotated)).toContain(nearExpiry.caCert.trim());
    const expired = await generateCertBundle(HOSTS, daysAgo(40), policy(30, 30));
    const replaced = await renewCertBundle(
      expired,
      { action: 'renew-all', reason: 'test' },
      HOSTS,
      new Date(),
    );
    expect(replaced.previousCaCert).toBeUndefined();
    expect(caBundlePem(replaced)).toBe(replaced.caCert);
  });

  it('also trusts the CA of the certificate still being served, while it is valid', async () => {
    const served = await generateCertBundle(HOSTS, new Date());
    const next = await generateCertBundle(HOSTS, new Date());
    const bundle = caBundlePem(next, new Date(), served.caCert);
    expect(bundle).toContain(next.caCert.trim());
    expect(bundle).toContain(served.caCert.trim());
    expect(caBundlePem(next, new Date(), next.caCert)).toBe(next.caCert);
    const expired = await generateCertBundle(HOSTS, daysAgo(40), policy(30, 30));
    expect(caBundlePem(next, new Date(), expired.caCert)).toBe(next.caCert);
  });
});

describe('CertManager', () => {
  it('creates certificates once, then reuses them across restarts', async () => {
    const store = new MemoryCertStore();
    const sink = new MemoryCaBundleSink();
    const loaded: string[] = [];
    const first = new CertManager({
      store,
      hosts: HOSTS,
      sinks: [sink],
      onCertificate: (p) => void loaded.push(p.cert),
    });
    const created = await first.ensure();
    expect(store.writes).toBe(1);
    expect(sink.caBundle).toBe(created.caCert);
    expect(loaded).toEqual([created.tlsCert]);
    expect(await first.ensure()).toEqual(created);
    expect(loaded).toHaveLength(1);

    const restarted = new CertManager({
      store,
      hosts: HOSTS,
      sinks: [sink],
      onCertificate: (p) => void loaded.push(p.cert),
    });
    expect(await restarted.ensure()).toEqual(created);
    expect(restarted.current()).toEqual(created);
    expect(store.writes).toBe(1);
    expect(loaded).toEqual([created.tlsCert, created.tlsCert]);
  });

  it('lets one of several racing replicas create the bundle and the others adopt it', async () => {
    const store = new MemoryCertStore();
    const managers = Array.from({ length: 3 }, () => new CertManager({ store, hosts: HOSTS }));
    const results = await Promise.all(managers.map((m) => m.ensure()));
    expect(store.writes).toBe(1);
    expect(new Set(results.map((b) => b.tlsCert)).size).toBe(1);
  });

  it('gives up with an error when the store keeps conflicting', async () => {
    const store: CertStore = {
      read: async () => undefined,
      write: async () => {
        throw new CertStoreConflictError('always');
      },
    };
    await expect(new CertManager({ store, hosts: HOSTS }).ensure()).rejects.toThrow(/kept conflicting/);
  });

  it('replaces an expired bundle: new Secret, new caBundle, new served cert', async () => {
    const store = new MemoryCertStore();
    const expired = await generateCertBundle(HOSTS, daysAgo(40), policy(30, 30));
    await store.write(expired);
    const { server, port } = await serve(expired);
    const sink = new MemoryCaBundleSink();
    const manager = new CertManager({
      store,
      hosts: HOSTS,
      sinks: [sink],
      onCertificate: (p) => server.setCertificate(p),
    });

    const renewed = await manager.ensure();
    const stored = (await store.read()) as StoredCertBundle;
    expect(stored.bundle).toEqual(renewed);
    expect(renewed.caCert).not.toBe(expired.caCert);
    expect(sink.caBundle).toBe(renewed.caCert);
    expect(await servedFingerprint(port, renewed.caCert)).toBe(fingerprint(renewed.tlsCert));
    expect(await admit(port, sink.caBundle!)).toBe(true);
  });

  it('fills in a pre-created Secret without keys at its resourceVersion instead of creating it', async () => {
    const store = new MemoryCertStore();
    store.createEmpty();
    const created = await new CertManager({ store, hosts: HOSTS }).ensure();
    expect(store.writes).toBe(1);
    expect((await store.read())?.bundle).toEqual(created);
  });

  it.each([
    ['the serving cert (same CA)', policy(3650, 30)],
    ['the CA and serving cert', policy(30, 30)],
  ])('renews %s near expiry while requests keep succeeding', async (_name, oldPolicy) => {
    const store = new MemoryCertStore();
    const old = await generateCertBundle(HOSTS, daysAgo(25), oldPolicy);
    await store.write(old);
    const { server, port } = await serve(old);
    const sink = new MemoryCaBundleSink();
    // Like the apiserver: a request trusts the caBundle published when it starts, and a new caBundle
    // is in effect once the requests made with earlier ones are done (the awaitTrust hook).
    const inFlight = new Map<Promise<boolean>, string>();
    const admitWith = (caBundle: string) => {
      const request = admit(port, caBundle).finally(() => inFlight.delete(request));
      inFlight.set(request, caBundle);
      return request;
    };
    const trusted = () =>
      Promise.all([...inFlight].filter(([, ca]) => ca !== sink.caBundle).map(([request]) => request)).then(
        () => undefined,
      );
    // The patch resolves `patched`: one request made with the old bundle then connects at the worst
    // moment, after the caBundle patch and before the old bundle is out of use.
    let patched: () => void = () => undefined;
    const afterPatch = new Promise<void>((resolve) => {
      patched = resolve;
    });
    const patching = {
      patchCaBundle: async (pem: string) => {
        const changed = sink.caBundle !== undefined && sink.caBundle !== pem;
        await sink.patchCaBundle(pem);
        if (changed) patched();
      },
    };
    let clock = daysAgo(20); // the old bundle is still fine then: it is loaded and served
    const manager = new CertManager({
      store,
      hosts: HOSTS,
      sinks: [patching],
      onCertificate: (p) => server.setCertificate(p),
      now: () => clock,
      awaitTrust: trusted,
    });
    expect(await manager.ensure()).toEqual(old);
    clock = new Date();

    const oldBundle = sink.caBundle!;
    const worstCase = afterPatch.then(() => admitWith(oldBundle));
    let renewing = true;
    const results: boolean[] = [];
    const traffic = (async () => {
      while (renewing || results.length < 20) results.push(await admitWith(sink.caBundle!));
    })();
    const renewed = await manager.ensure();
    renewing = false;
    await traffic;

    if (renewed.caCert !== old.caCert) expect(await worstCase).toBe(true);
    expect(results.every(Boolean)).toBe(true);
    expect(renewed.tlsCert).not.toBe(old.tlsCert);
    expect(planCertRenewal(renewed, HOSTS, new Date())).toEqual({ action: 'keep' });
    expect(await servedFingerprint(port, renewed.caCert)).toBe(fingerprint(renewed.tlsCert));
    expect(sink.caBundle).toBe(caBundlePem(renewed));
    expect(sink.caBundle).toContain(old.caCert.trim()); // old CA still trusted while valid
  });

  it('notifies subscribers added after the first ensure() of later changes', async () => {
    const store = new MemoryCertStore();
    const manager = new CertManager({ store, hosts: HOSTS });
    const first = await manager.ensure();
    const { server, port } = await serve(first);
    const unsubscribe = manager.subscribe((pair) => server.setCertificate(pair));
    const stale = await store.read();
    await store.write({ ...first, tlsCert: first.caCert }, stale?.resourceVersion); // now invalid: renew
    const renewed = await manager.ensure();
    expect(renewed.tlsCert).not.toBe(first.tlsCert);
    expect(await servedFingerprint(port, renewed.caCert)).toBe(fingerprint(renewed.tlsCert));
    unsubscribe();
  });

  it('still loads a new serving cert under the same CA when the caBundle patch fails, but not a new CA', async () => {
    const store = new MemoryCertStore();
    let failing = false;
    const sink = {
      patchCaBundle: async () => {
        if (failing) throw new Error('forbidden');
      },
    };
    const loaded: string[] = [];
    const manager = new CertManager({
      store,
      hosts: HOSTS,
      sinks: [sink],
      onCertificate: (p) => void loaded.push(p.cert),
      awaitTrust: async () => undefined,
    });
    const first = await manager.ensure();
    failing = true;

    const nearExpiry = { ...first, ...(await generateServingCert(first, HOSTS, daysAgo(300))) };
    await store.write(nearExpiry, (await store.read())?.resourceVersion);
    await expect(manager.ensure()).rejects.toThrow(/forbidden/);
    const sameCa = (await store.read())!.bundle!;
    expect(sameCa.caCert).toBe(first.caCert);
    expect(loaded).toEqual([first.tlsCert, sameCa.tlsCert]);

    await store.write({ ...sameCa, caKey: 'broken' }, (await store.read())?.resourceVersion); // forces a new CA
    await expect(manager.ensure()).rejects.toThrow(/forbidden/);
    expect((await store.read())!.bundle!.caCert).not.toBe(first.caCert);
    expect(loaded).toHaveLength(2);

    failing = false;
    const recovered = await manager.ensure();
    expect(loaded).toEqual([first.tlsCert, sameCa.tlsCert, recovered.tlsCert]);
  });

  it('re-checks periodically in run() until aborted', async () => {
    const store = new MemoryCertStore();
    const sink = new MemoryCaBundleSink();
    let calls = 0;
    const counting = {
      patchCaBundle: async (pem: string) => {
        calls += 1;
        await sink.patchCaBundle(pem);
      },
    };
    const manager = new CertManager({ store, hosts: HOSTS, sinks: [counting], checkIntervalMs: 5 });
    const stop = new AbortController();
    const running = manager.run(stop.signal);
    while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    await running;
    expect(store.writes).toBe(1);
    expect(sink.changes).toBe(1);
  });
});
