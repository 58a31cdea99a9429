import { randomUUID } from 'node:crypto';
import { type Clock, realClock } from './clock';
import { type Logger, silentLogger } from './log';
import { splitKey } from './meta';
import { createRuntimeMetrics, type RuntimeMetrics } from './metrics';
import type { RateLimiter } from './ratelimiter';
import { type NextStep, nextStep, type ReconcileOutcome, type Reconciler } from './reconcile';
import { WorkQueue } from './workqueue';

/** Something the manager runs: controllers, webhook servers, the extender, custom loops. */
export interface Runnable {
  name: string;
  /** Runs until `signal` aborts; resolving early is fine, rejecting stops the manager. */
  start(signal: AbortSignal): Promise<void>;
  /** Defaults to true: run only on the elected leader. Webhooks and the extender set false. */
  needLeaderElection?: boolean;
}

export interface ControllerOptions {
  name: string;
  /** Concurrent reconciles (controller-runtime MaxConcurrentReconciles); one key is never run twice at once. */
  workers?: number;
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: RuntimeMetrics;
  logger?: Logger;
}

/** A workqueue plus N workers running `reconcile`; fed by informer handlers wired by the builder. */
export class Controller implements Runnable {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly needLeaderElection = true;
  private readonly workers: number;
  private readonly clock: Clock;
  private readonly metrics: RuntimeMetrics;
  private readonly log: Logger;

  constructor(
    options: ControllerOptions,
    private readonly reconcile: Reconciler,
  ) {
    this.name = options.name;
    this.workers = options.workers ?? 1;
    this.clock = options.clock ?? realClock;
    this.metrics = options.metrics ?? createRuntimeMetrics();
    this.log = (options.logger ?? silentLogger()).child({ controller: options.name });
    this.queue = new WorkQueue({
      name: options.name,
      rateLimiter: options.rateLimiter,
      clock: this.clock,
      metrics: this.metrics,
    });
  }

  /** Enqueue a key ("namespace/name"); handlers call this, and so can tests. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Runs workers until `signal` aborts, then stops taking keys and waits for in-flight reconciles. */
  async start(signal: AbortSignal): Promise<void> {
    this.metrics.maxConcurrentReconciles.set({ controller: this.name }, this.workers);
    this.log.info({ workers: this.workers }, 'starting workers');
    const stop = () => this.queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    await Promise.all(Array.from({ length: this.workers }, () => this.runWorker(signal)));
    await this.queue.shutDownWithDrain();
    this.log.info('workers stopped');
  }

  private async runWorker(signal: AbortSignal): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      this.metrics.activeWorkers.inc({ controller: this.name });
      try {
        await this.processKey(key, signal);
      } finally {
        this.metrics.activeWorkers.dec({ controller: this.name });
        this.queue.done(key);
      }
    }
  }

  /** One reconcile of `key` and the queue action its outcome asks for. */
  async processKey(key: string, signal: AbortSignal): Promise<NextStep> {
    const reconcileID = randomUUID();
    const { namespace, name } = splitKey(key);
    const log = this.log.child({ key, namespace, name, reconcileID });
    const started = this.clock.now();
    let outcome: ReconcileOutcome;
    try {
      const result = await this.reconcile(key, {
        signal,
        log,
        reconcileID,
        controller: this.name,
        namespace,
        name,
      });
      outcome = { kind: 'done', result: result || undefined };
    } catch (error) {
      outcome = { kind: 'error', error };
    }
    this.metrics.reconcileTime.observe({ controller: this.name }, (this.clock.now() - started) / 1000);
    const step = nextStep(outcome);
    this.applyStep(key, step);
    this.record(log, outcome, step);
    return step;
  }

  private applyStep(key: string, step: NextStep): void {
    const action = step.action;
    switch (action.kind) {
      case 'forget':
        this.queue.forget(key);
        break;
      case 'addRateLimited':
        this.queue.addRateLimited(key);
        break;
      case 'forgetAndAddAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, action.delayMs);
        break;
    }
  }

  private record(log: Logger, outcome: ReconcileOutcome, step: NextStep): void {
    this.metrics.reconcileTotal.inc({ controller: this.name, result: step.result });
    if (outcome.kind !== 'error') {
      log.debug({ result: step.result }, 'reconciled');
      return;
    }
    this.metrics.reconcileErrors.inc({ controller: this.name });
    if (step.terminal) this.metrics.terminalReconcileErrors.inc({ controller: this.name });
    const message = step.terminal
      ? 'reconcile failed terminally; not retrying'
      : 'reconcile failed; retrying with backoff';
    log.error({ err: outcome.error }, message);
  }
}
