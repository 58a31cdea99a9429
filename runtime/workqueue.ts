import { type Clock, realClock, type TimerHandle } from './clock';
import { createRuntimeMetrics, type InFlightWork, type RuntimeMetrics } from './metrics';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter';

export interface WorkQueueOptions {
  /** Used as both `name` and `controller` metric labels, as controller-runtime does. */
  name: string;
  rateLimiter?: RateLimiter;
  clock?: Clock;
  metrics?: RuntimeMetrics;
}

/**
 * client-go's rate-limited delaying workqueue of string keys.
 * - `dirty`: keys waiting to be processed; adding a dirty key again is a no-op (dedup).
 * - `processing`: keys a worker holds; adding one marks it dirty only, and `done` re-queues it once,
 *   so a key is never processed by two workers at once and a burst of changes collapses into one run.
 * - Keys are handed to workers in the event loop's check phase (setImmediate), after the I/O already
 *   received: a burst of watch events marks a key dirty once and one reconcile sees them all. Handed out
 *   in the microtasks right after each event, every few events cost a reconcile and the watch falls behind.
 */
export class WorkQueue implements InFlightWork {
  readonly name: string;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { readyAt: number; timer: TimerHandle }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private wakeScheduled = false;
  private readonly rateLimiter: RateLimiter;
  private readonly clock: Clock;
  private readonly metrics: RuntimeMetrics;
  readonly labels: { name: string; controller: string };

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = options.metrics ?? createRuntimeMetrics();
    this.labels = { name: options.name, controller: options.name };
    this.metrics.queues.add(this);
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.workqueueAdds.inc(this.labels);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.enqueuedAt.has(key)) this.enqueuedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return; // done() re-queues it
    this.push(key);
  }

  /** Adds `key` after `delayMs`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.readyAt <= readyAt) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { readyAt, timer });
  }

  /** Re-adds `key` after the rate limiter's delay (a failed reconcile). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.workqueueRetries.inc(this.labels);
    this.addAfter(key, this.rateLimiter.when(key));
  }

  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** The next key to process, or undefined once the queue is shut down. Call `done(key)` afterwards. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.wake();
    });
  }

  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined)
      this.metrics.workqueueWorkDuration.observe(this.labels, (this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size > 0) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    if (this.shuttingDown) this.metrics.queues.delete(this);
  }

  inFlightSeconds(): { total: number; longest: number } {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const started of this.startedAt.values()) {
      total += (now - started) / 1000;
      longest = Math.max(longest, (now - started) / 1000);
    }
    return { total, longest };
  }

  /** Stops handing out keys (pending ones are left for the next leader; reconcile is level-triggered). */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    if (this.processing.size === 0) this.metrics.queues.delete(this);
  }

  /** Shuts down and resolves once every key being processed is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  get length(): number {
    return this.shuttingDown ? 0 : this.queue.length - this.head;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  private push(key: string): void {
    this.queue.push(key);
    this.metrics.workqueueDepth.set(this.labels, this.queue.length - this.head);
    this.wake();
  }

  /** Hands queued keys to waiting workers once the I/O received so far has been handled. */
  private wake(): void {
    if (this.wakeScheduled || this.waiters.length === 0 || this.length === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      while (this.waiters.length > 0 && this.length > 0)
        (this.waiters.shift() as (key: string) => void)(this.take());
    });
  }

  private take(): string {
    const key = this.queue[this.head++] as string;
    // Compact occasionally instead of Array.shift() on every get (O(n) each).
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.metrics.workqueueDepth.set(this.labels, this.queue.length - this.head);
    this.processing.add(key);
    this.dirty.delete(key);
    const now = this.clock.now();
    const enqueued = this.enqueuedAt.get(key);
    this.enqueuedAt.delete(key);
    if (enqueued !== undefined)
      this.metrics.workqueueQueueDuration.observe(this.labels, (now - enqueued) / 1000);
    this.startedAt.set(key, now);
    return key;
  }
}
