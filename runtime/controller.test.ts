import { Writable } from 'node:stream';
import { pino } from 'pino';
import { controllerOwnerKey, generationChanged } from './builder';
import { Controller } from './controller';
import { TerminalError } from './errors';
import type { KubeObject, ResourceType } from './meta';
import { createRuntimeMetrics } from './metrics';
import { ItemExponentialRateLimiter } from './ratelimiter';
import type { Reconciler } from './reconcile';
import { FakeClock, flushPromises } from './testing/fakeclock';

function newController(reconcile: Reconciler, workers = 1) {
  const clock = new FakeClock();
  const metrics = createRuntimeMetrics();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const rateLimiter = new ItemExponentialRateLimiter(100, 10_000);
  const controller = new Controller(
    { name: 'cloneset', workers, clock, metrics, logger, rateLimiter },
    reconcile,
  );
  return { controller, clock, metrics, lines };
}

describe('Controller', () => {
  const signal = new AbortController().signal;

  it('forgets a key on success and counts it', async () => {
    const { controller, metrics } = newController(async () => undefined);
    const step = await controller.processKey('ns/web', signal);
    expect(step.result).toBe('success');
    expect(await metrics.registry.metrics()).toContain(
      'controller_runtime_reconcile_total{controller="cloneset",result="success"} 1',
    );
  });

  it('retries a thrown error with per-key backoff, and stops retrying after success', async () => {
    let calls = 0;
    const { controller, clock, metrics } = newController(async () => {
      calls++;
      if (calls < 3) throw new Error('apiserver said no');
    });
    await controller.processKey('ns/web', signal);
    expect(controller.queue.length).toBe(0);
    await clock.advance(100);
    expect(controller.queue.length).toBe(1);
    const key = (await controller.queue.get()) as string;
    await controller.processKey(key, signal);
    controller.queue.done(key);
    await clock.advance(199);
    expect(controller.queue.length).toBe(0); // second failure: 200 ms
    await clock.advance(1);
    expect(await controller.queue.get()).toBe('ns/web');
    await controller.processKey('ns/web', signal);
    expect(controller.queue.numRequeues('ns/web')).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="cloneset"} 2');
  });

  it('does not retry a TerminalError', async () => {
    const { controller, clock, metrics } = newController(async () => {
      throw new TerminalError('CloneSet ns/web: spec.replicas is negative');
    });
    const step = await controller.processKey('ns/web', signal);
    expect(step).toMatchObject({ result: 'error', terminal: true });
    await clock.advance(60_000);
    expect(controller.queue.length).toBe(0);
    expect(await metrics.registry.metrics()).toContain(
      'controller_runtime_terminal_reconcile_errors_total{controller="cloneset"} 1',
    );
  });

  it('requeues after requeueAfter', async () => {
    const { controller, clock } = newController(async () => ({ requeueAfter: 5000 }));
    await controller.processKey('ns/web', signal);
    await clock.advance(4999);
    expect(controller.queue.length).toBe(0);
    await clock.advance(1);
    expect(controller.queue.length).toBe(1);
  });

  it('logs with controller, key and reconcileID, and passes them to the reconciler', async () => {
    const seen: string[] = [];
    const { controller, lines } = newController(async (key, ctx) => {
      seen.push(`${key} ${ctx.namespace} ${ctx.name} ${ctx.controller}`);
      ctx.log.info('working');
    });
    await controller.processKey('ns/web', signal);
    expect(seen).toEqual(['ns/web ns web cloneset']);
    const working = lines.find((l) => l.msg === 'working');
    expect(working).toMatchObject({ controller: 'cloneset', key: 'ns/web' });
    expect(typeof working?.reconcileID).toBe('string');
  });

  it('runs N workers, never one key twice at once, and drains in-flight work on stop', async () => {
    const running = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    let finished = 0;
    const { controller } = newController(async (key) => {
      if (running.has(key)) overlaps++;
      running.add(key);
      maxParallel = Math.max(maxParallel, running.size);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running.delete(key);
      finished++;
    }, 3);
    const stop = new AbortController();
    const done = controller.start(stop.signal);
    for (let i = 0; i < 5; i++) for (const key of ['a', 'b', 'c', 'd']) controller.enqueue(key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.enqueue('e');
    stop.abort();
    await done;
    await flushPromises();
    expect(overlaps).toBe(0);
    expect(maxParallel).toBeLessThanOrEqual(3);
    expect(maxParallel).toBeGreaterThan(1);
    expect(running.size).toBe(0);
    expect(finished).toBeGreaterThanOrEqual(4);
  });
});

describe('controllerOwnerKey', () => {
  const CloneSets: ResourceType = {
    group: 'apps.kruise.io',
    version: 'v1alpha1',
    plural: 'clonesets',
    kind: 'CloneSet',
    namespaced: true,
  };
  const pod = (refs: object[]): KubeObject => ({
    metadata: { name: 'web-0', namespace: 'ns', ownerReferences: refs as never },
  });

  it('maps to the controlling owner of the reconciled kind', () => {
    const ref = {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      name: 'web',
      uid: 'u',
      controller: true,
    };
    expect(controllerOwnerKey(pod([ref]), CloneSets)).toBe('ns/web');
    expect(controllerOwnerKey(pod([{ ...ref, apiVersion: 'apps.kruise.io/v1beta1' }]), CloneSets)).toBe(
      'ns/web',
    );
  });

  it('ignores non-controller refs and refs of other kinds or groups', () => {
    const ref = { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web', uid: 'u' };
    expect(controllerOwnerKey(pod([ref]), CloneSets)).toBeUndefined();
    expect(
      controllerOwnerKey(pod([{ ...ref, controller: true, kind: 'StatefulSet' }]), CloneSets),
    ).toBeUndefined();
    expect(
      controllerOwnerKey(pod([{ ...ref, controller: true, apiVersion: 'apps/v1' }]), CloneSets),
    ).toBeUndefined();
    expect(controllerOwnerKey(pod([]), CloneSets)).toBeUndefined();
  });
});

describe('generationChanged', () => {
  const at = (generation: number, rv: string): KubeObject => ({
    metadata: { name: 'web', generation, resourceVersion: rv },
  });

  it('passes spec changes, adds and deletes, and drops status-only updates', () => {
    expect(generationChanged({ type: 'update', old: at(1, '1'), obj: at(2, '2') })).toBe(true);
    expect(generationChanged({ type: 'update', old: at(2, '2'), obj: at(2, '3') })).toBe(false);
    expect(generationChanged({ type: 'add', obj: at(1, '1') })).toBe(true);
    expect(generationChanged({ type: 'delete', obj: at(1, '1') })).toBe(true);
  });
});
