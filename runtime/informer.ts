import { type IndexFunc, type Lister, Store, standardIndexers } from './cache';
import type { ListOptions, ResourceClient, WatchEvent } from './client';
import { Backoff, type Clock, realClock, sleep, type TimerHandle } from './clock';
import { ApiError, isGone, isTooManyRequests } from './errors';
import type { Logger } from './log';
import { silentLogger } from './log';
import type { KubeObject, ResourceType } from './meta';
import { objectKey } from './meta';
import { createRuntimeMetrics, type RuntimeMetrics } from './metrics';
import { nextWatcherState, type RelistReason, type WatcherState, type WatcherStep } from './watcher';

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  /** Gets the last state the cache knew (it may be stale if the delete was found by a relist). */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /** Re-deliver every cached object as an update this often; 0 = never. */
  resyncMs?: number;
  /** Relist when a watch delivered nothing (not even a bookmark) for this long. Default 5 min. */
  watchdogMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Server-side watch timeout. Default: random, at most 290 s and under 90% of the watchdog, so a healthy
   * apiserver always ends a quiet watch before the watchdog fires (a quiet watch may get its first
   * bookmark only after ~2 min, measured on kube-apiserver 1.37). kube-rs uses 290 s too.
   */
  watchTimeoutSeconds?: number;
  /** Applied before caching; by default drops managedFields to save memory (controller-runtime does too). */
  transform?: (obj: T) => T;
  listPageSize?: number;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
}

const WATCH_RETRY_MAX_MS = 5_000;
const BACKOFF_RESET_MS = 2 * 60_000;

const dropManagedFields = <T extends KubeObject>(obj: T): T => {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
};

