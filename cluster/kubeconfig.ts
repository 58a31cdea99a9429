import * as fs from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  user: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig document with the certificates inlined, so it works from any directory. */
export function kubeconfigDocument(c: KubeconfigCredentials, name = 'outrigger-local') {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: c.server, 'certificate-authority-data': b64(c.caPem) } }],
    users: [
      { name: c.user, user: { 'client-certificate-data': b64(c.certPem), 'client-key-data': b64(c.keyPem) } },
    ],
    contexts: [{ name, context: { cluster: name, user: c.user } }],
    'current-context': name,
    preferences: {},
  };
}

export function writeKubeconfig(file: string, c: KubeconfigCredentials): void {
  fs.writeFileSync(file, stringify(kubeconfigDocument(c)), { mode: 0o600 });
}
