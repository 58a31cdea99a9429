// Self-managed webhook certificates, the OpenKruise way: a CA and a serving certificate kept in a Secret,
// reused across restarts, renewed before expiry, hot-loaded into the server and published as caBundle.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import pino, { type Logger } from 'pino';
import { errorMessage } from './admission';
import type { TlsKeyPair } from './server';

// Node's WebCrypto; the cast bridges node:crypto's types and the DOM Crypto type x509 declares.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PEM texts. previousCaCert is kept while still valid so a CA rotation never breaks other replicas. */
export interface CertBundle {
  caCert: string;
  caKey: string;
  tlsCert: string;
  tlsKey: string;
  previousCaCert?: string;
}

export interface StoredCertBundle {
  /** Undefined when the store exists without (all of) our keys, e.g. a Secret an installer pre-created. */
  bundle?: CertBundle;
  resourceVersion?: string;
}

/** Where the bundle lives (a Secret in the cluster). */
export interface CertStore {
  /** Undefined when there is no store object at all (no Secret). */
  read(): Promise<StoredCertBundle | undefined>;
  /** Creates when resourceVersion is undefined, else updates at that version; throws CertStoreConflictError on a race. */
  write(bundle: CertBundle, resourceVersion?: string): Promise<void>;
}

/** Receives the PEM CA bundle to trust (our webhook configurations). Must be idempotent. */
export interface CaBundleSink {
  patchCaBundle(caBundlePem: string): Promise<void>;
}

/** AlreadyExists on create or Conflict on update: another replica wrote first. */
export class CertStoreConflictError extends Error {
  override name = 'CertStoreConflictError';
}

export interface CertPolicy {
  caValidityDays: number;
  servingValidityDays: number;
  /** Renew when less than this fraction of the lifetime is left. */
  renewFraction: number;
  /** notBefore is set this far back to tolerate clock skew between us and the apiserver. */
  backdateMs: number;
}

export const DEFAULT_CERT_POLICY: CertPolicy = {
  caValidityDays: 3650,
  servingValidityDays: 365,
  renewFraction: 1 / 3,
  backdateMs: 60 * 60 * 1000,
};

export const WEBHOOK_CERT_SECRET = 'outrigger-webhook-certs';
const DAY_MS = 24 * 60 * 60 * 1000;
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The names a Service is reached by from the apiserver. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** SANs for the serving cert: the Service names plus loopback for the local cluster. */
export function webhookHosts(service: string, namespace: string): string[] {
  return [...serviceDnsNames(service, namespace), 'localhost', '127.0.0.1'];
}

export async function generateCa(
  now: Date,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
  commonName = `outrigger-webhook-ca-${now.getTime()}`,
) {
  const keys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - policy.backdateMs),
    notAfter: new Date(now.getTime() + policy.caValidityDays * DAY_MS),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caCert: cert.toString('pem'), caKey: await exportKey(keys.privateKey) };
}

export async function generateServingCert(
  ca: { caCert: string; caKey: string },
  hosts: string[],
  now: Date,
  policy: CertPolicy = DEFAULT_CERT_POLICY,
) {
  const { cert, key } = await issueCert(ca, {
    subject: `CN=${hosts.find((h) => !isIP(h)) ?? 'outrigger-webhook'}`,
    usage: x509.ExtendedKeyUsage.serverAuth,
    hosts,
    now,
    validityDays: policy.servingValidityDays,
    backdateMs: policy.backdateMs,
  });
  return { tlsCert: cert, tlsKey: key };
}

export interface LeafCertRequest {
  /** e.g. 'CN=admin, O=system:masters' */
  subject: string;
  usage: x509.ExtendedKeyUsage;
  /** DNS names and IPs for the subjectAltName; none for a client certificate. */
  hosts?: string[];
  now: Date;
  validityDays: number;
  backdateMs: number;
}

