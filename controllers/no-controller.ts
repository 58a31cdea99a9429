// For a kind whose controller this manager does not run (switched off with --controllers), the apiserver
// still accepts its objects. So that such an object is not silently ignored, this reports each one, once
// per spec generation, with a Warning Event on the object and a log line.
import { resourceOf } from '../apis/install';
import { controller, generationChanged } from '../runtime/builder';
import type { EventRecorder } from '../runtime/events';
import type { Manager } from '../runtime/manager';
import type { KubeObject } from '../runtime/meta';
import type { Reconciler } from '../runtime/reconcile';
import type { ControllerEntry } from './catalog';

export const NoControllerReason = 'NoController';

/** What the Event and the log line say; `why` says how the controller came to be off. */
export function noControllerMessage(entry: ControllerEntry, why: string): string {
  return (
    `no ${entry.kind} controller runs in this manager (${why}): ${entry.whenOff}. ` +
    `Run the manager with the ${entry.name} controller on to act on it.`
  );
}

export interface NoControllerDeps {
  entry: ControllerEntry;
  why: string;
  get(key: string): KubeObject | undefined;
  events: EventRecorder;
}

/** Reports each object once per uid and generation; a deleted object is forgotten. */
export function noControllerReconciler(deps: NoControllerDeps): Reconciler {
  const type = resourceOf(deps.entry.kind);
  const message = noControllerMessage(deps.entry, deps.why);
  const reported = new Map<string, string>();
  return async (key, ctx) => {
    const obj = deps.get(key);
    if (!obj) {
      reported.delete(key);
      return;
    }
    const seen = `${obj.metadata?.uid}/${obj.metadata?.generation}`;
    if (reported.get(key) === seen) return;
    reported.set(key, seen);
    ctx.log.warn({ kind: deps.entry.kind, object: key, reason: NoControllerReason }, message);
    // Informer caches may hold items without apiVersion/kind; the Event's involvedObject needs both.
    const involved = { ...obj, apiVersion: `${type.group}/${type.version}`, kind: type.kind };
    await deps.events.event(involved, 'Warning', NoControllerReason, message);
  };
}

/** Watches `entry`'s kind and reports every object of it (leader only, like the controller it stands for). */
export function setupNoControllerReporter(mgr: Manager, entry: ControllerEntry, why: string): void {
  const type = resourceOf(entry.kind);
  const lister = mgr.lister<KubeObject>(type);
  controller(mgr)
    .named(`no-controller-${entry.name}`)
    .for(type, { predicates: [generationChanged] })
    .withOptions({ workers: 1 })
    .complete(noControllerReconciler({ entry, why, get: (key) => lister.get(key), events: mgr.events }));
}
