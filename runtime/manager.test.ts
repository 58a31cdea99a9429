import { performance } from 'node:perf_hooks';
import { controller } from './builder';
import { credentialsForServer, KubeClient } from './client';
import type { Runnable } from './controller';
import { silentLogger } from './log';
import { LeaderElectionLostError, Manager, type ManagerOptions } from './manager';
import { Pods } from './meta';
import { startManager } from './start';
import { waitFor } from './testing/fakeclock';
import { FaultServer } from './testing/faultserver';
import { MemoryLeaseStore } from './testing/memorylease';

jest.setTimeout(30_000);

/** A runnable that records whether it is running. */
function probe(name: string, needLeaderElection?: boolean) {
  const state = { running: false, started: 0 };
  const runnable: Runnable = {
    name,
    needLeaderElection,
    start: (signal) =>
      new Promise<void>((resolve) => {
        state.running = true;
        state.started++;
        signal.addEventListener('abort', () => {
          state.running = false;
          resolve();
        });
      }),
  };
  return { runnable, state };
}

const fastLease = {
  leaseName: 'outrigger',
  namespace: 'kruise-system',
  leaseDurationMs: 600,
  renewDeadlineMs: 400,
  retryPeriodMs: 50,
};

describe('Manager', () => {
  let server: FaultServer;
  let client: KubeClient;

  beforeEach(async () => {
    server = new FaultServer();
    client = new KubeClient(credentialsForServer(await server.listen()), { maxRetries: 0 });
  });

  afterEach(async () => {
    await server.close();
  });

  const newManager = (options: Partial<ManagerOptions> = {}) =>
    new Manager({ client, healthAddress: '127.0.0.1:0', logger: silentLogger(), ...options });

  async function get(mgr: Manager, path: string): Promise<{ status: number; body: string }> {
    const address = await (mgr.healthServer as NonNullable<Manager['healthServer']>).listening();
    const res = await fetch(`http://127.0.0.1:${address.port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  it('syncs informers, runs controllers, serves health and metrics, and stops cleanly', async () => {
    server.upsert('parent');
    server.upsert('child', 'default', {
      metadata: {
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Pod', name: 'parent', uid: 'uid-parent', controller: true },
        ],
      },
    });
    const mgr = newManager();
    const reconciled: string[] = [];
    controller(mgr)
      .named('pods')
      .for(Pods, { predicates: [({ obj }) => obj.metadata?.name !== 'child'] })
      .owns(Pods)
      .complete(async (key) => {
        reconciled.push(key);
      });
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    await waitFor(() => reconciled.includes('default/parent'), 10_000, 'reconcile of the owner');
    expect(reconciled).not.toContain('default/child');
    expect(await get(mgr, '/healthz')).toMatchObject({ status: 200 });
    expect(await get(mgr, '/readyz')).toEqual({ status: 200, body: '[+]informers-synced ok\nok\n' });
    const metrics = await get(mgr, '/metrics');
    expect(metrics.body).toContain('controller_runtime_reconcile_total{controller="pods",result="success"}');
    expect(metrics.body).toContain('workqueue_adds_total{name="pods",controller="pods"}');
    expect(metrics.body).toContain('rest_client_requests_total{code="200",method="GET"');
    expect(metrics.body).toContain('nodejs_heap_size_total_bytes');
    stop.abort();
    await running;
  });

  it('is not ready before the informers have synced', async () => {
    server.failNext('list', { kind: 'status', code: 500 });
    server.failNext('list', { kind: 'status', code: 500 });
    const mgr = newManager({ informerDefaults: {} });
    mgr.informers.informerFor(Pods);
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    expect((await get(mgr, '/readyz')).status).toBe(500);
    await waitFor(() => mgr.informers.hasSynced(), 10_000, 'sync');
    expect((await get(mgr, '/readyz')).status).toBe(200);
    stop.abort();
    await running;
  });

  it('runs leader runnables only while leader, others always, and releases the lease on stop', async () => {
    const store = new MemoryLeaseStore();
    const otherHolder = { holderIdentity: 'other', leaseDurationSeconds: 1, leaseTransitions: 0 };
    store.lease = { record: otherHolder, resourceVersion: '1' };
    const mgr = newManager({
      leaderElection: { ...fastLease, store, identity: 'me' },
      readyRequiresLeader: true,
    });
    const webhook = probe('webhook', false);
    const ctrl = probe('controller');
    mgr.add(webhook.runnable);
    mgr.add(ctrl.runnable);
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    await waitFor(() => webhook.state.running, 10_000, 'webhook');
    expect(ctrl.state.running).toBe(false);
    expect((await get(mgr, '/readyz')).body).toContain('[-]leader failed');
    await waitFor(() => ctrl.state.running, 10_000, 'controller after the old lease expired');
    expect(store.lease?.record.holderIdentity).toBe('me');
    expect((await get(mgr, '/metrics')).body).toContain('leader_election_master_status{name="outrigger"} 1');
    stop.abort();
    await running;
    expect(ctrl.state.running).toBe(false);
    expect(webhook.state.running).toBe(false);
    expect(store.lease?.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('stops leader runnables and fails when the lease is lost', async () => {
    const store = new MemoryLeaseStore();
    const mgr = newManager({ leaderElection: { ...fastLease, store, identity: 'me' } });
    const ctrl = probe('controller');
    mgr.add(ctrl.runnable);
    const running = mgr.start(new AbortController().signal);
    await waitFor(() => ctrl.state.running, 10_000, 'controller');
    store.down = true;
    await expect(running).rejects.toBeInstanceOf(LeaderElectionLostError);
    expect(ctrl.state.running).toBe(false);
  });

  /** A runnable that ignores its signal and never returns; records when the signal aborted. */
  function stubborn(name: string, needLeaderElection?: boolean) {
    const state = { running: false, abortedAt: 0 };
    const runnable: Runnable = {
      name,
      needLeaderElection,
      start: (signal) => {
        state.running = true;
        signal.addEventListener('abort', () => {
          state.abortedAt = performance.now();
        });
        return new Promise<void>(() => undefined);
      },
    };
    return { runnable, state };
  }

  it('after a lost lease aborts leader work at once and fails without a graceful drain', async () => {
    const store = new MemoryLeaseStore();
    // A 2 s margin between giving up (renewDeadline) and another replica's takeover (leaseDuration).
    const lease = { ...fastLease, leaseDurationMs: 3000, renewDeadlineMs: 1000, retryPeriodMs: 100 };
    const mgr = newManager({ leaderElection: { ...lease, store, identity: 'me' }, healthAddress: false });
    const ctrl = stubborn('controller');
    mgr.add(ctrl.runnable);
    const running = mgr.start(new AbortController().signal);
    await waitFor(() => ctrl.state.running, 10_000, 'controller');
    store.down = true;
    await expect(running).rejects.toBeInstanceOf(LeaderElectionLostError);
    const stoppedAfterMs = performance.now() - ctrl.state.abortedAt;
    expect(ctrl.state.abortedAt).toBeGreaterThan(0);
    expect(mgr.isLeader()).toBe(false);
    // Nothing waited for the runnable, which never returned: well inside the 2 s margin.
    expect(stoppedAfterMs).toBeLessThan(1000);
  });

  it('fits the whole shutdown, lease release included, into gracefulShutdownMs', async () => {
    const store = new MemoryLeaseStore();
    const mgr = newManager({
      leaderElection: { ...fastLease, store, identity: 'me' },
      healthAddress: false,
      gracefulShutdownMs: 1000,
    });
    const ctrl = stubborn('controller');
    const webhook = stubborn('webhook', false);
    mgr.add(ctrl.runnable);
    mgr.add(webhook.runnable);
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    await waitFor(() => ctrl.state.running && webhook.state.running, 10_000, 'runnables');
    const stoppingAt = performance.now();
    stop.abort();
    await running;
    expect(performance.now() - stoppingAt).toBeLessThan(1500);
    expect(store.lease?.record.holderIdentity).toBe('');
  });

  it('fails when a runnable fails', async () => {
    const mgr = newManager({ healthAddress: false });
    const other = probe('other', false);
    mgr.add(other.runnable);
    mgr.add({ name: 'broken', start: async () => Promise.reject(new Error('port in use')) });
    await expect(mgr.start(new AbortController().signal)).rejects.toThrow('port in use');
    expect(other.state.running).toBe(false);
  });
});

describe('startManager', () => {
  it('runs setups and runnables until its signal aborts, then reports exit code 0', async () => {
    const server = new FaultServer();
    const client = new KubeClient(credentialsForServer(await server.listen()));
    const exits: number[] = [];
    const stop = new AbortController();
    const webhook = probe('webhook', false);
    const ctrl = probe('controller');
    const code = startManager({
      client,
      signal: stop.signal,
      healthAddress: false,
      logger: silentLogger(),
      handleSignals: false,
      exit: (c) => exits.push(c),
      runnables: [webhook.runnable],
      controllers: [(mgr) => mgr.add(ctrl.runnable)],
    });
    await waitFor(() => webhook.state.running && ctrl.state.running, 10_000, 'runnables');
    stop.abort();
    expect(await code).toBe(0);
    expect(exits).toEqual([0]);
    expect(webhook.state.running || ctrl.state.running).toBe(false);
    await server.close();
  });

  it('reports exit code 1 when the manager fails', async () => {
    const exits: number[] = [];
    const client = new KubeClient(credentialsForServer('http://127.0.0.1:1'));
    const broken: Runnable = {
      name: 'broken',
      needLeaderElection: false,
      start: () => Promise.reject(new Error('boom')),
    };
    const code = await startManager({
      client,
      healthAddress: false,
      logger: silentLogger(),
      handleSignals: false,
      exit: (c) => exits.push(c),
      runnables: [broken],
    });
    expect(code).toBe(1);
    expect(exits).toEqual([1]);
  });
});
