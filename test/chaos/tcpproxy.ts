// A TCP proxy on loopback, for the chaos suite: in front of the apiserver it plays one manager's network
// (cut() is a partition), in front of the webhook replicas it plays their Service.
import * as net from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

/** One proxied connection; while the network is cut its bytes wait here. */
interface Link {
  client: net.Socket;
  upstream?: net.Socket;
  connected: boolean;
  toUpstream: Buffer[];
  toClient: Buffer[];
}

/**
 * Forwards each connection to a backend picked round-robin from `backends()` (called per connection,
 * so a caller can leave out replicas that are not ready, as endpoints do).
 *
 * `cut()` is a partition, not a refusal: open connections stall and new ones are accepted but go
 * nowhere, so clients see hangs, not resets. Bytes sent meanwhile are held and delivered on
 * `restore()`, unless their sender gave up first (closed the connection, or exited: a pod's network
 * goes with it), in which case they are dropped, as a real sender's unacknowledged data would be.
 */
export class TcpProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly links = new Set<Link>();
  private partitioned = false;
  private turn = 0;

  constructor(private readonly backends: () => Backend[]) {}

  /** Listens on 127.0.0.1; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  get cutOff(): boolean {
    return this.partitioned;
  }

  cut(): void {
    this.partitioned = true;
  }

  restore(): void {
    this.partitioned = false;
    for (const link of this.links) {
      if (!link.upstream) this.connect(link);
      else if (link.connected) this.flush(link);
    }
  }

  /** Ends every connection at once (both sides), e.g. when the backend was replaced. */
  resetAll(): void {
    for (const link of this.links) this.drop(link);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const link: Link = { client, connected: false, toUpstream: [], toClient: [] };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (this.partitioned || !link.connected) link.toUpstream.push(chunk);
      else link.upstream?.write(chunk);
    });
    client.on('error', () => this.drop(link));
    client.on('close', (hadError) => this.closed(link, hadError));
    if (!this.partitioned) this.connect(link);
  }

  private connect(link: Link): void {
    const candidates = this.backends();
    const backend = candidates[this.turn++ % Math.max(1, candidates.length)];
    if (!backend) {
      this.drop(link);
      return;
    }
    const upstream = net.connect(backend.port, backend.host);
    link.upstream = upstream;
    upstream.on('connect', () => {
      link.connected = true;
      if (!this.partitioned) this.flush(link);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.partitioned) link.toClient.push(chunk);
      else link.client.write(chunk);
    });
    upstream.on('error', () => this.drop(link));
    upstream.on('close', (hadError) => this.closed(link, hadError));
  }

  /** One side closed: a clean close passes on after the bytes in flight, unless the network is cut. */
  private closed(link: Link, hadError: boolean): void {
    if (hadError || this.partitioned) {
      this.drop(link);
      return;
    }
    if (!this.links.delete(link)) return;
    link.client.end();
    link.upstream?.end();
  }

  private flush(link: Link): void {
    for (const chunk of link.toUpstream.splice(0)) link.upstream?.write(chunk);
    for (const chunk of link.toClient.splice(0)) link.client.write(chunk);
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.toUpstream.length = 0;
    link.toClient.length = 0;
    link.client.destroy();
    link.upstream?.destroy();
  }
}
