import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import type { ControllerHost } from './builder';
import type { Lister } from './cache';
import { type Credentials, createClient, type KubeClient, type KubeConfig } from './client';
import { type Clock, realClock, sleep } from './clock';
import type { Runnable } from './controller';
import { EventRecorder, eventSinkFor } from './events';
import { type Check, HealthServer } from './health';
import { InformerFactory, type InformerScope } from './informerfactory';
import { LeaderElector, type LeaseStore, leaseStoreFor } from './leaderelection';
import { createLogger, type Logger } from './log';
import type { KubeObject, ResourceType } from './meta';
import { addProcessMetrics, createRuntimeMetrics, type RuntimeMetrics } from './metrics';

export interface LeaderElectionConfig {
  leaseName: string;
  namespace: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Defaults to the Lease <namespace>/<leaseName>; tests pass an in-memory store. */
  store?: LeaseStore;
}

/** The whole SIGTERM shutdown budget; config/manager's preStop delay plus this fit its grace period. */
export const DEFAULT_GRACEFUL_SHUTDOWN_MS = 20_000;

export interface ManagerOptions {
  /** A kubeconfig path (default chain when omitted), a loaded KubeConfig, or Credentials. */
  kubeconfig?: string | KubeConfig | Credentials;
  /** Or an already built client (benchmarks, tests). */
  client?: KubeClient;
  /** Component name for logs and events. */
  name?: string;
  /** Omit or false to run leader runnables at once (single replica, tests). */
  leaderElection?: LeaderElectionConfig | false;
  /** host:port for /healthz, /readyz, /metrics; false disables the server. Default 127.0.0.1:8081. */
  healthAddress?: string | false;
  /** Make /readyz fail on replicas that are not the leader. */
  readyRequiresLeader?: boolean;
  /** Fail start when informers have not synced within this time (controller-runtime: 2 min). */
  cacheSyncTimeoutMs?: number;
  /**
   * The whole shutdown budget after SIGTERM: leader runnables drain (at most half of it), the lease is
   * released, then the other runnables drain. Default 20 s, which with the Deployment's 5 s preStop
   * delay fits terminationGracePeriodSeconds: 30, so SIGKILL never lands before the lease is released.
   */
  gracefulShutdownMs?: number;
  informerDefaults?: { resyncMs?: number; watchdogMs?: number };
  logger?: Logger;
  registry?: Registry;
  clock?: Clock;
}

/** The lease was lost; controller-runtime exits the process so a restarted replica campaigns again. */
export class LeaderElectionLostError extends Error {
  override readonly name = 'LeaderElectionLostError';
}

/**
 * Owns the client, the shared informers, metrics and the runnables. start(): servers and webhooks
 * (needLeaderElection: false) → informers, wait for sync → leader election → controllers while leader.
 * Shutdown runs in reverse: controllers drain, the lease is released, then informers and servers stop.
 */
export class Manager implements ControllerHost {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly elector?: LeaderElector;
  private readonly health?: HealthServer;
  private readonly leaderRunnables: Runnable[] = [];
  private readonly alwaysRunnables: Runnable[] = [];
  private recorder?: EventRecorder;
  private started = false;

  constructor(private readonly options: ManagerOptions = {}) {
    // A client built elsewhere already counts its requests on its own registry: share that one.
    this.metrics = options.client?.metrics ?? createRuntimeMetrics(options.registry ?? new Registry());
    const registry = this.metrics.registry;
    this.logger = options.logger ?? createLogger({ name: options.name ?? 'outrigger' });
    this.clock = options.clock ?? realClock;
    this.client = options.client ?? createClient(options.kubeconfig, { metrics: this.metrics });
    const { logger, metrics } = this;
    this.informers = new InformerFactory(this.client, { ...options.informerDefaults, logger, metrics });
    if (options.leaderElection) {
      const {
        leaseName,
        namespace,
        store = leaseStoreFor(this.client, namespace, leaseName),
        ...timings
      } = options.leaderElection;
      this.elector = new LeaderElector(store, {
        name: leaseName,
        ...timings,
        logger,
        metrics,
        clock: this.clock,
      });
    }
    if (options.healthAddress !== false) {
      this.health = new HealthServer({
        address: options.healthAddress ?? '127.0.0.1:8081',
        registry,
        logger,
      });
      this.addReadyCheck('informers-synced', () => this.informers.hasSynced());
      if (options.readyRequiresLeader) this.addReadyCheck('leader', () => this.elector?.isLeader() ?? true);
      this.alwaysRunnables.push(this.health);
    }
  }

  /** Registers a runnable; must be called before start(). */
  add(runnable: Runnable): void {
    if (this.started) throw new Error(`manager: cannot add runnable ${runnable.name} after start`);
    (runnable.needLeaderElection === false ? this.alwaysRunnables : this.leaderRunnables).push(runnable);
  }

