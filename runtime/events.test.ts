import { ApiError } from './errors';
import { COMBINED_PREFIX, type CoreEvent, EventRecorder, type EventSink } from './events';
import type { KubeObject } from './meta';
import { FakeClock } from './testing/fakeclock';

class MemorySink implements EventSink {
  readonly events = new Map<string, CoreEvent>();
  readonly calls: string[] = [];
  failPatchWith?: unknown;

  async create(event: CoreEvent): Promise<CoreEvent> {
    this.calls.push(`create ${event.metadata?.name}`);
    this.events.set(event.metadata?.name ?? '', event);
    return event;
  }

  async patch(_namespace: string, name: string, patch: Partial<CoreEvent>): Promise<CoreEvent> {
    this.calls.push(`patch ${name}`);
    if (this.failPatchWith) throw this.failPatchWith;
    const event = { ...(this.events.get(name) as CoreEvent), ...patch };
    this.events.set(name, event);
    return event;
  }
}

const cloneSet: KubeObject = {
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'uid-1', resourceVersion: '5' },
};

describe('EventRecorder', () => {
  it('creates an event describing the object', async () => {
    const sink = new MemorySink();
    const recorder = new EventRecorder(sink, {
      component: 'outrigger',
      host: 'pod-1',
      clock: new FakeClock(Date.UTC(2026, 10, 25)),
    });
    await recorder.event(cloneSet, 'Normal', 'SuccessfulCreate', 'created pod web-abc');
    const [event] = [...sink.events.values()];
    expect(event).toMatchObject({
      metadata: { namespace: 'ns' },
      involvedObject: {
        kind: 'CloneSet',
        name: 'web',
        namespace: 'ns',
        uid: 'uid-1',
        apiVersion: 'apps.kruise.io/v1alpha1',
      },
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: 'created pod web-abc',
      count: 1,
      source: { component: 'outrigger', host: 'pod-1' },
      firstTimestamp: '2026-11-25T00:00:00Z',
      lastTimestamp: '2026-11-25T00:00:00Z',
    });
    expect(event?.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  it('aggregates repeats into count and lastTimestamp, keeping different messages apart', async () => {
    const sink = new MemorySink();
    const clock = new FakeClock(Date.UTC(2026, 10, 25));
    const recorder = new EventRecorder(sink, { component: 'outrigger', clock });
    void recorder.event(cloneSet, 'Warning', 'FailedCreate', 'quota exceeded');
    await clock.advance(5000);
    void recorder.event(cloneSet, 'Warning', 'FailedCreate', 'quota exceeded');
    await clock.advance(5000);
    await recorder.event(cloneSet, 'Warning', 'FailedCreate', 'quota exceeded');
    await recorder.event(cloneSet, 'Warning', 'FailedCreate', 'another reason');
    expect(sink.events.size).toBe(2);
    const repeated = [...sink.events.values()].find((e) => e.message === 'quota exceeded');
    expect(repeated).toMatchObject({
      count: 3,
      firstTimestamp: '2026-11-25T00:00:00Z',
      lastTimestamp: '2026-11-25T00:00:10Z',
    });
    expect(sink.calls.filter((c) => c.startsWith('patch'))).toHaveLength(2);
  });

  it('creates a fresh event when the aggregated one has expired', async () => {
    const sink = new MemorySink();
    const recorder = new EventRecorder(sink, { component: 'outrigger' });
    await recorder.event(cloneSet, 'Normal', 'Scaled', 'to 3');
    sink.failPatchWith = new ApiError(404, 'NotFound', 'gone');
    await recorder.event(cloneSet, 'Normal', 'Scaled', 'to 3');
    expect(sink.calls).toEqual([
      expect.stringMatching(/^create/),
      expect.stringMatching(/^patch/),
      expect.stringMatching(/^create/),
    ]);
    expect([...sink.events.values()][0]?.count).toBe(2);
  });

  it('never throws when the sink fails, and forgets the oldest aggregates', async () => {
    const sink = new MemorySink();
    sink.create = async (event) => {
      sink.calls.push(`create ${event.reason}`);
      throw new ApiError(403, 'Forbidden', 'no RBAC');
    };
    const recorder = new EventRecorder(sink, { component: 'outrigger', maxCached: 1 });
    await expect(recorder.event(cloneSet, 'Normal', 'A', 'a')).resolves.toBeUndefined();
    await recorder.event(cloneSet, 'Normal', 'B', 'b'); // evicts A
    await recorder.event(cloneSet, 'Normal', 'A', 'a'); // so A is created again, not patched
    expect(sink.calls).toEqual(['create A', 'create B', 'create A']);
  });

  it('combines the 10th and later distinct messages of one reason into one event, as client-go', async () => {
    const sink = new MemorySink();
    const recorder = new EventRecorder(sink, { component: 'outrigger', clock: new FakeClock(0) });
    for (let i = 1; i <= 15; i++)
      await recorder.event(cloneSet, 'Normal', 'SuccessfulCreate', `pod web-${i}`);
    await recorder.event(cloneSet, 'Normal', 'ScaleUp', 'scaled up to 15');
    const events = [...sink.events.values()];
    const single = events.filter((e) => e.reason === 'SuccessfulCreate' && e.count === 1);
    expect(single.map((e) => e.message)).toEqual(Array.from({ length: 9 }, (_, i) => `pod web-${i + 1}`));
    const combined = events.filter((e) => e.message.startsWith(COMBINED_PREFIX));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 6, message: `${COMBINED_PREFIX}pod web-15` });
    // Another reason is aggregated on its own.
    expect(events.find((e) => e.reason === 'ScaleUp')).toMatchObject({
      message: 'scaled up to 15',
      count: 1,
    });
  });

  it('starts over once a reason was quiet for 10 minutes', async () => {
    const sink = new MemorySink();
    const clock = new FakeClock(0);
    const recorder = new EventRecorder(sink, { component: 'outrigger', clock });
    for (let i = 1; i <= 10; i++) await recorder.event(cloneSet, 'Normal', 'Updated', `pod ${i}`);
    await clock.advance(600_001);
    await recorder.event(cloneSet, 'Normal', 'Updated', 'pod 11');
    const last = [...sink.events.values()].find((e) => e.message.endsWith('pod 11'));
    expect(last?.message).toBe('pod 11');
  });

  it('drops events about one object past a burst of 25, refilling one per 5 minutes, and keeps counting', async () => {
    const sink = new MemorySink();
    const clock = new FakeClock(0);
    const recorder = new EventRecorder(sink, { component: 'outrigger', clock });
    for (let i = 0; i < 30; i++) await recorder.event(cloneSet, 'Normal', 'Resync', 'same message');
    expect(sink.calls).toHaveLength(25);
    const other: KubeObject = { ...cloneSet, metadata: { ...cloneSet.metadata, name: 'api', uid: 'uid-2' } };
    await recorder.event(other, 'Normal', 'Resync', 'same message');
    await recorder.event(cloneSet, 'Warning', 'Failed', 'a warning has its own bucket');
    expect(sink.calls).toHaveLength(27);
    await clock.advance(300_000);
    await recorder.event(cloneSet, 'Normal', 'Resync', 'same message');
    expect(sink.calls).toHaveLength(28);
    const resync = [...sink.events.values()].find(
      (e) => e.involvedObject.name === 'web' && e.reason === 'Resync',
    );
    expect(resync?.count).toBe(31);
  });
});
