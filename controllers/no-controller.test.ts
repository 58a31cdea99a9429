import { type CoreEvent, EventRecorder, type EventSink } from '../runtime/events';
import type { Logger } from '../runtime/log';
import type { KubeObject } from '../runtime/meta';
import type { ReconcileContext } from '../runtime/reconcile';
import { CONTROLLERS } from './catalog';
import { NoControllerReason, noControllerMessage, noControllerReconciler } from './no-controller';

class MemorySink implements EventSink {
  readonly created: CoreEvent[] = [];
  /** Repeats of one event raise its count. */
  readonly counts: number[] = [];
  async create(event: CoreEvent): Promise<CoreEvent> {
    this.created.push(event);
    return event;
  }
  async patch(_namespace: string, _name: string, patch: Partial<CoreEvent>): Promise<CoreEvent> {
    this.counts.push(patch.count ?? 0);
    return patch as CoreEvent;
  }
}

const cloneSets = CONTROLLERS.find((c) => c.name === 'cloneset');
const sidecarSets = CONTROLLERS.find((c) => c.name === 'sidecarset');
if (!cloneSets || !sidecarSets) throw new Error('catalog lacks cloneset or sidecarset');

function harness(objects: Map<string, KubeObject>) {
  const sink = new MemorySink();
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
  } as unknown as Logger;
  const ctx = { log, signal: new AbortController().signal } as ReconcileContext;
  const reconcile = noControllerReconciler({
    entry: cloneSets as (typeof CONTROLLERS)[number],
    why: 'switched off: --controllers=*,-cloneset',
    get: (key) => objects.get(key),
    events: new EventRecorder(sink, { component: 'outrigger-manager' }),
  });
  return { sink, warnings, run: (key: string) => reconcile(key, { ...ctx, name: key } as ReconcileContext) };
}

// As an informer's list may hold it: no apiVersion or kind.
const web = (generation: number): KubeObject => ({
  metadata: { name: 'web', namespace: 'demo', uid: 'uid-1', generation },
});

describe('objects of a kind whose controller is off', () => {
  it('get a Warning Event and a log line that say why and what does not happen', async () => {
    const { sink, warnings, run } = harness(new Map([['demo/web', web(1)]]));
    await run('demo/web');
    expect(sink.created).toHaveLength(1);
    const message =
      'no CloneSet controller runs in this manager (switched off: --controllers=*,-cloneset): nothing ' +
      'creates, updates or deletes its pods, and its status is not written. Run the manager with the ' +
      'cloneset controller on to act on it.';
    expect(sink.created[0]).toMatchObject({
      type: 'Warning',
      reason: NoControllerReason,
      message,
      involvedObject: {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'CloneSet',
        namespace: 'demo',
        name: 'web',
      },
    });
    expect(warnings).toEqual([
      { fields: { kind: 'CloneSet', object: 'demo/web', reason: NoControllerReason }, message },
    ]);
  });

  it('are reported once per generation, and again once recreated', async () => {
    const objects = new Map([['demo/web', web(1)]]);
    const { sink, warnings, run } = harness(objects);
    await run('demo/web');
    await run('demo/web');
    expect(sink.created).toHaveLength(1);
    objects.set('demo/web', web(2));
    await run('demo/web');
    expect(warnings).toHaveLength(2);
    expect(sink.counts).toEqual([2]);
    objects.delete('demo/web');
    await run('demo/web');
    objects.set('demo/web', web(2));
    await run('demo/web');
    expect(warnings).toHaveLength(3);
  });

  it('say for SidecarSets that injection still happens', () => {
    expect(noControllerMessage(sidecarSets, 'switched off')).toContain(
      'the pod webhook still injects its sidecars into new pods, but running pods are not upgraded',
    );
  });
});
