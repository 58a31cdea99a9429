import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 is typed against the DOM's Crypto; Node's webcrypto implements the same API.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

interface Issuer {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface ClusterPki {
  servingCa: KeyPairPem;
  apiServer: KeyPairPem;
  clientCa: KeyPairPem;
  /** CN=admin, O=system:masters: full access, like envtest's admin user. */
  admin: KeyPairPem;
  /** The key pair the apiserver signs and verifies service-account tokens with. */
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}

/** Everything kube-apiserver and its clients need for TLS and authentication on 127.0.0.1. */
export async function generateClusterPki(validDays = 30): Promise<ClusterPki> {
  const servingCa = await selfSignedCa('outrigger-serving-ca', validDays);
  const clientCa = await selfSignedCa('outrigger-client-ca', validDays);
  const apiServer = await issue(servingCa, 'CN=kube-apiserver', validDays, {
    usage: x509.ExtendedKeyUsage.serverAuth,
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ips: ['127.0.0.1'],
  });
  const admin = await issue(clientCa, 'CN=admin, O=system:masters', validDays, {
    usage: x509.ExtendedKeyUsage.clientAuth,
  });
  const saKeys = await generateKeys();
  return {
    servingCa: await toPem(servingCa),
    apiServer,
    clientCa: await toPem(clientCa),
    admin,
    serviceAccount: {
      publicKeyPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', saKeys.publicKey)),
      privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', saKeys.privateKey)),
    },
  };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function selfSignedCa(commonName: string, validDays: number): Promise<Issuer> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + validDays * DAY_MS),
    keys,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert, keys };
}

interface LeafOptions {
  usage: x509.ExtendedKeyUsage;
  dnsNames?: string[];
  ips?: string[];
}

async function issue(ca: Issuer, subject: string, validDays: number, opts: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const altNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + validDays * DAY_MS),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([opts.usage]),
      ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : []),
    ],
  });
  return toPem({ cert, keys });
}

async function toPem({ cert, keys }: Issuer): Promise<KeyPairPem> {
  return {
    certPem: cert.toString('pem'),
    keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

function randomSerial(): string {
  // A positive 16-byte serial: the high bit clear keeps the DER integer unsigned.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
