import { createRuntimeMetrics } from './metrics';
import { ItemExponentialRateLimiter } from './ratelimiter';
import { FakeClock, flushPromises } from './testing/fakeclock';
import { WorkQueue } from './workqueue';

function newQueue(clock = new FakeClock()) {
  const metrics = createRuntimeMetrics();
  const queue = new WorkQueue({
    name: 'test',
    clock,
    metrics,
    rateLimiter: new ItemExponentialRateLimiter(10, 1000),
  });
  return { queue, clock, metrics };
}

describe('WorkQueue', () => {
  it('dedups keys that are waiting', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
  });

  it('hands a waiting worker its key only after the events already received: a burst makes one run', async () => {
    const { queue } = newQueue();
    const first = queue.get();
    queue.add('a');
    // The microtasks after one watch event's callback, then the next event of the same burst.
    await Promise.resolve();
    await Promise.resolve();
    queue.add('a');
    expect(await first).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('never hands one key to two workers; an add during processing re-queues it once on done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    const key = await queue.get();
    expect(key).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.length).toBe(0); // held back while a worker owns it
    let second: string | undefined;
    void queue.get().then((k) => {
      second = k;
    });
    await flushPromises();
    expect(second).toBeUndefined();
    queue.done('a');
    await flushPromises();
    expect(second).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('runs many workers without ever overlapping a key', async () => {
    const { queue } = newQueue();
    const running = new Set<string>();
    let overlaps = 0;
    let processed = 0;
    const worker = async () => {
      for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
        if (running.has(key)) overlaps++;
        running.add(key);
        await flushPromises(1);
        if (processed % 3 === 0) queue.add(key); // a change arrives mid-processing
        running.delete(key);
        processed++;
        queue.done(key);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    for (let round = 0; round < 20; round++) for (const key of ['a', 'b', 'c']) queue.add(key);
    await flushPromises(50);
    await queue.shutDownWithDrain();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(processed).toBeGreaterThanOrEqual(3);
  });

  it('addAfter delivers in due order and keeps the earliest time for a key', async () => {
    const { queue, clock } = newQueue();
    queue.addAfter('late', 300);
    queue.addAfter('early', 100);
    queue.addAfter('late', 200); // earlier than the pending 300 ms: replaces it
    queue.addAfter('early', 500); // later than pending: ignored
    await clock.advance(99);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(await queue.get()).toBe('early');
    await clock.advance(100);
    expect(await queue.get()).toBe('late');
    await clock.advance(1000);
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('backs off per key with addRateLimited until forget', async () => {
    const { queue, clock, metrics } = newQueue();
    queue.addRateLimited('a'); // 10 ms
    queue.addRateLimited('a'); // 20 ms, the 10 ms one is earlier and wins
    expect(queue.numRequeues('a')).toBe(2);
    await clock.advance(10);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    queue.addRateLimited('a'); // third failure: 40 ms
    await clock.advance(39);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('workqueue_retries_total{name="test",controller="test"} 3');
  });

  it('records depth, adds, queue and work duration with controller-runtime names', async () => {
    const { queue, clock, metrics } = newQueue();
    queue.add('a');
    queue.add('b');
    await clock.advance(2000);
    const key = (await queue.get()) as string;
    await clock.advance(500);
    queue.done(key);
    const text = await metrics.registry.metrics();
    expect(text).toContain('workqueue_depth{name="test",controller="test"} 1');
    expect(text).toContain('workqueue_adds_total{name="test",controller="test"} 2');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="test",controller="test"} 2');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="test",controller="test"} 0.5');
  });

  it('reports work in progress at scrape time', async () => {
    const { queue, clock, metrics } = newQueue();
    queue.add('a');
    queue.add('b');
    await queue.get();
    await clock.advance(3000);
    await queue.get();
    await clock.advance(1000);
    const text = await metrics.registry.metrics();
    expect(text).toContain('workqueue_unfinished_work_seconds{name="test",controller="test"} 5');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="test",controller="test"} 4');
  });

  it('shutDown wakes waiting workers, drops adds and drain waits for in-flight keys', async () => {
    const { queue, clock } = newQueue();
    const waiting = queue.get();
    queue.addAfter('later', 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('x');
    await clock.advance(200);
    expect(await queue.get()).toBeUndefined();

    const other = newQueue().queue;
    other.add('busy');
    await other.get();
    let drained = false;
    void other.shutDownWithDrain().then(() => {
      drained = true;
    });
    await flushPromises();
    expect(drained).toBe(false);
    other.done('busy');
    await flushPromises();
    expect(drained).toBe(true);
  });
});