/** A list-watch cache of one resource, kept current across every kind of connection failure. */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly store: Store<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private synced = false;
  private readonly syncWaiters: Array<() => void> = [];
  private running?: Promise<void>;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics;
  private readonly clock: Clock;
  private readonly transform: (obj: T) => T;
  readonly resourceLabel: string;
  /** The last state the watcher was in; for logs and tests. */
  state: WatcherState = { phase: 'list', reason: 'initial' };

  constructor(
    readonly resource: ResourceClient<T>,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.store = new Store<T>(options.indexers ?? (standardIndexers as Record<string, IndexFunc<T>>));
    this.metrics = options.metrics ?? createRuntimeMetrics();
    this.clock = options.clock ?? realClock;
    this.transform = options.transform ?? dropManagedFields;
    const { group, plural } = resource.type;
    this.resourceLabel = group ? `${plural}.${group}` : plural;
    this.log = (options.logger ?? silentLogger()).child({
      informer: this.resourceLabel,
      namespace: options.namespace,
    });
  }

  private get watchdogMs(): number {
    return this.options.watchdogMs ?? 5 * 60_000;
  }

  get type(): ResourceType {
    return this.resource.type;
  }

  get lister(): Lister<T> {
    return this.store;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is in the cache, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** Registers handlers; objects already cached are replayed as adds (client-go does the same). Returns an unregister function. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    for (const obj of this.store.list()) this.safely(() => handler.onAdd?.(obj));
    return () => this.handlers.delete(handler);
  }

  /** Starts list-watch (and resync) until `signal` aborts; idempotent. */
  start(signal: AbortSignal): Promise<void> {
    this.running ??= Promise.all([this.runWatcher(signal), this.runResync(signal)]).then(() => undefined);
    return this.running;
  }

  /**
   * client-go's reflector backoff: 800 ms doubling to 30 s before a LIST, and reset only by a watch that
   * delivered events or by 2 min without a backoff. Re-watching (cheap, and what brings the cache back
   * after an apiserver restart) waits at most 5 s.
   */
  private async runWatcher(signal: AbortSignal): Promise<void> {
    const { initialMs = 800, maxMs = 30_000 } = this.options.backoff ?? {};
    const relistBackoff = new Backoff(initialMs, maxMs);
    const rewatchBackoff = new Backoff(initialMs, Math.min(maxMs, WATCH_RETRY_MAX_MS));
    let lastBackoffAt = Number.NEGATIVE_INFINITY;
    while (!signal.aborted && this.state.phase !== 'stopped') {
      const step = await this.runState(this.state, signal);
      const transition = nextWatcherState(this.state, signal.aborted ? { kind: 'stop' } : step);
      this.logStep(step, transition.next);
      const quietFor = this.clock.monotonic() - lastBackoffAt;
      if (transition.resetBackoff || quietFor > BACKOFF_RESET_MS) {
        relistBackoff.reset();
        rewatchBackoff.reset();
      }
      if (transition.backoff) {
        const backoff = transition.next.phase === 'list' ? relistBackoff : rewatchBackoff;
        lastBackoffAt = this.clock.monotonic();
        await sleep(Math.max(backoff.next(), transition.minDelayMs), signal, this.clock);
      }
      this.state = transition.next;
    }
  }

  private runState(state: WatcherState, signal: AbortSignal): Promise<WatcherStep> {
    if (state.phase === 'list') return this.list(state.reason, signal);
    if (state.phase === 'watch') return this.watch(state.resourceVersion, signal);
    return Promise.resolve({ kind: 'stop' });
  }

  private async list(reason: RelistReason, signal: AbortSignal): Promise<WatcherStep> {
    this.metrics.informerRelists.inc({ resource: this.resourceLabel, reason });
    const { namespace, labelSelector, fieldSelector, listPageSize } = this.options;
    const options: ListOptions = { namespace, labelSelector, fieldSelector, limit: listPageSize, signal };
    try {
      const { items, resourceVersion } = await this.resource.list(options);
      this.applyList(items.map((item) => this.transform(item)));
      return { kind: 'listed', resourceVersion };
    } catch (error) {
      return { kind: 'listFailed', error };
    }
  }

  /** Diffs a fresh list against the cache and delivers the differences, deletes included. */
  private applyList(items: T[]): void {
    const { added, updated, deleted } = this.store.replace(items);
    for (const obj of added) this.emit((h) => h.onAdd?.(obj));
    for (const { old, obj } of updated) this.emit((h) => h.onUpdate?.(old, obj));
    for (const obj of deleted) this.emit((h) => h.onDelete?.(obj));
    this.touch();
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** One watch request from `resourceVersion`, guarded by the no-event watchdog. */
  private async watch(startVersion: string, signal: AbortSignal): Promise<WatcherStep> {
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort();
    signal.addEventListener('abort', onOuterAbort, { once: true });
    let resourceVersion = startVersion;
    let sawEvents = false;
    let failure: unknown;
    let watchdogFired = false;
    const watchdogMs = this.watchdogMs;
    let watchdog: TimerHandle | undefined;
    const armWatchdog = () => {
      if (watchdog) this.clock.clearTimeout(watchdog);
      watchdog = this.clock.setTimeout(() => {
        watchdogFired = true;
        abort.abort();
      }, watchdogMs);
    };
    const onEvent = (event: WatchEvent<T>) => {
      if (abort.signal.aborted) return;
      armWatchdog();
      sawEvents = true;
      try {
        resourceVersion = this.applyEvent(event) ?? resourceVersion;
      } catch (error) {
        failure = error;
        abort.abort();
      }
    };
    armWatchdog();
    try {
      await this.resource.watch(this.watchOptions(resourceVersion), onEvent, abort.signal);
    } catch (error) {
      failure ??= error;
    } finally {
      if (watchdog) this.clock.clearTimeout(watchdog);
      signal.removeEventListener('abort', onOuterAbort);
      abort.abort(); // closes the socket if the watch ended through an ERROR event
    }
    if (watchdogFired) return { kind: 'watchdog' };
    if (failure !== undefined) return { kind: 'watchFailed', resourceVersion, error: failure };
    return { kind: 'watchClosed', resourceVersion, sawEvents };
  }

  private watchOptions(resourceVersion: string) {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const maxSeconds = Math.min(290, (this.watchdogMs / 1000) * 0.9);
    const jittered = Math.floor(maxSeconds * (0.85 + 0.15 * Math.random()));
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? Math.max(1, jittered);
    return { namespace, labelSelector, fieldSelector, resourceVersion, timeoutSeconds };
  }

  /** Applies one watch event to the cache and handlers; returns the new resourceVersion. */
  private applyEvent(event: WatchEvent<T>): string | undefined {
    this.touch();
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; reason?: string; message?: string };
      throw new ApiError(
        status.code ?? 500,
        status.reason ?? 'WatchError',
        `watch ${this.resourceLabel}: ${status.message}`,
      );
    }
    const resourceVersion = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') return resourceVersion;
    const obj = this.transform(event.object);
    if (event.type === 'DELETED') {
      const old = this.store.delete(objectKey(obj));
      this.emit((h) => h.onDelete?.(old ?? obj));
    } else {
      const old = this.store.upsert(obj);
      if (old) this.emit((h) => h.onUpdate?.(old, obj));
      else this.emit((h) => h.onAdd?.(obj));
    }
    return resourceVersion;
  }

  private async runResync(signal: AbortSignal): Promise<void> {
    const resyncMs = this.options.resyncMs ?? 0;
    if (resyncMs <= 0) return;
    while (!signal.aborted) {
      await sleep(resyncMs, signal, this.clock);
      if (signal.aborted || !this.synced) continue;
      for (const obj of this.store.list()) this.emit((h) => h.onUpdate?.(obj, obj));
    }
  }

  private emit(call: (handler: EventHandler<T>) => void): void {
    for (const handler of this.handlers) this.safely(() => call(handler));
  }

  // A handler bug must not stop the informer; handlers should only enqueue keys anyway.
  private safely(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log.error({ err: error }, 'informer event handler threw');
    }
  }

  private touch(): void {
    this.metrics.informerLastEventTime.set({ resource: this.resourceLabel }, this.clock.now() / 1000);
  }

  private logStep(step: WatcherStep, next: WatcherState): void {
    if (step.kind === 'listed' || step.kind === 'stop') return;
    const cause = step.kind === 'watchFailed' ? (isGoneStep(step) ? 'gone' : 'error') : step.kind;
    if (step.kind !== 'listFailed')
      this.metrics.informerWatchRestarts.inc({ resource: this.resourceLabel, cause });
    const error = 'error' in step ? String((step.error as Error)?.message ?? step.error) : undefined;
    const level = step.kind === 'watchClosed' || isRoutineWatchEnd(step) ? 'debug' : 'warn';
    this.log[level]({ step: step.kind, next: next.phase, error }, 'informer watch interrupted; reconnecting');
  }
}

function isGoneStep(step: WatcherStep): boolean {
  return step.kind === 'watchFailed' && isGone(step.error);
}

/**
 * The apiserver ends watches this way in normal operation: 410 once its history moved past us, 429 while a
 * resource's storage reinitializes (a CRD changed, e.g. its conversion caBundle). A relist or a retry
 * recovers, so like client-go's reflector we keep them out of the warnings.
 */
function isRoutineWatchEnd(step: WatcherStep): boolean {
  return isGoneStep(step) || (step.kind === 'watchFailed' && isTooManyRequests(step.error));
}
