import { type KubeObject, objectKey } from './meta';

/** Index values of an object, e.g. its namespace or the UIDs of its owners. */
export type IndexFunc<T> = (obj: T) => string[];

/** client-go's standard indexers, plus label "key=value" pairs. */
export const standardIndexers = {
  namespace: (obj: KubeObject) => (obj.metadata?.namespace ? [obj.metadata.namespace] : []),
  ownerUID: (obj: KubeObject) => (obj.metadata?.ownerReferences ?? []).map((ref) => ref.uid),
  nodeName: (obj: KubeObject) => {
    const nodeName = (obj as { spec?: { nodeName?: string } }).spec?.nodeName;
    return nodeName ? [nodeName] : [];
  },
  label: (obj: KubeObject) => Object.entries(obj.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
} satisfies Record<string, IndexFunc<KubeObject>>;

export type StandardIndex = keyof typeof standardIndexers;

/** Read-only view of an informer's cache, handed to reconcilers. */
export interface Lister<T extends KubeObject> {
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  /** Objects whose index `indexName` contains `value`, e.g. byIndex('ownerUID', uid). */
  byIndex(indexName: string, value: string): T[];
  keys(): string[];
  readonly size: number;
}

export interface ReplaceResult<T> {
  added: T[];
  updated: Array<{ old: T; obj: T }>;
  deleted: T[];
}

/** Objects by "namespace/name" key, with secondary indexes kept up to date on every write. */
export class Store<T extends KubeObject> implements Lister<T> {
  private readonly objects = new Map<string, T>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly indexers: Record<string, IndexFunc<T>> = standardIndexers) {
    for (const name of Object.keys(indexers)) this.indices.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined && this.indices.has('namespace')) return this.byIndex('namespace', namespace);
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((obj) => obj.metadata?.namespace === namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index named ${indexName}; known: ${[...this.indices.keys()].join(', ')}`);
    return [...(index.get(value) ?? [])].map((key) => this.objects.get(key) as T);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Stores `obj` and returns the object it replaced, if any. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    this.index(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.objects.delete(key);
    return old;
  }

  /**
   * Replaces the contents with a fresh list and reports the difference, so deletes that happened while
   * the watch was down are seen. Objects with an unchanged resourceVersion are not reported as updated.
   */
  replace(items: T[]): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.upsert(obj);
      if (!old) result.added.push(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        result.updated.push({ old, obj });
    }
    for (const key of this.keys()) {
      if (seen.has(key)) continue;
      result.deleted.push(this.delete(key) as T);
    }
    return result;
  }

  private index(key: string, obj: T): void {
    for (const [name, indexFn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const value of indexFn(obj)) {
        const keys = index.get(value) ?? new Set<string>();
        keys.add(key);
        index.set(value, keys);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, indexFn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const value of indexFn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
