import { setMaxListeners } from 'node:events';
import type { KubeClient } from './client';
import { Informer, type InformerOptions } from './informer';
import type { KubeObject, ResourceType } from './meta';

/** Selects which objects an informer watches; part of the sharing key. */
export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

type SharedDefaults = Omit<InformerOptions<KubeObject>, keyof InformerScope | 'indexers' | 'transform'>;

/** One informer per resource type and scope per process, shared by every controller that asks for it. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private signal?: AbortSignal;

  constructor(
    private readonly client: KubeClient,
    private readonly defaults: SharedDefaults = {},
  ) {}

  informerFor<T extends KubeObject>(type: ResourceType, scope: InformerScope = {}): Informer<T> {
    const key = [
      type.group,
      type.version,
      type.plural,
      scope.namespace,
      scope.labelSelector,
      scope.fieldSelector,
    ].join('|');
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client.resource(type), { ...this.defaults, ...scope });
      this.informers.set(key, informer);
      // Informers asked for after start() (e.g. by a controller built late) start at once.
      if (this.signal) void informer.start(this.signal);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer, now and in the future, until `signal` aborts. */
  start(signal: AbortSignal): void {
    // Every informer's watch listens on `signal`; a dozen informers is normal, not a leak.
    setMaxListeners(0, signal);
    this.signal = signal;
    for (const informer of this.informers.values()) void informer.start(signal);
  }

  /** Resolves true when every informer has synced, false if `signal` aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all(
      [...this.informers.values()].map((informer) => informer.waitForSync(signal)),
    );
    return results.every(Boolean);
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((informer) => informer.hasSynced());
  }

  list(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }
}
