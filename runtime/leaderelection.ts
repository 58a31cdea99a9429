import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeClient } from './client';
import { type Clock, realClock, sleep } from './clock';
import { isNotFound } from './errors';
import { type Logger, silentLogger } from './log';
import { type KubeObject, Leases } from './meta';
import { createRuntimeMetrics, type RuntimeMetrics } from './metrics';

/** The coordination.k8s.io/v1 Lease spec fields leader election uses. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

/**
 * Reads and writes one Lease; a fake in tests. Writes return the new resourceVersion, and `update` must
 * fail when `resourceVersion` is stale (optimistic concurrency decides races between candidates).
 */
export interface LeaseStore {
  get(signal?: AbortSignal): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined>;
  create(record: LeaseRecord, signal?: AbortSignal): Promise<string>;
  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<string>;
}

interface LeaseObject extends KubeObject {
  spec?: Partial<LeaseRecord>;
}

export function leaseStoreFor(client: KubeClient, namespace: string, name: string): LeaseStore {
  const leases = client.resource<LeaseObject>(Leases);
  return {
    async get(signal) {
      try {
        const lease = await leases.get({ namespace, name }, { signal });
        const spec = lease.spec ?? {};
        const record = {
          holderIdentity: spec.holderIdentity ?? '',
          leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
          acquireTime: spec.acquireTime,
          renewTime: spec.renewTime,
          leaseTransitions: spec.leaseTransitions ?? 0,
        };
        return { record, resourceVersion: lease.metadata?.resourceVersion ?? '' };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async create(record, signal) {
      const created = await leases.create({ metadata: { namespace, name }, spec: record }, { signal });
      return created.metadata?.resourceVersion ?? '';
    },
    async update(record, resourceVersion, signal) {
      const lease = { metadata: { namespace, name, resourceVersion }, spec: record };
      const updated = await leases.update(lease, { signal });
      return updated.metadata?.resourceVersion ?? '';
    },
  };
}

/** client-go's identity convention: hostname plus a unique suffix, so restarts never reuse an identity. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export interface LeaderElectionOptions {
  /** The lease name; also the `name` label of leader_election_master_status. */
  name: string;
  identity?: string;
  /** client-go defaults: 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  random?: () => number;
}

// Lease times are MicroTime: RFC 3339 with microseconds.
const microTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

/**
 * Lease-based leader election with client-go's algorithm and timings (tools/leaderelection).
 *
 * Every deadline is on the monotonic clock, so a wall-clock step on either replica changes nothing.
 * The leader counts its renewDeadline from the moment it *sent* its last successful renewal; a
 * candidate counts leaseDuration from the moment it *received* the record it last saw change, which
 * is after that write committed. So the leader gives up at least leaseDuration − renewDeadline (5 s by
 * default) before any other replica can take over, and stops acting at that instant.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics;
  private readonly random: () => number;
  private observed?: { record: LeaseRecord; resourceVersion: string };
  /** Monotonic time we last saw the record change: validity never depends on the other holder's clock. */
  private observedAt = 0;
  /** Monotonic time the last successful acquire or renew was sent; undefined when not leading. */
  private renewedAt?: number;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaderElectionOptions,
  ) {
    this.identity = options.identity ?? defaultIdentity();
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs || this.renewDeadlineMs <= this.retryPeriodMs) {
      throw new Error('leader election: need leaseDuration > renewDeadline > retryPeriod');
    }
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger()).child({ lease: options.name, identity: this.identity });
    this.metrics = options.metrics ?? createRuntimeMetrics();
    this.random = options.random ?? Math.random;
    this.metrics.leaderStatus.set({ name: options.name }, 0);
  }

  /** True only while the lease is ours and its last renewal is within renewDeadline. */
  isLeader(): boolean {
    return (
      this.renewedAt !== undefined &&
      this.clock.monotonic() < this.leadingUntil() &&
      this.observed?.record.holderIdentity === this.identity
    );
  }

  /** The current holder as last observed ('' when none). */
  get leader(): string {
    return this.observed?.record.holderIdentity ?? '';
  }

  private leadingUntil(): number {
    return (this.renewedAt ?? Number.NEGATIVE_INFINITY) + this.renewDeadlineMs;
  }

  /** One attempt to take or keep the lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const sentAt = this.clock.monotonic();
    const wallNow = this.clock.now();
    const desired: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(wallNow),
      renewTime: microTime(wallNow),
      leaseTransitions: 0,
    };
    try {
      const current = await this.store.get(signal);
      if (!current) {
        const resourceVersion = await this.store.create(desired, signal);
        this.observe({ record: desired, resourceVersion }, sentAt);
        this.renewedAt = sentAt;
        return true;
      }
      const receivedAt = this.clock.monotonic();
      if (!this.observed || JSON.stringify(this.observed.record) !== JSON.stringify(current.record)) {
        this.observe(current, receivedAt);
      }
      this.observed = current;
      const old = current.record;
      const heldByOther = old.holderIdentity !== '' && old.holderIdentity !== this.identity;
      if (heldByOther) {
        this.renewedAt = undefined;
        if (this.observedAt + old.leaseDurationSeconds * 1000 > receivedAt) return false;
      }
      if (old.holderIdentity === this.identity) {
        desired.acquireTime = old.acquireTime;
        desired.leaseTransitions = old.leaseTransitions;
      } else {
        desired.leaseTransitions = old.leaseTransitions + 1;
      }
      const resourceVersion = await this.store.update(desired, current.resourceVersion, signal);
      this.observe({ record: desired, resourceVersion }, sentAt);
      this.renewedAt = sentAt;
      return true;
    } catch (error) {
      this.log.warn({ err: error }, 'failed to acquire or renew lease');
      return false;
    }
  }

  /**
   * Campaigns until leader, then renews until the lease is lost or `signal` aborts.
   * Calls onStartedLeading once leading. Returns 'lost' or 'cancelled'; 'lost' is returned at the very
   * moment the renew deadline passes, so the caller can stop all leader work at once. After
   * 'cancelled' the caller stops its leader work and then calls release() (client-go ReleaseOnCancel).
   */
  async run(signal: AbortSignal, onStartedLeading: () => void): Promise<'lost' | 'cancelled'> {
    if (!(await this.acquire(signal))) return 'cancelled';
    this.metrics.leaderStatus.set({ name: this.options.name }, 1);
    this.log.info('became leader');
    onStartedLeading();
    const outcome = await this.renew(signal);
    this.metrics.leaderStatus.set({ name: this.options.name }, 0);
    if (outcome === 'lost') {
      this.renewedAt = undefined;
      this.log.error('leader lease lost');
    }
    return outcome;
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info('attempting to acquire leader lease');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      await sleep(this.nextAttemptDelayMs(), signal, this.clock);
    }
    return false;
  }

  /**
   * client-go's JitterUntil with factor 1.2 (retryPeriod .. 2.2 × retryPeriod), but never past the moment
   * the observed lease expires: a dead leader's lease is taken as soon as it may be, so a handover takes
   * leaseDuration plus at most one polling interval, not two.
   */
  private nextAttemptDelayMs(): number {
    const jittered = this.retryPeriodMs * (1 + 1.2 * this.random());
    const record = this.observed?.record;
    if (!record?.holderIdentity) return jittered;
    const untilExpiry = this.observedAt + record.leaseDurationSeconds * 1000 - this.clock.monotonic();
    // Already expired means the attempt failed for another reason (a lost race, an error): back off.
    return untilExpiry > 0 ? Math.min(jittered, untilExpiry) : jittered;
  }

  /**
   * Renews every retryPeriod. Failed renewals are retried every retryPeriod until renewDeadline after
   * the last successful one was sent; an attempt still in flight then is aborted and the lease is lost.
   */
  private async renew(signal: AbortSignal): Promise<'lost' | 'cancelled'> {
    for (;;) {
      await sleep(this.retryPeriodMs, signal, this.clock);
      for (;;) {
        if (signal.aborted) return 'cancelled';
        const remaining = this.leadingUntil() - this.clock.monotonic();
        if (remaining <= 0) return 'lost';
        if (await this.renewWithin(remaining, signal)) break;
        if (signal.aborted) return 'cancelled';
        const wait = Math.min(this.retryPeriodMs, this.leadingUntil() - this.clock.monotonic());
        if (wait <= 0) return 'lost';
        await sleep(wait, signal, this.clock);
      }
    }
  }

  private async renewWithin(ms: number, signal: AbortSignal): Promise<boolean> {
    const attempt = new AbortController();
    const timer = this.clock.setTimeout(() => attempt.abort(), ms);
    const onAbort = () => attempt.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A renewal that answers after the deadline is no renewal: the lease is already given up.
      return (await this.tryAcquireOrRenew(attempt.signal)) && !attempt.signal.aborted;
    } finally {
      this.clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Gives the lease up so another replica takes over at once instead of after leaseDuration. Only while
   * still leading; `signal` bounds the write (shutdown has a budget).
   */
  async release(signal?: AbortSignal): Promise<void> {
    if (!this.isLeader() || !this.observed) return;
    const now = microTime(this.clock.now());
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.observed.record.leaseTransitions,
    };
    try {
      const resourceVersion = await this.store.update(record, this.observed.resourceVersion, signal);
      this.renewedAt = undefined;
      this.observe({ record, resourceVersion }, this.clock.monotonic());
      this.log.info('released leader lease');
    } catch (error) {
      this.log.warn({ err: error }, 'failed to release leader lease');
    }
  }

  private observe(current: { record: LeaseRecord; resourceVersion: string }, at: number): void {
    const previous = this.observed?.record.holderIdentity;
    this.observed = current;
    this.observedAt = at;
    if (previous !== current.record.holderIdentity && current.record.holderIdentity) {
      this.log.info({ leader: current.record.holderIdentity }, 'new leader observed');
    }
  }
}
