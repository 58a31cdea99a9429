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
}

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  /** Writes for one aggregate are chained, so a repeat never races its own create. */
  pending: Promise<void>;
}

/**
 * Records core/v1 Events. A repeat of the same (object, type, reason, message) patches the existing
 * Event's count and lastTimestamp instead of creating a new one, as client-go's EventCorrelator does.
 * Recording never throws: events are best-effort.
 */
export class EventRecorder {
  private readonly cache = new Map<string, Aggregate>();
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
  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const cacheKey = JSON.stringify([
      obj.apiVersion,
      obj.kind,
      meta.namespace,
      meta.name,
      meta.uid,
      type,
      reason,
      message,
    ]);
    const now = this.timestamp();
    let aggregate = this.cache.get(cacheKey);
    if (aggregate) {
      this.cache.delete(cacheKey); // re-insert: Map order doubles as LRU order
    } else {
      const namespace = meta.namespace || 'default';
      aggregate = {
        namespace,
        name: this.eventName(meta.name ?? 'unknown'),
        count: 0,
        pending: Promise.resolve(),
      };
    }
    this.cache.set(cacheKey, aggregate);
    this.evictOldest();
    const current = aggregate;
    current.count++;
    const count = current.count;
    current.pending = current.pending.then(() =>
      this.write(current, count, now, () => this.newEvent(obj, type, reason, message, now)),
    );
    return current.pending;
  }

  private async write(
    aggregate: Aggregate,
    count: number,
    now: string,
    build: () => CoreEvent,
  ): Promise<void> {
    try {
      if (count > 1) {
        try {
          await this.sink.patch(aggregate.namespace, aggregate.name, { count, lastTimestamp: now });
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

  private evictOldest(): void {
    const max = this.options.maxCached ?? 4096;
    while (this.cache.size > max) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