  addHealthCheck(name: string, check: Check): void {
    this.health?.addHealthCheck(name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.health?.addReadyCheck(name, check);
  }

  get healthServer(): HealthServer | undefined {
    return this.health;
  }

  /** One shared Events recorder for the process. */
  get events(): EventRecorder {
    this.recorder ??= new EventRecorder(eventSinkFor(this.client), {
      component: this.options.name ?? 'outrigger',
      host: this.elector?.identity ?? hostname(),
      logger: this.logger,
      clock: this.clock,
    });
    return this.recorder;
  }

  /** The shared cache of `type` (an informer is created, and started with the manager, on first use). */
  lister<T extends KubeObject>(type: ResourceType, scope: InformerScope = {}): Lister<T> {
    return this.informers.informerFor<T>(type, scope).lister;
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Runs until `signal` aborts (resolves) or something fails (rejects, e.g. LeaderElectionLostError). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('manager already started');
    this.started = true;
    if (this.health) addProcessMetrics(this.metrics.registry);
    const run = new ManagerRun(this.logger, signal);
    const always = new AbortController();
    const leader = new AbortController();
    const election = new AbortController();
    run.startGroup(this.alwaysRunnables, always.signal);
    this.informers.start(always.signal);
    const synced = await this.waitForCaches(run.stopping);
    let campaign: Promise<'lost' | 'cancelled'> | undefined;
    if (synced) {
      const lead = () => run.startGroup(this.leaderRunnables, leader.signal);
      campaign = this.elector?.run(election.signal, lead);
      if (!campaign) lead();
      void campaign?.then((outcome) => {
        if (outcome !== 'lost') return;
        // Stop acting at once: every in-flight request of a leader runnable carries this signal.
        leader.abort();
        run.fail(new LeaderElectionLostError('leader lease lost'));
      });
    } else if (!run.stopping.aborted) {
      run.fail(new Error(`informers did not sync within ${this.options.cacheSyncTimeoutMs ?? 120_000} ms`));
    }
    await run.untilStopping();
    await this.shutdown(run, { leader, election, always }, campaign);
    run.throwIfFailed();
  }

  private async waitForCaches(stopping: AbortSignal): Promise<boolean> {
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => timeout.abort(), this.options.cacheSyncTimeoutMs ?? 120_000);
    const either = AbortSignal.any([stopping, timeout.signal]);
    try {
      return await this.informers.waitForSync(either);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async shutdown(
    run: ManagerRun,
    stops: { leader: AbortController; election: AbortController; always: AbortController },
    campaign?: Promise<'lost' | 'cancelled'>,
  ): Promise<void> {
    const deadline =
      this.clock.monotonic() + (this.options.gracefulShutdownMs ?? DEFAULT_GRACEFUL_SHUTDOWN_MS);
    const remaining = () => Math.max(0, deadline - this.clock.monotonic());
    // As controller-runtime: after a lost lease there is no graceful shutdown. Another replica may
    // lead within leaseDuration − renewDeadline, so nothing of ours may still be running by then.
    const lost = run.failedWith(LeaderElectionLostError);
    stops.leader.abort();
    if (!lost) {
      this.logger.info('stopping: draining controllers');
      await run.drain(this.leaderRunnables, remaining() / 2, this.clock);
    }
    stops.election.abort();
    if (campaign && (await campaign) === 'cancelled') await this.releaseWithin(remaining());
    stops.always.abort();
    await run.drain(this.alwaysRunnables, lost ? 0 : remaining(), this.clock);
    this.client.close();
    this.logger.info('stopped');
  }

  private async releaseWithin(ms: number): Promise<void> {
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => timeout.abort(), ms);
    try {
      await this.elector?.release(timeout.signal);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}

/** Bookkeeping of one Manager.start: running runnables, the first failure, and the stop trigger. */
class ManagerRun {
  private readonly stop = new AbortController();
  private readonly running = new Map<Runnable, Promise<void>>();
  private failure?: unknown;

  constructor(
    private readonly log: Logger,
    signal: AbortSignal,
  ) {
    if (signal.aborted) this.stop.abort();
    signal.addEventListener('abort', () => this.stop.abort(), { once: true });
  }

  get stopping(): AbortSignal {
    return this.stop.signal;
  }

  startGroup(runnables: Runnable[], signal: AbortSignal): void {
    for (const runnable of runnables) {
      this.log.info(
        { runnable: runnable.name, leaderOnly: runnable.needLeaderElection !== false },
        'starting runnable',
      );
      const running = Promise.resolve()
        .then(() => runnable.start(signal))
        .catch((error: unknown) => this.fail(error, runnable.name));
      this.running.set(runnable, running);
    }
  }

  fail(error: unknown, runnable?: string): void {
    this.log.error({ err: error, runnable }, 'manager stopping after an error');
    this.failure ??= error;
    this.stop.abort();
  }

  untilStopping(): Promise<void> {
    if (this.stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) =>
      this.stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  /** Waits for the runnables of a group to return, at most `graceMs`. */
  async drain(runnables: Runnable[], graceMs: number, clock: Clock): Promise<void> {
    const pending = runnables.map((r) => this.running.get(r)).filter((p) => p !== undefined);
    const timeout = new AbortController();
    const timedOut = sleep(graceMs, timeout.signal, clock).then(() => !timeout.signal.aborted);
    const finished = Promise.allSettled(pending).then(() => false);
    if (await Promise.race([finished, timedOut])) {
      this.log.warn({ graceMs }, 'runnables did not stop within the graceful shutdown period');
    }
    timeout.abort();
  }

  failedWith(type: new (...args: never[]) => Error): boolean {
    return this.failure instanceof type;
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
