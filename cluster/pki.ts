import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { DEFAULT_CERT_POLICY, generateCa, issueCert } from '../webhooks/certs';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
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

const APISERVER_HOSTS = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  '127.0.0.1',
];

const pair = (cert: string, key: string): KeyPairPem => ({ certPem: cert, keyPem: key });

/**
 * Everything kube-apiserver and its clients need for TLS and authentication on 127.0.0.1, made with
 * the same ECDSA P-256 issuing code as the webhook certificates.
 */
export async function generateClusterPki(validDays = 30): Promise<ClusterPki> {
  const now = new Date();
  const policy = { ...DEFAULT_CERT_POLICY, caValidityDays: validDays };
  const leaf = { now, validityDays: validDays, backdateMs: DEFAULT_CERT_POLICY.backdateMs };
  const servingCa = await generateCa(now, policy, 'outrigger-local-serving-ca');
  const clientCa = await generateCa(now, policy, 'outrigger-local-client-ca');
  const apiServer = await issueCert(servingCa, {
    ...leaf,
    subject: 'CN=kube-apiserver',
    usage: x509.ExtendedKeyUsage.serverAuth,
    hosts: APISERVER_HOSTS,
  });
  const admin = await issueClientCert(
    pair(clientCa.caCert, clientCa.caKey),
    'admin',
    ['system:masters'],
    validDays,
  );
  const saKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return {
    servingCa: pair(servingCa.caCert, servingCa.caKey),
    clientCa: pair(clientCa.caCert, clientCa.caKey),
    apiServer: pair(apiServer.cert, apiServer.key),
    admin,
    serviceAccount: {
      publicKeyPem: x509.PemConverter.encode(
        await webcrypto.subtle.exportKey('spki', saKeys.publicKey),
        'PUBLIC KEY',
      ),
      privateKeyPem: x509.PemConverter.encode(
        await webcrypto.subtle.exportKey('pkcs8', saKeys.privateKey),
        'PRIVATE KEY',
      ),
    },
  };
}

/** A client certificate from the cluster's client CA: CN=user, one O per group (RBAC's user and groups). */
export async function issueClientCert(clientCa: KeyPairPem, user: string, groups: string[], validDays = 30) {
  const { cert, key } = await issueCert(
    { caCert: clientCa.certPem, caKey: clientCa.keyPem },
    {
      subject: [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', '),
      usage: x509.ExtendedKeyUsage.clientAuth,
      now: new Date(),
      validityDays: validDays,
      backdateMs: DEFAULT_CERT_POLICY.backdateMs,
    },
  );
  return { certPem: cert, keyPem: key };
}
