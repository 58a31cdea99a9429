import type { Clock } from './clock';
import { Controller, type Runnable } from './controller';
import type { EventHandler } from './informer';
import type { InformerFactory, InformerScope } from './informerfactory';
import type { Logger } from './log';
import { controllerOf, groupOf, type KubeObject, objectKey, type ResourceType } from './meta';
import type { RuntimeMetrics } from './metrics';
import type { RateLimiter } from './ratelimiter';
import type { Reconciler } from './reconcile';

/** What a controller needs from the manager; the Manager implements it. */
export interface ControllerHost {
  informers: InformerFactory;
  metrics: RuntimeMetrics;
  logger: Logger;
  clock?: Clock;
  add(runnable: Runnable): void;
}

export type WatchEventType = 'add' | 'update' | 'delete';

/** Return false to ignore an event (e.g. a status-only update). */
export type Predicate = (event: { type: WatchEventType; obj: KubeObject; old?: KubeObject }) => boolean;

export interface WatchOptions extends InformerScope {
  predicates?: Predicate[];
}

/** Map a watched object to the keys of the objects to reconcile. */
export type MapFunc = (obj: KubeObject) => string[];

/** Only updates that change metadata.generation (i.e. the spec) pass; adds and deletes always pass. */
export const generationChanged: Predicate = ({ type, obj, old }) =>
  type !== 'update' || obj.metadata?.generation !== old?.metadata?.generation;

interface Watch {
  type: ResourceType;
  map: MapFunc;
  options: WatchOptions;
}

/** The key of the controlling owner of `obj` when that owner is of `ownerType`. */
export function controllerOwnerKey(obj: KubeObject, ownerType: ResourceType): string | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== ownerType.kind || groupOf(ref.apiVersion) !== ownerType.group) return undefined;
  return ownerType.namespaced ? objectKey({ namespace: obj.metadata?.namespace, name: ref.name }) : ref.name;
}

/**
 * Records what a controller watches, then wires it all in `complete`:
 *   controller(mgr).for(CloneSets).owns(Pods).watches(Nodes, mapFn).complete(reconcile)
 */
export class ControllerBuilder {
  private forType?: ResourceType;
  private name?: string;
  private readonly watchList: Watch[] = [];
  private settings: { workers?: number; rateLimiter?: RateLimiter } = {};

  constructor(private readonly host: ControllerHost) {}

  named(name: string): this {
    this.name = name;
    return this;
  }

  /** The reconciled kind: its own events enqueue its own key. */
  for(type: ResourceType, options: WatchOptions = {}): this {
    this.forType = type;
    this.watchList.push({ type, map: (obj) => [objectKey(obj)], options });
    return this;
  }

  /** Objects whose controller ownerReference points at the reconciled kind enqueue their owner. */
  owns(type: ResourceType, options: WatchOptions = {}): this {
    this.watchList.push({ type, map: (obj) => this.ownerKeys(obj), options });
    return this;
  }

  watches(type: ResourceType, map: MapFunc, options: WatchOptions = {}): this {
    this.watchList.push({ type, map, options });
    return this;
  }

  withOptions(settings: { workers?: number; rateLimiter?: RateLimiter }): this {
    this.settings = { ...this.settings, ...settings };
    return this;
  }

  complete(reconcile: Reconciler): Controller {
    if (!this.forType) throw new Error('controller builder: call .for(type) before .complete()');
    const name = this.name ?? this.forType.kind.toLowerCase();
    const { metrics, logger, clock } = this.host;
    const controller = new Controller({ name, metrics, logger, clock, ...this.settings }, reconcile);
    for (const watch of this.watchList) {
      const { predicates = [], ...scope } = watch.options;
      const informer = this.host.informers.informerFor(watch.type, scope);
      informer.addEventHandler(enqueueHandler(controller, watch.map, predicates));
    }
    this.host.add(controller);
    return controller;
  }

  private ownerKeys(obj: KubeObject): string[] {
    const key = controllerOwnerKey(obj, this.forType as ResourceType);
    return key ? [key] : [];
  }
}

/** Informer handlers only enqueue keys; an update enqueues for both the old and the new object (owner changes). */
function enqueueHandler(
  controller: Controller,
  map: MapFunc,
  predicates: Predicate[],
): EventHandler<KubeObject> {
  const pass = (type: WatchEventType, obj: KubeObject, old?: KubeObject) =>
    predicates.every((p) => p({ type, obj, old }));
  const enqueue = (obj: KubeObject) => {
    for (const key of map(obj)) controller.enqueue(key);
  };
  return {
    onAdd: (obj) => pass('add', obj) && enqueue(obj),
    onUpdate: (old, obj) => {
      if (!pass('update', obj, old)) return;
      enqueue(old);
      enqueue(obj);
    },
    onDelete: (obj) => pass('delete', obj) && enqueue(obj),
  };
}

export function controller(host: ControllerHost): ControllerBuilder {
  return new ControllerBuilder(host);
}
