import { LeaderElector, type LeaseStore } from './leaderelection';
import { createRuntimeMetrics } from './metrics';
import { FakeClock } from './testing/fakeclock';
import { MemoryLeaseStore } from './testing/memorylease';

function setup() {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const metrics = createRuntimeMetrics();
  const elector = (identity: string) =>
    new LeaderElector(store, { name: 'outrigger', identity, clock, metrics, random: () => 0 });
  return { clock, store, metrics, elector };
}

describe('LeaderElector.tryAcquireOrRenew', () => {
  it('creates the lease when none exists and keeps others out while it is valid', async () => {
    const { clock, store, elector } = setup();
    const a = elector('a');
    const b = elector('b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.record).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(store.lease?.record.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(b.leader).toBe('a');
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    await clock.advance(14_000);
    expect(await b.tryAcquireOrRenew()).toBe(false); // 14 s after b first saw it: still valid
    expect(b.isLeader()).toBe(false);
  });

  it('stops calling itself leader renewDeadline after its last renewal was sent', async () => {
    const { clock, elector } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew();
    await clock.advance(9_999);
    expect(a.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(a.isLeader()).toBe(true);
  });

  it('renewing keeps acquireTime and transitions, and moves renewTime', async () => {
    const { clock, store, elector } = setup();
    const a = elector('a');
    await a.tryAcquireOrRenew();
    const first = { ...store.lease?.record };
    await clock.advance(2000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.record.acquireTime).toBe(first.acquireTime);
    expect(store.lease?.record.renewTime).not.toBe(first.renewTime);
    expect(store.lease?.record.leaseTransitions).toBe(0);
  });

  it('takes over a lease that has not been renewed for leaseDuration, by local observation', async () => {
    const { clock, store, elector } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await clock.advance(10_000);
    expect(await b.tryAcquireOrRenew()).toBe(false); // b starts its own 15 s countdown now
    await clock.advance(14_999);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await clock.advance(1);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(a.isLeader()).toBe(false);
  });

  it('lets exactly one of two racing candidates win an expired lease', async () => {
    const { clock, store, elector } = setup();
    const old = elector('old');
    await old.tryAcquireOrRenew();
    const b = elector('b');
    const c = elector('c');
    await b.tryAcquireOrRenew();
    await c.tryAcquireOrRenew();
    await clock.advance(15_000);
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(['b', 'c']).toContain(store.lease?.record.holderIdentity);
  });

  it('release empties holderIdentity so a candidate takes over after one second', async () => {
    const { clock, store, elector } = setup();
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await a.release();
    expect(store.lease?.record).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    expect(a.isLeader()).toBe(false);
    await clock.advance(1);
    expect(await b.tryAcquireOrRenew()).toBe(true); // an empty holder is free at once
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('rejects timings that break the lease invariants', () => {
    const store = new MemoryLeaseStore();
    expect(
      () => new LeaderElector(store, { name: 'x', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
    ).toThrow(/leaseDuration > renewDeadline/);
  });
});

/** One replica's view of the shared store: its network can fail, or hang until the request is aborted. */
function link(store: MemoryLeaseStore) {
  const state = { mode: 'up' as 'up' | 'down' | 'hang' };
  const through = <R>(signal: AbortSignal | undefined, call: () => Promise<R>): Promise<R> => {
    if (state.mode === 'up') return call();
    if (state.mode === 'down') return Promise.reject(new Error('connection refused'));
    return new Promise<R>((_resolve, reject) =>
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    );
  };
  const view: LeaseStore = {
    get: (signal) => through(signal, () => store.get()),
    create: (record, signal) => through(signal, () => store.create(record)),
    update: (record, rv, signal) => through(signal, () => store.update(record, rv)),
  };
  return { state, view };
}

describe('LeaderElector.run', () => {
  it('leads, renews every retry period, and reports a lost lease after renewDeadline of failures', async () => {
    const { clock, store, metrics, elector } = setup();
    const a = elector('a');
    const stop = new AbortController();
    let leading = false;
    const outcome = a.run(stop.signal, () => {
      leading = true;
    });
    await clock.advance(0);
    expect(leading).toBe(true);
    expect(await metrics.registry.metrics()).toContain('leader_election_master_status{name="outrigger"} 1');
    const renewTime = store.lease?.record.renewTime;
    await clock.advance(2000);
    expect(store.lease?.record.renewTime).not.toBe(renewTime);
    store.down = true;
    await clock.advance(12_000);
    expect(await outcome).toBe('lost');
    expect(await metrics.registry.metrics()).toContain('leader_election_master_status{name="outrigger"} 0');
  });

  it('waits as a candidate, takes over when the leader dies, and returns cancelled on stop', async () => {
    const { clock, store, elector } = setup();
    await elector('dead').tryAcquireOrRenew();
    const b = elector('b');
    const stop = new AbortController();
    let leading = false;
    const outcome = b.run(stop.signal, () => {
      leading = true;
    });
    await clock.advance(14_000);
    expect(leading).toBe(false);
    await clock.advance(4000);
    expect(leading).toBe(true);
    expect(store.lease?.record.holderIdentity).toBe('b');
    stop.abort();
    expect(await outcome).toBe('cancelled');
    await b.release();
    expect(store.lease?.record.holderIdentity).toBe('');
  });

  it('retries right when the observed lease expires, not a whole jittered period later', async () => {
    const { clock, store, metrics } = setup();
    await new LeaderElector(store, {
      name: 'outrigger',
      identity: 'dead',
      clock,
      metrics,
    }).tryAcquireOrRenew();
    // The largest jitter: attempts at 0, 4.4, 8.8 and 13.2 s; the next would be at 17.6 s.
    const b = new LeaderElector(store, { name: 'outrigger', identity: 'b', clock, metrics, random: () => 1 });
    const stop = new AbortController();
    let leading = false;
    const outcome = b.run(stop.signal, () => {
      leading = true;
    });
    await clock.advance(14_999);
    expect(leading).toBe(false);
    await clock.advance(1);
    expect(leading).toBe(true);
    expect(store.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    stop.abort();
    expect(await outcome).toBe('cancelled');
  });
});

describe('LeaderElector safety', () => {
  /** Runs two replicas on one clock and samples who believes it leads every 100 ms of fake time. */
  async function twoReplicas(prepareFailure: (a: ReturnType<typeof link>, clock: FakeClock) => void) {
    const { clock, store, metrics } = setup();
    const aLink = link(store);
    const bLink = link(store);
    const a = new LeaderElector(aLink.view, { name: 'x', identity: 'a', clock, metrics, random: () => 0 });
    const b = new LeaderElector(bLink.view, { name: 'x', identity: 'b', clock, metrics, random: () => 0 });
    const stop = new AbortController();
    const events: string[] = [];
    let aLostAt: number | undefined;
    let bLeadsAt: number | undefined;
    const aRun = a
      .run(stop.signal, () => events.push('a leads'))
      .then((outcome) => {
        aLostAt = clock.monotonic();
        return outcome;
      });
    await clock.advance(0);
    const bRun = b.run(stop.signal, () => {
      bLeadsAt = clock.monotonic();
    });
    await clock.advance(3_000);
    expect(a.isLeader()).toBe(true);
    prepareFailure(aLink, clock);
    const bothLeading: number[] = [];
    for (let t = 0; t < 90_000 && bLeadsAt === undefined; t += 100) {
      await clock.advance(100);
      if (a.isLeader() && b.isLeader()) bothLeading.push(t);
    }
    stop.abort();
    await clock.advance(0);
    return { aOutcome: await aRun, bRun, aLostAt, bLeadsAt, bothLeading, a, b };
  }

  it.each([
    ['backwards 60 s', -60_000],
    ['forwards 60 s', 60_000],
  ])('a wall-clock step of %s on a leader whose renewals fail never gives two leaders', async (_n, jump) => {
    const run = await twoReplicas((aLink, clock) => {
      aLink.state.mode = 'down';
      clock.jumpWall(jump);
    });
    expect(run.aOutcome).toBe('lost');
    expect(run.bLeadsAt).toBeDefined();
    expect(run.bothLeading).toEqual([]);
    expect(run.a.isLeader()).toBe(false);
    // The loser stopped at least leaseDuration − renewDeadline before the takeover.
    expect(run.bLeadsAt! - run.aLostAt!).toBeGreaterThanOrEqual(5_000);
  });

  it('gives up at renewDeadline after the last renewal was sent, even while a renewal hangs', async () => {
    const run = await twoReplicas((aLink) => {
      aLink.state.mode = 'hang';
    });
    expect(run.aOutcome).toBe('lost');
    expect(run.bothLeading).toEqual([]);
    expect(run.bLeadsAt! - run.aLostAt!).toBeGreaterThanOrEqual(5_000);
  });
});
