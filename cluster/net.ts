import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

/** A port that is free on 127.0.0.1 right now (bind port 0, read it, release it), as envtest does. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Fails with a clear message when something already listens on 127.0.0.1:port. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${what}: port 127.0.0.1:${port} is already in use; stop whatever holds it or choose another port`
            : `${what}: cannot bind 127.0.0.1:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** GET a loopback health endpoint; resolves to the HTTP status, or 0 when nothing answers. */
export function probe(url: string, ca?: string): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { ca, rejectUnauthorized: ca !== undefined, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
