import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../../runtime/client';
import type { Runnable } from '../../runtime/controller';
import { InformerFactory } from '../../runtime/informerfactory';
import type { Manager } from '../../runtime/manager';
import { type KubeObject, Pods } from '../../runtime/meta';
import type { ExtenderConfig } from '../config';
import type { Pod } from '../types';
import { type Binder, Extender } from './extender';
import { type ClusterInformers, clusterInformers, feedClusterState } from './informers';
import { createExtenderServer } from './server';
import { MemoryClusterState } from './state';

export interface ExtenderRunnableOptions {
  config: ExtenderConfig;
  /** Where the node and pod informers come from; the manager's factory shares them with controllers. */
  informers: InformerFactory;
  logger: Logger;
  registry?: Registry;
  /** Serves `bind` (with config.bind) through this client. */
  client?: KubeClient;
}

type PodObject = KubeObject & Pod;

/** bind through the apiserver: the pods/binding subresource, and a merge patch for `annotate`. */
export function clientBinder(client: KubeClient): Binder {
  const pods = client.resource<PodObject>(Pods);
  return {
    annotate: async (namespace, name, annotations) => {
      await pods.patch({ namespace, name }, { metadata: { annotations } }, { type: 'merge' });
    },
    bind: async (args, annotations) => {
      await client.request({
        method: 'POST',
        path: pods.path({ namespace: args.PodNamespace, name: args.PodName }, 'binding'),
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: {
            name: args.PodName,
            namespace: args.PodNamespace,
            ...(args.PodUID ? { uid: args.PodUID } : {}),
            ...(annotations ? { annotations } : {}),
          },
          target: { apiVersion: 'v1', kind: 'Node', name: args.Node },
        },
      });
    },
    getPod: (namespace, name) => pods.get({ namespace, name }),
  };
}

/**
 * The extender's HTTP server fed by node and pod informers. It runs on every replica
 * (needLeaderElection false): each scheduler talks to the extender next to it, and scoring writes nothing.
 */
export class ExtenderRunnable implements Runnable {
  readonly name = 'angle-extender';
  readonly needLeaderElection = false;
  readonly state: MemoryClusterState;
  readonly extender: Extender;
  private readonly informers: ClusterInformers;
  private readonly server: Server;

  constructor(private readonly options: ExtenderRunnableOptions) {
    const { config } = options;
    this.state = new MemoryClusterState({
      dims: config.dimensions.map((d) => d.name),
      gpu: config.gpu,
      assumeTtlMs: config.assumeTtlSeconds * 1000,
    });
    const binder = config.bind && options.client ? clientBinder(options.client) : undefined;
    this.extender = new Extender(config, this.state, binder);
    this.informers = clusterInformers(options.informers);
    feedClusterState(this.informers, this.state);
    this.server = createExtenderServer(this.extender, {
      ...config.server,
      logger: options.logger,
      registry: options.registry,
      isReady: () => this.ready(),
    });
  }

  /** True once the node and pod caches have synced; until then the verbs answer 503. */
  ready(): boolean {
    return this.informers.nodes.hasSynced() && this.informers.pods.hasSynced();
  }

  /** The bound address while serving (port 0 in the config picks a free port). */
  address(): AddressInfo | undefined {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { host, port } = this.options.config.server;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.options.logger.info(
      { ...this.address(), prefix: this.options.config.server.prefix },
      'extender listening',
    );
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // The scheduler keeps connections alive; idle ones would hold close() open.
      this.server.closeIdleConnections();
    });
  }
}

/** Adds the extender to a manager: shared informers, the manager's metrics, and a ready check. */
export function addExtender(mgr: Manager, config: ExtenderConfig): ExtenderRunnable {
  const runnable = new ExtenderRunnable({
    config,
    informers: mgr.informers,
    logger: mgr.logger.child({ component: 'angle-extender' }),
    registry: mgr.metrics.registry,
    client: mgr.client,
  });
  mgr.add(runnable);
  mgr.addReadyCheck('angle-extender', () => runnable.ready());
  return runnable;
}

/** addExtender as a startManager controller setup. */
export const setupExtender = (config: ExtenderConfig) => (mgr: Manager) => {
  addExtender(mgr, config);
};

export interface RunningExtender {
  runnable: ExtenderRunnable;
  /** Resolves when the server is closed; rejects if it could not listen. */
  serving: Promise<void>;
  stop(): Promise<void>;
}

/** Runs the extender with informers of its own, outside a manager (tests, benchmarks). */
export function runExtender(client: KubeClient, config: ExtenderConfig, logger: Logger): RunningExtender {
  const factory = new InformerFactory(client, { logger });
  const runnable = new ExtenderRunnable({ config, informers: factory, logger, client });
  const abort = new AbortController();
  factory.start(abort.signal);
  const serving = runnable.start(abort.signal);
  return {
    runnable,
    serving,
    stop: async () => {
      abort.abort();
      await serving;
    },
  };
}