/** An ECDSA P-256 leaf certificate signed by `ca` (serving or client, by `usage`). */
export async function issueCert(ca: { caCert: string; caKey: string }, request: LeafCertRequest) {
  const caCert = new x509.X509Certificate(ca.caCert);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.caKey),
    ecdsa,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const names = (request.hosts ?? []).map((value) => ({
    type: isIP(value) ? ('ip' as const) : ('dns' as const),
    value,
  }));
  const { now } = request;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: request.subject,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - request.backdateMs),
    notAfter: new Date(now.getTime() + request.validityDays * DAY_MS),
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([request.usage]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

export async function generateCertBundle(hosts: string[], now = new Date(), policy = DEFAULT_CERT_POLICY) {
  const ca = await generateCa(now, policy);
  const serving = await generateServingCert(ca, hosts, now, policy);
  return { ...ca, ...serving } satisfies CertBundle;
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

// Positive 128-bit serial (leading byte below 0x80 so DER keeps it positive).
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

export type CertPlan = { action: 'keep' } | { action: 'renew-serving' | 'renew-all'; reason: string };

/** Decides what a stored bundle needs: nothing, a new serving cert under the same CA, or a new CA too. */
export function planCertRenewal(
  bundle: CertBundle,
  hosts: string[],
  now: Date,
  policy = DEFAULT_CERT_POLICY,
): CertPlan {
  const caProblem = checkCa(bundle, now, policy);
  if (caProblem) return { action: 'renew-all', reason: caProblem };
  const servingProblem = checkServing(bundle, hosts, now, policy);
  if (servingProblem) return { action: 'renew-serving', reason: servingProblem };
  return { action: 'keep' };
}

function checkCa(bundle: CertBundle, now: Date, policy: CertPolicy): string | undefined {
  try {
    const ca = new X509Certificate(bundle.caCert);
    if (!ca.ca) return 'CA certificate is not a CA';
    if (!ca.checkPrivateKey(createPrivateKey(bundle.caKey)))
      return 'CA key does not match the CA certificate';
    return checkLifetime('CA certificate', ca, now, policy);
  } catch (err) {
    return `CA is unreadable: ${errorMessage(err)}`;
  }
}

function checkServing(
  bundle: CertBundle,
  hosts: string[],
  now: Date,
  policy: CertPolicy,
): string | undefined {
  try {
    const cert = new X509Certificate(bundle.tlsCert);
    const ca = new X509Certificate(bundle.caCert);
    if (!cert.checkPrivateKey(createPrivateKey(bundle.tlsKey)))
      return 'serving key does not match its certificate';
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
      return 'serving certificate is not signed by the CA';
    const missing = hosts.filter((h) =>
      isIP(h) ? cert.checkIP(h) === undefined : cert.checkHost(h, { subject: 'never' }) === undefined,
    );
    if (missing.length > 0) return `serving certificate lacks SANs ${missing.join(', ')}`;
    return checkLifetime('serving certificate', cert, now, policy);
  } catch (err) {
    return `serving certificate is unreadable: ${errorMessage(err)}`;
  }
}

function checkLifetime(what: string, cert: X509Certificate, now: Date, policy: CertPolicy) {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (now.getTime() < notBefore) return `${what} is not valid yet`;
  if (now.getTime() >= notAfter) return `${what} expired at ${cert.validTo}`;
  if (notAfter - now.getTime() < (notAfter - notBefore) * policy.renewFraction) {
    return `${what} expires soon (${cert.validTo})`;
  }
  return undefined;
}

/** PEM CAs the apiserver should trust: the current CA, plus the previous one while it is still valid. */
export function caBundlePem(bundle: CertBundle, now = new Date(), servedCaCert?: string): string {
  // The CA of the cert this replica still serves stays trusted until the reload that follows the
  // caBundle patch, so a rotation never leaves the apiserver distrusting the live certificate.
  const trusted = [bundle.caCert, bundle.previousCaCert, servedCaCert].filter(
    (ca, i, all): ca is string => !!ca && all.indexOf(ca) === i && (i === 0 || isStillValid(ca, now)),
  );
  return trusted.length === 1 ? bundle.caCert : `${trusted.map((ca) => ca.trimEnd()).join('\n')}\n`;
}

function isStillValid(pem: string, now: Date): boolean {
  try {
    return now.getTime() < Date.parse(new X509Certificate(pem).validTo);
  } catch {
    return false;
  }
}

export function tlsKeyPair(bundle: CertBundle): TlsKeyPair {
  return { key: bundle.tlsKey, cert: bundle.tlsCert };
}

/** The Secret keys a bundle occupies; other keys in the Secret are left alone. */
export const CERT_SECRET_KEYS = ['ca.crt', 'ca.key', 'tls.crt', 'tls.key', 'ca-previous.crt'] as const;

/** Secret keys (values are PEM text; base64 them for `data`, or use `stringData`). */
export function certBundleToSecretData(bundle: CertBundle): Record<string, string> {
  const data: Record<string, string> = {
    'ca.crt': bundle.caCert,
    'ca.key': bundle.caKey,
    'tls.crt': bundle.tlsCert,
    'tls.key': bundle.tlsKey,
  };
  if (bundle.previousCaCert) data['ca-previous.crt'] = bundle.previousCaCert;
  return data;
}

/** The inverse of certBundleToSecretData; undefined when a key is missing (treated as no bundle). */
export function certBundleFromSecretData(data: Record<string, string | undefined>): CertBundle | undefined {
  const [caCert, caKey, tlsCert, tlsKey] = [data['ca.crt'], data['ca.key'], data['tls.crt'], data['tls.key']];
  if (!caCert || !caKey || !tlsCert || !tlsKey) return undefined;
  const bundle: CertBundle = { caCert, caKey, tlsCert, tlsKey };
  if (data['ca-previous.crt']) bundle.previousCaCert = data['ca-previous.crt'];
  return bundle;
}

/** A bundle renewed according to `plan`; a new CA keeps the old one as previousCaCert while it is valid. */
export async function renewCertBundle(
  current: CertBundle | undefined,
  plan: CertPlan,
  hosts: string[],
  now: Date,
  policy = DEFAULT_CERT_POLICY,
): Promise<CertBundle> {
  if (current && plan.action === 'keep') return current;
  if (current && plan.action === 'renew-serving') {
    const serving = await generateServingCert(current, hosts, now, policy);
    return { ...current, ...serving };
  }
  const fresh = await generateCertBundle(hosts, now, policy);
  const previous = current?.caCert;
  return previous && isStillValid(previous, now) ? { ...fresh, previousCaCert: previous } : fresh;
}

export type CertificateListener = (pair: TlsKeyPair, bundle: CertBundle) => void | Promise<void>;

export interface CertManagerOptions {
  store: CertStore;
  /** DNS names and IPs the serving cert must cover (see webhookHosts). */
  hosts: string[];
  /** Webhook configurations to keep the caBundle of. */
  sinks?: CaBundleSink[];
  /** Hot reload, e.g. (pair) => server.setCertificate(pair). Called when the serving cert changes. */
  onCertificate?: CertificateListener;
  policy?: Partial<CertPolicy>;
  /** Periodic re-check; OpenKruise requeues every minute. */
  checkIntervalMs?: number;
  /**
   * Resolves once callers trust the caBundle just published. The apiserver reads webhook configurations
   * through an informer, so a patched caBundle takes effect a little later: serving a certificate from a
   * new CA at once fails the calls still made with the old bundle. Default: wait 5 s.
   */
  awaitTrust?: () => Promise<void>;
  now?: () => Date;
  logger?: Logger;
}

/**
 * Keeps the Secret, the server and the caBundles in step. Runs on every replica; replicas race on the
 * Secret and resourceVersion picks the winner, whose bundle the others then load.
 */
export class CertManager {
  private readonly policy: CertPolicy;
  private readonly now: () => Date;
  private readonly log: Logger;
  private chain: Promise<unknown> = Promise.resolve();
  private loadedCert?: string;
  private loadedCa?: string;
  /** When the loaded serving certificate expires. */
  private loadedNotAfter = 0;
  private readonly listeners = new Set<CertificateListener>();
  private latest?: CertBundle;

  constructor(private readonly options: CertManagerOptions) {
    this.policy = { ...DEFAULT_CERT_POLICY, ...options.policy };
    this.now = options.now ?? (() => new Date());
    this.log = options.logger ?? pino({ level: 'silent' });
  }

  /** The bundle last published, if any (ready once set). */
  current(): CertBundle | undefined {
    return this.latest;
  }

  /** Read, renew if needed, write, publish caBundle, reload. Calls are serialised. */
  ensure(): Promise<CertBundle> {
    const next = this.chain.then(() => this.sync());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Manager runnable: ensure now and every checkIntervalMs until `signal` aborts; errors are retried. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.options.checkIntervalMs ?? 60_000;
    while (!signal.aborted) {
      try {
        await this.ensure();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'webhook certificate sync failed');
      }
      await sleep(interval, signal);
    }
  }

  private async sync(): Promise<CertBundle> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const stored = await this.options.store.read();
      const now = this.now();
      // A store without our keys (a pre-created, empty Secret) is filled in at its resourceVersion.
      const plan: CertPlan = stored?.bundle
        ? planCertRenewal(stored.bundle, this.options.hosts, now, this.policy)
        : {
            action: 'renew-all',
            reason: stored ? 'the store holds no certificates' : 'no certificates stored',
          };
      let bundle = stored?.bundle;
      if (!bundle || plan.action !== 'keep') {
        this.log.info(
          { reason: 'reason' in plan ? plan.reason : undefined },
          `webhook certificates: ${plan.action}`,
        );
        bundle = await renewCertBundle(bundle, plan, this.options.hosts, now, this.policy);
        try {
          await this.options.store.write(bundle, stored?.resourceVersion);
        } catch (err) {
          if (!(err instanceof CertStoreConflictError)) throw err;
          this.log.info({ attempt }, 'webhook certificate store changed under us; re-reading');
          continue;
        }
      }
      await this.publish(bundle, now);
      return bundle;
    }
    throw new Error('webhook certificate store kept conflicting');
  }

  /** Also reload `listener` on every later serving-cert change (for a server built after the first ensure()). */
  subscribe(listener: CertificateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // caBundle before the server: the apiserver must trust a new CA before it is served, so a new CA is
  // loaded only once the patched caBundle is in effect, while the old certificate (still valid, as a CA
  // is renewed long before it expires) keeps serving. A failed caBundle patch blocks the reload only when
  // the CA changed; a new serving cert under the same CA is safe to load at once.
  private async publish(bundle: CertBundle, now: Date): Promise<void> {
    const caBundle = caBundlePem(bundle, now, this.loadedCa);
    const newCa = this.loadedCa !== undefined && this.loadedCa !== bundle.caCert;
    let sinkError: unknown;
    try {
      for (const sink of this.options.sinks ?? []) await sink.patchCaBundle(caBundle);
    } catch (err) {
      if (newCa) throw err;
      sinkError = err;
    }
    if (this.loadedCert !== bundle.tlsCert) {
      if (newCa && now.getTime() < this.loadedNotAfter) await this.awaitTrust();
      const listeners = [
        ...(this.options.onCertificate ? [this.options.onCertificate] : []),
        ...this.listeners,
      ];
      for (const listener of listeners) await listener(tlsKeyPair(bundle), bundle);
      this.loadedCert = bundle.tlsCert;
      this.loadedCa = bundle.caCert;
      this.loadedNotAfter = Date.parse(new X509Certificate(bundle.tlsCert).validTo);
    }
    if (sinkError) throw sinkError;
    this.latest = bundle;
  }

  private awaitTrust(): Promise<void> {
    if (this.options.awaitTrust) return this.options.awaitTrust();
    this.log.info({ waitMs: CA_PROPAGATION_MS }, 'new webhook CA published; waiting before serving it');
    return new Promise((resolve) => setTimeout(resolve, CA_PROPAGATION_MS));
  }
}

