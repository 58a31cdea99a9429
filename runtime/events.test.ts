import { ApiError } from './errors';
import { type CoreEvent, EventRecorder, type EventSink } from './events';
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
});
