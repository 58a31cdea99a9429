import type { KubeClient } from './client';
import { type Clock, realClock } from './clock';
import { isNotFound } from './errors';
import { type Logger, silentLogger } from './log';
import { Events, type KubeObject } from './meta';

export type EventType = 'Normal' | 'Warning';

/** A core/v1 Event, as client-go's recorder writes it. */
export interface CoreEvent extends KubeObject {
  involvedObject: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: EventType;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

/** Where events are written; the client in production, an in-memory fake in tests. */
export interface EventSink {
  create(event: CoreEvent): Promise<CoreEvent>;
  /** Merge patch of an existing event (count and lastTimestamp). */
  patch(namespace: string, name: string, patch: Partial<CoreEvent>): Promise<CoreEvent>;
}

export function eventSinkFor(client: KubeClient): EventSink {
  const events = client.resource<CoreEvent>(Events);
  return {
    create: (event) => events.create(event),
    patch: (namespace, name, patch) => events.patch({ namespace, name }, patch, { type: 'merge' }),
  };
}

export interface EventRecorderOptions {
  /** source.component / reportingComponent, e.g. "outrigger-controller-manager". */
  component: string;
  /** source.host / reportingInstance, e.g. the pod name. */
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** Distinct events remembered for aggregation (client-go's LRU holds 4096). */
  maxCached?: number;
  /** Events one object may get at once, and their refill per second (client-go: 25, one per 5 min). */
  spamBurst?: number;
  spamQps?: number;
}

/** client-go's defaults (tools/record/events_cache.go). */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;
export const COMBINED_PREFIX = '(combined from similar events): ';

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  /** Writes for one aggregate are chained, so a repeat never races its own create. */
  pending: Promise<void>;
}

/**
 * Records core/v1 Events through client-go's EventCorrelator rules, so an object gets the events
 * users know from Kubernetes controllers (OpenKruise's included):
 * - a repeat of the same (object, type, reason, message) patches the existing Event's count and
 *   lastTimestamp instead of creating a new one;
 * - from the 10th distinct message with the same (object, type, reason) within 10 minutes, they all go
 *   to one "(combined from similar events): <latest message>" Event;
 * - each object gets at most 25 events at once, then one per 5 minutes (per type); the rest are dropped
 *   but still counted, so the next written repeat carries the full count.
 * Recording never throws: events are best-effort.
 */
export class EventRecorder {
  private readonly cache = new Map<string, Aggregate>();
  /** Distinct messages per (object, type, reason), and when the last one came. */
  private readonly similar = new Map<string, { messages: Set<string>; lastMs: number }>();
  /** Token bucket per (object, type). */
  private readonly spam = new Map<string, { tokens: number; lastMs: number }>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private sequence = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly options: EventRecorderOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger()).child({ component: 'events' });
  }

  /** Records an event about `obj`; the returned promise (which never rejects) settles when it is written. */
  event(obj: KubeObject, type: EventType, reason: string, originalMessage: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const objectKey = [obj.apiVersion, obj.kind, meta.namespace, meta.name, meta.uid, type];
    const { key, message } = this.correlate([...objectKey, reason], originalMessage);
    const now = this.timestamp();
    let aggregate = this.cache.get(key);
    if (aggregate) {
      this.cache.delete(key);
    } else {
      const namespace = meta.namespace || 'default';
      aggregate = {
        namespace,
        name: this.eventName(meta.name ?? 'unknown'),
        count: 0,
        pending: Promise.resolve(),
      };
    }
    this.cache.set(key, aggregate);
    evictOldest(this.cache, this.maxCached);
    const current = aggregate;
    current.count++;
    if (!this.accept(JSON.stringify(objectKey))) return current.pending;
    const count = current.count;
    current.pending = current.pending.then(() =>
      this.write(current, count, now, message, () => this.newEvent(obj, type, reason, message, now)),
    );
    return current.pending;
  }

  private get maxCached(): number {
    return this.options.maxCached ?? 4096;
  }

  /**
   * client-go's EventAggregator: below 10 distinct messages per (object, type, reason) an event is its
   * own; from then on all of them share one combined event, keyed without the message.
   */
  private correlate(reasonKey: unknown[], message: string): { key: string; message: string } {
    const aggregateKey = JSON.stringify(reasonKey);
    const nowMs = this.clock.now();
    let record = this.similar.get(aggregateKey);
    if (!record || nowMs - record.lastMs > AGGREGATE_INTERVAL_MS) record = { messages: new Set(), lastMs: 0 };
    record.messages.add(message);
    record.lastMs = nowMs;
    this.similar.delete(aggregateKey);
    this.similar.set(aggregateKey, record);
    evictOldest(this.similar, this.maxCached);
    if (record.messages.size < AGGREGATE_MAX_EVENTS) {
      return { key: JSON.stringify([...reasonKey, message]), message };
    }
    // Keep the set at its cap, as client-go does (it drops an arbitrary one).
    record.messages.delete(record.messages.values().next().value as string);
    return { key: aggregateKey, message: COMBINED_PREFIX + message };
  }

  /** client-go's EventSourceObjectSpamFilter: a token bucket per object and event type. */
  private accept(spamKey: string): boolean {
    const burst = this.options.spamBurst ?? SPAM_BURST;
    const qps = this.options.spamQps ?? SPAM_QPS;
    const nowMs = this.clock.now();
    const bucket = this.spam.get(spamKey) ?? { tokens: burst, lastMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * qps);
    bucket.lastMs = nowMs;
    this.spam.delete(spamKey);
    this.spam.set(spamKey, bucket);
    evictOldest(this.spam, this.maxCached);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  private async write(
    aggregate: Aggregate,
    count: number,
    now: string,
    message: string,
    build: () => CoreEvent,
  ): Promise<void> {
    try {
      if (count > 1) {
        try {
          // A combined event shows its latest message (client-go patches it too).
          await this.sink.patch(aggregate.namespace, aggregate.name, { count, lastTimestamp: now, message });
          return;
        } catch (error) {
          if (!isNotFound(error)) throw error;
          // The event expired (events have a TTL): start a new one carrying the count so far.
        }
      }
      await this.sink.create({
        ...build(),
        metadata: { name: aggregate.name, namespace: aggregate.namespace },
        count,
      });
    } catch (error) {
      this.log.warn({ err: error, event: aggregate.name }, 'could not write event');
    }
  }

  private newEvent(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    now: string,
  ): CoreEvent {
    const meta = obj.metadata ?? {};
    const { component, host = '' } = this.options;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason,
      message,
      type,
      source: host ? { component, host } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
      reportingInstance: host,
    };
  }

  // client-go names events "<object>.<unix nanos in hex>"; a sequence keeps same-millisecond names unique.
  private eventName(objectName: string): string {
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    return `${objectName}.${nanos.toString(16)}`;
  }

  // metav1.Time has second precision.
  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

/** Map insertion order doubles as LRU order: drop the least recently used entries over `max`. */
function evictOldest(cache: Map<string, unknown>, max: number): void {
  while (cache.size > max) cache.delete(cache.keys().next().value as string);
}
