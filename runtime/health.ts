import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Runnable } from './controller';
import { type Logger, silentLogger } from './log';

/** A named probe; return false or throw to fail it. */
export type Check = () => boolean | Promise<boolean>;

export interface HealthServerOptions {
  /** "host:port"; "127.0.0.1:0" picks a free port. Use 0.0.0.0 only when the kubelet must probe it. */
  address: string;
  registry: Registry;
  logger?: Logger;
}

/** Splits "host:port", "[::1]:port" or ":port" (all interfaces). */
export function parseAddress(address: string): { host?: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!match) throw new Error(`health/metrics address "${address}" is not host:port`);
  const host = match[1] ?? match[2];
  return { host: host || undefined, port: Number(match[3]) };
}

/** Serves /healthz, /readyz and /metrics on plain HTTP; runs on every replica (no leader election). */
export class HealthServer implements Runnable {
  readonly name = 'health-server';
  readonly needLeaderElection = false;
  private readonly healthChecks = new Map<string, Check>([['ping', () => true]]);
  private readonly readyChecks = new Map<string, Check>();
  private readonly log: Logger;
  private boundAddress?: AddressInfo;
  private readonly listeners: Array<(address: AddressInfo) => void> = [];

  constructor(private readonly options: HealthServerOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'health-server' });
  }

  addHealthCheck(name: string, check: Check): void {
    this.healthChecks.set(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.readyChecks.set(name, check);
  }

  /** Resolves with the bound address once listening (useful with port 0). */
  listening(): Promise<AddressInfo> {
    if (this.boundAddress) return Promise.resolve(this.boundAddress);
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  async start(signal: AbortSignal): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    const { host, port } = parseAddress(this.options.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    this.boundAddress = server.address() as AddressInfo;
    this.log.info({ address: this.boundAddress }, 'serving /healthz, /readyz and /metrics');
    for (const resolve of this.listeners.splice(0)) resolve(this.boundAddress);
    await new Promise<void>((resolve) => {
      const stop = () => {
        server.close(() => resolve());
        server.closeAllConnections();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (path === '/metrics') {
        const body = await this.options.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.options.registry.contentType });
        return void res.end(body);
      }
      if (path === '/healthz' || path === '/readyz') {
        return await this.probe(res, path === '/healthz' ? this.healthChecks : this.readyChecks);
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${(error as Error).message}\n`);
    }
  }

  // Same body shape as Kubernetes' healthz: one "[+]name ok" / "[-]name failed" line per check.
  private async probe(res: http.ServerResponse, checks: Map<string, Check>): Promise<void> {
    const lines: string[] = [];
    let healthy = true;
    for (const [name, check] of checks) {
      const ok = await Promise.resolve()
        .then(check)
        .catch(() => false);
      healthy &&= ok;
      lines.push(ok ? `[+]${name} ok` : `[-]${name} failed`);
    }
    res.writeHead(healthy ? 200 : 500, { 'Content-Type': 'text/plain' });
    res.end(`${lines.join('\n')}\n${healthy ? 'ok' : 'check failed'}\n`);
  }
}
