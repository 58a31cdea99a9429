// The base of the rollout e2e watchers: an informer on one workload's pods that calls the kind's
// invariant check at every pod event, from before the rollout starts until it ends.
import { waitFor } from '../../cluster/wait';
import { createClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Pods } from '../../runtime/meta';
import { e2eKubeconfigPath } from '../cluster/e2e';

export type PodEvent = 'add' | 'update' | 'delete';

export abstract class PodWatcher<P extends KubeObject> {
  readonly violations: string[] = [];
  readonly deletedUids = new Set<string>();
  /** Pod events checked; a watcher that saw nothing proves nothing. */
  checked = 0;
  private readonly informer: Informer<P>;
  private readonly stop = new AbortController();
  private readonly client = createClient(e2eKubeconfigPath());

  constructor(namespace: string, labelSelector: string) {
    this.informer = new Informer<P>(this.client.resource<P>(Pods), {
      namespace,
      labelSelector,
      logger: silentLogger(),
    });
    const seen = (pod: P, event: PodEvent) => {
      this.checked++;
      this.check(pod, event);
    };
    this.informer.addEventHandler({
      onAdd: (pod) => seen(pod, 'add'),
      onUpdate: (_old, pod) => seen(pod, 'update'),
      onDelete: (pod) => {
        if (pod.metadata?.uid) this.deletedUids.add(pod.metadata.uid);
        seen(pod, 'delete');
      },
    });
  }

  /** Checks the invariants after `changed` had `event`; `pods()` holds the pods as they are now. */
  protected abstract check(changed: P, event: PodEvent): void;

  /** Every watched pod, as of the event being checked. */
  protected pods(): P[] {
    return this.informer.lister.list();
  }

  async start(): Promise<this> {
    void this.informer.start(this.stop.signal);
    await waitFor('the pod watcher to sync', () => this.informer.hasSynced());
    return this;
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.client.close();
  }
}

/** Starts `watcher`, runs `body`, and returns the watcher once `body` is done (or has failed). */
export async function watchWhile<W extends { start(): Promise<unknown>; close(): Promise<void> }>(
  watcher: W,
  body: (watcher: W) => Promise<void>,
): Promise<W> {
  await watcher.start();
  try {
    await body(watcher);
  } finally {
    await watcher.close();
  }
  return watcher;
}

/** No invariant broke, and the watcher did see events. */
export function expectInvariantsHeld(watcher: { violations: string[]; checked: number }): void {
  expect(watcher.violations).toEqual([]);
  expect(watcher.checked).toBeGreaterThan(0);
}
