import { type Clock, realClock } from './clock';
import type { RuntimeMetrics } from './metrics';

export type ExpectedAction = 'create' | 'delete';

interface OwnerExpectations {
  create: Map<string, number>;
  delete: Map<string, number>;
}

export interface ExpectationsOptions {
  /** Pending expectations older than this count as satisfied (Kruise: 5 min), so a lost event cannot wedge an owner. */
  timeoutMs?: number;
  clock?: Clock;
  onTimeout?: (ownerKey: string, action: ExpectedAction, name: string) => void;
  /** Counts timeouts in outrigger_expectations_timeouts_total{controller}: each one is a leaked expectation. */
  metrics?: RuntimeMetrics;
  controller?: string;
}

/**
 * Creates and deletes a controller has issued but not yet seen in its cache, by owner key and object
 * name (Kruise's ScaleExpectations). While an owner has pending expectations its cache is stale, and
 * reconcile must not act on counts (or it creates twice). One instance per controller, never global.
 */
export class Expectations {
  private readonly owners = new Map<string, OwnerExpectations>();
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: ExpectationsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5 * 60_000;
    this.clock = options.clock ?? realClock;
  }

  /** Call before issuing the create or delete of `name`. */
  expect(ownerKey: string, action: ExpectedAction, name: string): void {
    const owner = this.owners.get(ownerKey) ?? { create: new Map(), delete: new Map() };
    owner[action].set(name, this.clock.now());
    this.owners.set(ownerKey, owner);
  }

  /** Call from informer handlers (add → 'create', delete → 'delete'), or when the request failed. */
  observe(ownerKey: string, action: ExpectedAction, name: string): void {
    const owner = this.owners.get(ownerKey);
    if (!owner) return;
    owner[action].delete(name);
    if (owner.create.size === 0 && owner.delete.size === 0) this.owners.delete(ownerKey);
  }

  /** True when every expected create and delete has been observed (or has timed out). */
  isSatisfied(ownerKey: string): boolean {
    const owner = this.owners.get(ownerKey);
    if (!owner) return true;
    const expiredBefore = this.clock.now() - this.timeoutMs;
    for (const action of ['create', 'delete'] as const) {
      for (const [name, since] of owner[action]) {
        if (since > expiredBefore) continue;
        owner[action].delete(name);
        this.options.metrics?.expectationTimeouts.inc({ controller: this.options.controller ?? '' });
        this.options.onTimeout?.(ownerKey, action, name);
      }
    }
    if (owner.create.size > 0 || owner.delete.size > 0) return false;
    this.owners.delete(ownerKey);
    return true;
  }

  pending(ownerKey: string): { create: string[]; delete: string[] } {
    const owner = this.owners.get(ownerKey);
    return { create: [...(owner?.create.keys() ?? [])], delete: [...(owner?.delete.keys() ?? [])] };
  }

  /** Forget the owner entirely (it was deleted). */
  delete(ownerKey: string): void {
    this.owners.delete(ownerKey);
  }
}
