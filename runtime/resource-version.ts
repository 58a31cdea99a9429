// Resource-version expectations (Kruise pkg/util/expectations ResourceVersionExpectation): after writing a
// pod, remember the resourceVersion the apiserver returned; until the informer cache holds that version
// (or a newer one) the cached pod is stale: a plan either waits for it or reads the written object instead
// (`latest`, `unseen`). This is what makes each in-place step see the result of the previous one. One
// instance per controller, never global.
import { type Clock, realClock } from './clock';

interface Expected {
  resourceVersion: string;
  since: number;
  /** The object as the write returned it. */
  object: VersionedObject;
}

export interface VersionedObject {
  metadata?: { uid?: string; resourceVersion?: string };
}

/**
 * How long the uid of a deleted object is remembered: a write answered after the object's delete event
 * (the answer and the watch come on different connections) must not bring the object back.
 */
const GONE_MEMORY_MS = 60_000;

export class ResourceVersionExpectations {
  private readonly expected = new Map<string, Expected>();
  /** Uids seen deleted, oldest first, with when. */
  private readonly gone = new Map<string, number>();

  constructor(
    private readonly timeoutMs = 5 * 60_000,
    private readonly clock: Clock = realClock,
  ) {}

  /** Call with the object the apiserver returned from a write. */
  expect(obj: VersionedObject): void {
    const uid = obj.metadata?.uid;
    const rv = obj.metadata?.resourceVersion;
    if (!uid || !rv || this.gone.has(uid)) return;
    const current = this.expected.get(uid);
    if (current && newerOrEqual(current.resourceVersion, rv)) return;
    this.expected.set(uid, { resourceVersion: rv, since: this.clock.now(), object: obj });
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

  /** The cached object, or the one our last write returned while the cache is behind that write. */
  latest<T extends VersionedObject>(cached: T): T {
    if (this.isSatisfied(cached)) return cached;
    return (this.expected.get(cached.metadata?.uid ?? '')?.object as T | undefined) ?? cached;
  }

  /**
   * The objects our writes returned that the cache does not hold at all yet (created ones): those whose
   * uid is not in `cached` and that `wanted` accepts.
   */
  unseen<T extends VersionedObject>(cached: ReadonlySet<string>, wanted: (obj: T) => boolean): T[] {
    const found: T[] = [];
    const expiredBefore = this.clock.now() - this.timeoutMs;
    for (const [uid, entry] of this.expected) {
      const obj = entry.object as T;
      if (entry.since > expiredBefore && !cached.has(uid) && wanted(obj)) found.push(obj);
    }
    return found;
  }

  /** Forget an object: it was deleted, and a write of it answered later must not bring it back. */
  delete(obj: VersionedObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.expected.delete(uid);
    const now = this.clock.now();
    this.gone.delete(uid);
    this.gone.set(uid, now);
    for (const [old, at] of this.gone) {
      if (at > now - GONE_MEMORY_MS) break;
      this.gone.delete(old);
    }
  }
}

/** Kruise compares resourceVersions as integers (etcd revisions); opaque ones only by equality. */
function newerOrEqual(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}