/** How long the apiserver may take to act on a patched caBundle (its webhook configuration informer). */
const CA_PROPAGATION_MS = 5_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** In-memory CertStore with Secret-like resourceVersion semantics, for tests and the local cluster. */
export class MemoryCertStore implements CertStore {
  private stored?: StoredCertBundle;
  private version = 0;
  writes = 0;

  async read(): Promise<StoredCertBundle | undefined> {
    if (!this.stored) return undefined;
    const bundle = this.stored.bundle && { ...this.stored.bundle };
    return { bundle, resourceVersion: this.stored.resourceVersion };
  }

  /** Like an installer creating the Secret with no keys. */
  createEmpty(): void {
    this.version += 1;
    this.stored = { resourceVersion: String(this.version) };
  }

  async write(bundle: CertBundle, resourceVersion?: string): Promise<void> {
    if (resourceVersion === undefined && this.stored) throw new CertStoreConflictError('already exists');
    if (resourceVersion !== undefined && resourceVersion !== this.stored?.resourceVersion) {
      throw new CertStoreConflictError(`resourceVersion ${resourceVersion} is stale`);
    }
    this.version += 1;
    this.writes += 1;
    this.stored = { bundle: { ...bundle }, resourceVersion: String(this.version) };
  }
}

/** In-memory CaBundleSink that records what was published. */
export class MemoryCaBundleSink implements CaBundleSink {
  caBundle?: string;
  changes = 0;

  async patchCaBundle(caBundlePem: string): Promise<void> {
    if (this.caBundle !== caBundlePem) this.changes += 1;
    this.caBundle = caBundlePem;
  }
}
