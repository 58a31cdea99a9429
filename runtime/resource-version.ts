// Resource-version expectations (Kruise pkg/util/expectations ResourceVersionExpectation): after writing a
// pod, remember the resourceVersion the apiserver returned; until the informer cache holds that version
// (or a newer one) the cached pod is stale and no plan may act on it. This is what makes each in-place
// step see the result of the previous one. One instance per controller, never global.
import { type Clock, realClock } from './clock';

interface Expected {
  resourceVersion: string;
  since: number;
}

export interface VersionedObject {
  metadata?: { uid?: string; resourceVersion?: string };
}

export class ResourceVersionExpectations {
  private readonly expected = new Map<string, Expected>();

  constructor(
    private readonly timeoutMs = 5 * 60_000,
    private readonly clock: Clock = realClock,
  ) {}

  /** Call with the object the apiserver returned from a write. */
  expect(obj: VersionedObject): void {
    const uid = obj.metadata?.uid;
    const rv = obj.metadata?.resourceVersion;
    if (!uid || !rv) return;
    const current = this.expected.get(uid);
    if (current && newerOrEqual(current.resourceVersion, rv)) return;
    this.expected.set(uid, { resourceVersion: rv, since: this.clock.now() });
  }

  /** Call with every object read from the cache (informer events or the reconcile's list). */
  observe(obj: VersionedObject): void {
    const uid = obj.metadata?.uid;
    const current = uid ? this.expected.get(uid) : undefined;
    if (!uid || !current) return;
    if (newerOrEqual(obj.metadata?.resourceVersion ?? '', current.resourceVersion)) this.expected.delete(uid);
  }

  /** False while the cache is behind our own write; expectations older than the timeout are dropped. */
  isSatisfied(obj: VersionedObject): boolean {
    const uid = obj.metadata?.uid;
    const current = uid ? this.expected.get(uid) : undefined;
    if (!uid || !current) return true;
    if (this.clock.now() - current.since >= this.timeoutMs) {
      this.expected.delete(uid);
      return true;
    }
    return false;
  }

  /** Forget an object (it was deleted). */
  delete(obj: VersionedObject): void {
    if (obj.metadata?.uid) this.expected.delete(obj.metadata.uid);
  }
}

/** Kruise compares resourceVersions as integers (etcd revisions); opaque ones only by equality. */
function newerOrEqual(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}
