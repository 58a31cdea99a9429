import { pino } from 'pino';
import { credentialsForServer, KubeClient } from './client';
import { Informer, type InformerOptions } from './informer';
import { InformerFactory } from './informerfactory';
import { type KubeObject, Pods } from './meta';
import { createRuntimeMetrics } from './metrics';
import { waitFor } from './testing/fakeclock';
import { FaultServer } from './testing/faultserver';

jest.setTimeout(30_000);

const WARN = 40; // pino's numeric level

interface Recorded {
  adds: string[];
  updates: string[];
  deletes: string[];
}

describe('Informer against the fault-injecting server', () => {
  let server: FaultServer;
  let client: KubeClient;
  let stop: AbortController;
  let seen: Recorded;

  beforeEach(async () => {
    server = new FaultServer();
    const url = await server.listen();
    // The client's own retries would hide faults from the informer; the informer must cope on its own.
    client = new KubeClient(credentialsForServer(url), { maxRetries: 0, metrics: createRuntimeMetrics() });
    stop = new AbortController();
    seen = { adds: [], updates: [], deletes: [] };
  });

  afterEach(async () => {
    stop.abort();
    client.close();
    await server.close();
  });

  function startInformer(options: InformerOptions<KubeObject> = {}): Informer {
    const informer = new Informer(client.resource(Pods), {
      backoff: { initialMs: 5, maxMs: 50 },
      metrics: client.metrics,
      ...options,
    });
    informer.addEventHandler({
      onAdd: (obj) => seen.adds.push(`${obj.metadata?.name}@${obj.metadata?.resourceVersion}`),
      onUpdate: (_old, obj) => seen.updates.push(`${obj.metadata?.name}@${obj.metadata?.resourceVersion}`),
      onDelete: (obj) => seen.deletes.push(obj.metadata?.name ?? ''),
    });
    void informer.start(stop.signal);
    return informer;
  }

  const names = (informer: Informer) => informer.lister.keys().sort();

  it('lists, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    server.upsert('a');
    server.upsert('b');
    const informer = startInformer();
    expect(await informer.waitForSync(stop.signal)).toBe(true);
    expect(names(informer)).toEqual(['default/a', 'default/b']);
    expect(informer.lister.get('default/a')).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    await waitFor(() => server.openWatches === 1, 5000, 'watch to open');
    const watch = server.requestsOf('watch')[0];
    expect(watch?.query.get('resourceVersion')).toBe('102');
    expect(watch?.query.get('allowWatchBookmarks')).toBe('true');
    // The server must end a quiet watch before the 5 min watchdog would force a relist.
    expect(Number(watch?.query.get('timeoutSeconds'))).toBeGreaterThan(0);
    expect(Number(watch?.query.get('timeoutSeconds'))).toBeLessThanOrEqual(270);

    server.upsert('c');
    server.upsert('a');
    server.remove('b');
    await waitFor(() => seen.deletes.length === 1, 5000, 'delete of b');
    expect(seen.adds).toEqual(['a@101', 'b@102', 'c@103']);
    expect(seen.updates).toEqual(['a@104']);
    expect(names(informer)).toEqual(['default/a', 'default/c']);
  });

  it('reconnects after a dropped socket from the last resourceVersion seen', async () => {
    server.upsert('a');
    const informer = startInformer();
    await informer.waitForSync();
    await waitFor(() => server.openWatches === 1, 5000, 'watch');
    server.upsert('b'); // rv 102, delivered on the first watch
    await waitFor(() => seen.adds.length === 2, 5000, 'add of b');
    server.bookmark();
    server.dropWatches();
    server.upsert('c'); // made while disconnected; replayed from history
    await waitFor(() => seen.adds.includes('c@103'), 5000, 'add of c after reconnect');
    const watches = server.requestsOf('watch');
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(watches[1]?.query.get('resourceVersion')).toBe('102');
    expect(server.requestsOf('list')).toHaveLength(1);
  });

  it('keeps retrying through 500s on list and watch', async () => {
    server.upsert('a');
    server.failNext('list', { kind: 'status', code: 500 });
    server.failNext('list', { kind: 'status', code: 503 });
    server.failNext('watch', { kind: 'status', code: 500 });
    server.failNext('watch', { kind: 'drop' });
    const informer = startInformer();
    await informer.waitForSync();
    expect(server.requestsOf('list')).toHaveLength(3);
    await waitFor(() => server.openWatches === 1, 5000, 'watch after failures');
    server.upsert('b');
    await waitFor(() => seen.adds.includes('b@102'), 5000, 'add of b');
    expect(server.requestsOf('watch').length).toBeGreaterThanOrEqual(3);
  });

  it('relists on a 410 ERROR event and delivers deletes that happened while disconnected', async () => {
    server.upsert('a');
    server.upsert('b');
    const informer = startInformer();
    await informer.waitForSync();
    await waitFor(() => server.openWatches === 1, 5000, 'watch');
    server.failNext('watch', { kind: 'status', code: 500 }); // the first reconnect fails too
    server.dropWatches();
    server.remove('a');
    server.upsert('b');
    server.upsert('c');
    server.compact(); // history is gone: the next watch gets a 410 ERROR event
    await waitFor(() => server.requestsOf('list').length === 2, 5000, 'relist');
    await waitFor(() => seen.deletes.includes('a'), 5000, 'delete of a');
    expect(names(informer)).toEqual(['default/b', 'default/c']);
    expect(seen.updates).toContain('b@104');
    expect(seen.adds).toContain('c@105');
    await waitFor(() => server.openWatches === 1, 5000, 'watch after relist');
    expect(server.requestsOf('watch').at(-1)?.query.get('resourceVersion')).toBe('105');
  });

  it('reconnects after a watch line that is not JSON', async () => {
    server.failNext('watch', { kind: 'garbage' });
    const informer = startInformer();
    await informer.waitForSync();
    await waitFor(
      () => server.requestsOf('watch').length === 2 && server.openWatches === 1,
      5000,
      'second watch',
    );
    server.upsert('a');
    await waitFor(() => seen.adds.includes('a@101'), 5000, 'add of a');
  });

  it('relists on an HTTP 410 answer to the watch', async () => {
    server.failNext('watch', { kind: 'status', code: 410 });
    const informer = startInformer();
    await informer.waitForSync();
    await waitFor(() => server.requestsOf('list').length === 2, 5000, 'relist after 410');
    await waitFor(() => server.openWatches === 1, 5000, 'watch');
  });

  it('warns of a failed watch, but not of the 410 and 429 endings the apiserver gives in normal operation', async () => {
    const lines: { level: number; error?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const warnings = () => lines.filter((l) => l.level >= WARN).map((l) => l.error);
    server.failNext('watch', { kind: 'status', code: 410 });
    server.failNext('watch', { kind: 'status', code: 429 });
    const informer = startInformer({ logger });
    await informer.waitForSync();
    await waitFor(
      () => server.requestsOf('watch').length === 3 && server.openWatches === 1,
      5000,
      'third watch',
    );
    expect(warnings()).toEqual([]);
    expect(lines.map((l) => l.error)).toEqual([
      expect.stringContaining('410'),
      expect.stringContaining('429'),
    ]);
    server.failNext('watch', { kind: 'status', code: 500 });
    server.dropWatches();
    const warnedOf500 = () => warnings().some((e) => e?.includes('500 InternalError'));
    await waitFor(() => server.openWatches === 1 && warnedOf500(), 5000, 'watch after a 500');
  });

  /** Gaps between consecutive LISTs, in ms. */
  const listGaps = () => {
    const times = server.requestsOf('list').map((r) => r.at);
    return times.slice(1).map((t, i) => t - times[i]!);
  };

  it.each([
    ['persistent 410 ERROR events', { kind: 'goneEvent' } as const, {}],
    ['a watchdog that keeps firing', { kind: 'silent' } as const, { watchdogMs: 5 }],
  ])('throttles relists on %s with a growing backoff', async (_name, fault, options) => {
    for (let i = 0; i < 6; i++) server.failNext('watch', fault);
    const informer = startInformer({ backoff: { initialMs: 40, maxMs: 10_000 }, ...options });
    await informer.waitForSync();
    await waitFor(() => server.requestsOf('list').length >= 7, 10_000, 'six relists');
    const gaps = listGaps().slice(0, 6);
    // Full jitter over [d/2, d] with d = 40, 80, ..., 1280 ms: each gap at least half its step.
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 5);
    expect(gaps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(620);
  });

  it('waits out 429 Too Many Requests on the list', async () => {
    server.upsert('a');
    server.failNext('list', { kind: 'status', code: 429, retryAfterSeconds: 1 });
    const informer = startInformer();
    await informer.waitForSync();
    expect(names(informer)).toEqual(['default/a']);
    expect(server.requestsOf('list')).toHaveLength(2);
  });

  it('relists when a watch goes silent (watchdog)', async () => {
    server.upsert('a');
    server.failNext('watch', { kind: 'silent' });
    const informer = startInformer({ watchdogMs: 200 });
    await informer.waitForSync();
    server.upsert('b'); // the silent watch never delivers this
    await waitFor(() => server.requestsOf('list').length === 2, 5000, 'watchdog relist');
    await waitFor(() => seen.adds.includes('b@102'), 5000, 'add of b via relist');
    const metrics = await client.metrics.registry.metrics();
    expect(metrics).toContain('outrigger_informer_relists_total{resource="pods",reason="watchdog"} 1');
  });

  it('resyncs by re-delivering every cached object as an update', async () => {
    server.upsert('a');
    startInformer({ resyncMs: 30 });
    await waitFor(() => seen.updates.filter((u) => u === 'a@101').length >= 2, 5000, 'two resyncs');
  });

  it('replays cached objects to handlers added after sync, and indexes them', async () => {
    server.upsert('a', 'default', {
      metadata: {
        labels: { app: 'web' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'owner-1' }],
      },
      spec: { nodeName: 'node-1' },
    } as Partial<KubeObject>);
    server.upsert('b', 'other');
    const informer = startInformer();
    await informer.waitForSync();
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (obj) => late.push(obj.metadata?.name ?? '') });
    expect(late.sort()).toEqual(['a', 'b']);
    const lister = informer.lister;
    expect(lister.byIndex('ownerUID', 'owner-1').map((p) => p.metadata?.name)).toEqual(['a']);
    expect(lister.byIndex('nodeName', 'node-1').map((p) => p.metadata?.name)).toEqual(['a']);
    expect(lister.byIndex('label', 'app=web').map((p) => p.metadata?.name)).toEqual(['a']);
    expect(lister.list('other').map((p) => p.metadata?.name)).toEqual(['b']);
  });
});

describe('InformerFactory', () => {
  it('shares one informer per resource and scope', () => {
    const client = new KubeClient(credentialsForServer('http://127.0.0.1:1'));
    const factory = new InformerFactory(client);
    expect(factory.informerFor(Pods)).toBe(factory.informerFor(Pods));
    expect(factory.informerFor(Pods, { namespace: 'a' })).not.toBe(factory.informerFor(Pods));
    expect(factory.list()).toHaveLength(2);
    expect(factory.hasSynced()).toBe(false);
  });
});
