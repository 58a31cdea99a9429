// Serving certificates someone else issues and renews (cert-manager): the Secret is mounted into the pod
// as tls.crt and tls.key, kubelet swaps the files on renewal, and cert-manager's cainjector keeps every
// caBundle current. The operator only reads the files and hot-loads a changed pair.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TlsKeyPair } from './server';

/** The environment variable that switches the manager to certificates from a directory. */
export const CERT_DIR_ENV = 'WEBHOOK_CERT_DIR';

/** tls.key and tls.crt from `dir`; a missing or empty file is an error that names it. */
export async function readCertDir(dir: string): Promise<TlsKeyPair> {
  const read = async (file: string) => {
    const path = join(dir, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`webhook certificate directory: cannot read ${path}: ${(err as Error).message}`);
    }
    if (!text.includes('-----BEGIN')) throw new Error(`webhook certificate directory: ${path} holds no PEM`);
    return text;
  };
  return { key: await read('tls.key'), cert: await read('tls.crt') };
}

/**
 * The pair in a directory, re-read every `intervalMs` by run() and on demand by check(); a changed pair
 * goes to `onChange` (the server's hot swap). Polling, not fs.watch: kubelet replaces mounted Secret
 * files through a symlink swap, which inotify watches on the files miss. A half-written or unreadable
 * pair (onChange throws on a key that does not match its certificate) is reported and retried.
 */
export class CertDirSource {
  private served: TlsKeyPair | undefined;

  constructor(
    readonly dir: string,
    private readonly onChange: (pair: TlsKeyPair) => void,
  ) {}

  /** The first read: what the server starts with. */
  async load(): Promise<TlsKeyPair> {
    this.served = await readCertDir(this.dir);
    return this.served;
  }

  /** Re-reads the directory and hands a changed pair to onChange; true when it changed. */
  async check(): Promise<boolean> {
    const pair = await readCertDir(this.dir);
    if (pair.cert === this.served?.cert && pair.key === this.served?.key) return false;
    this.onChange(pair);
    this.served = pair;
    return true;
  }

  async run(signal: AbortSignal, options: { intervalMs?: number; onError?: (err: Error) => void } = {}) {
    while (!signal.aborted) {
      await sleep(options.intervalMs ?? 10_000, signal);
      if (signal.aborted) return;
      await this.check().catch((err: Error) => options.onError?.(err));
    }
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
