// Typed operations on one resource type, over KubeClient's request and stream primitives.

import type { KubeClient } from './client';
import { sleep } from './clock';
import { isConflict } from './errors';
import {
  apiVersionOf,
  type KubeObject,
  type ListMeta,
  type ObjectRef,
  objectKey,
  type ResourceType,
} from './meta';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml', // JSON is valid YAML
};

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: 'status' | 'scale' | 'resize';
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; pages are followed with `continue` until the list is complete. */
  limit?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion: string;
  timeoutSeconds?: number;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Scale {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeObject['metadata'];
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Typed operations on one resource type. Namespaced resources take the namespace from the ref or object. */
export class ResourceClient<T extends KubeObject> {
  constructor(
    readonly client: KubeClient,
    readonly type: ResourceType,
  ) {}

  get(ref: ObjectRef, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.client.request<T>({
      method: 'GET',
      path: this.path(ref),
      signal: options.signal,
      idempotent: true,
    });
  }

  /** Lists every page and returns all items with the resourceVersion of the list. */
  async list(options: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const query = queryString({
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit ?? 500,
        continue: token,
      });
      const page = await this.client.request<{ items?: T[]; metadata?: ListMeta }>({
        method: 'GET',
        path: this.path({ namespace: options.namespace, name: '' }) + query,
        signal: options.signal,
        idempotent: true,
      });
      // List items come without apiVersion/kind; fill them in place so cached objects are self-describing.
      for (const item of page.items ?? []) {
        item.apiVersion ??= apiVersionOf(this.type);
        item.kind ??= this.type.kind;
        items.push(item);
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      token = page.metadata?.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  create(obj: T, options: WriteOptions = {}): Promise<T> {
    const ref = { namespace: obj.metadata?.namespace, name: '' };
    return this.write('POST', this.path(ref) + writeQuery(options), this.withTypeMeta(obj), options);
  }

  /** PUT; carries metadata.resourceVersion, so a stale object fails with 409 Conflict. */
  update(obj: T, options: WriteOptions = {}): Promise<T> {
    return this.write('PUT', this.path(refOf(obj)) + writeQuery(options), this.withTypeMeta(obj), options);
  }

  updateStatus(obj: T, options: WriteOptions = {}): Promise<T> {
    return this.write(
      'PUT',
      this.path(refOf(obj), 'status') + writeQuery(options),
      this.withTypeMeta(obj),
      options,
    );
  }

  patch(ref: ObjectRef, patch: unknown, options: PatchOptions): Promise<T> {
    if (options.type === 'apply' && !options.fieldManager) {
      throw new Error(`server-side apply of ${this.type.kind} ${objectKey(ref)} needs a fieldManager`);
    }
    const query = writeQuery(options, options.type === 'apply' && options.force ? { force: 'true' } : {});
    return this.client.request<T>({
      method: 'PATCH',
      path: this.path(ref, options.subresource) + query,
      body: patch,
      contentType: patchContentTypes[options.type],
      signal: options.signal,
      idempotent: options.type === 'apply',
    });
  }

  /** Server-side apply of a whole (partial) object under `fieldManager`. */
  apply(obj: T, options: WriteOptions & { fieldManager: string; force?: boolean; subresource?: 'status' }) {
    return this.patch(refOf(obj), this.withTypeMeta(obj), { ...options, type: 'apply' });
  }

  /**
   * The object as the apiserver answered (pods: with their deletionTimestamp while they terminate), or
   * undefined when it answered with a Status.
   */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<T | undefined> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: options.propagationPolicy,
      gracePeriodSeconds: options.gracePeriodSeconds,
      preconditions: options.preconditions,
    };
    const answer = await this.client.request<T | { kind?: string }>({
      method: 'DELETE',
      path: this.path(ref),
      body,
      signal: options.signal,
    });
    return answer && (answer as { kind?: string }).kind !== 'Status' ? (answer as T) : undefined;
  }

  getScale(ref: ObjectRef, options: { signal?: AbortSignal } = {}): Promise<Scale> {
    return this.client.request<Scale>({
      method: 'GET',
      path: this.path(ref, 'scale'),
      signal: options.signal,
      idempotent: true,
    });
  }

  scale(ref: ObjectRef, replicas: number, options: WriteOptions = {}): Promise<Scale> {
    return this.patch(
      ref,
      { spec: { replicas } },
      { ...options, type: 'merge', subresource: 'scale' },
    ) as Promise<Scale>;
  }

  /** One watch request; resolves when the server closes it, rejects on HTTP or connection errors. */
  watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const query = queryString({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: options.resourceVersion,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    });
    const path = this.path({ namespace: options.namespace, name: '' }) + query;
    return this.client.stream(path, (line) => onEvent(line as WatchEvent<T>), signal);
  }

  /** /apis/group/version[/namespaces/ns]/plural[/name[/subresource]] */
  path(ref: ObjectRef, subresource?: string): string {
    const { group, version, plural, namespaced } = this.type;
    let path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    if (namespaced && ref.namespace) path += `/namespaces/${encodeURIComponent(ref.namespace)}`;
    path += `/${plural}`;
    if (ref.name) path += `/${encodeURIComponent(ref.name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  // The apiserver needs apiVersion/kind in request bodies; callers may leave them out.
  private withTypeMeta(obj: T): T {
    if (obj.apiVersion && obj.kind) return obj;
    return { ...obj, apiVersion: apiVersionOf(this.type), kind: this.type.kind };
  }

  private write(method: 'POST' | 'PUT', path: string, body: T, options: WriteOptions): Promise<T> {
    return this.client.request<T>({ method, path, body, signal: options.signal });
  }
}

function refOf(obj: KubeObject): ObjectRef {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind ?? 'object'} has no metadata.name`);
  return { namespace: obj.metadata?.namespace, name };
}

function writeQuery(options: WriteOptions, extra: Record<string, string> = {}): string {
  return queryString({
    fieldManager: options.fieldManager,
    dryRun: options.dryRun ? 'All' : undefined,
    ...extra,
  });
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, `${value}`);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Runs `update` again when it fails with 409 Conflict (client-go retry.RetryOnConflict with DefaultRetry:
 * 5 attempts, ~10 ms apart). `update` must re-read the object each time.
 */
export async function retryOnConflict<R>(update: () => Promise<R>, attempts = 5, delayMs = 10): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await update();
    } catch (err) {
      if (!isConflict(err) || attempt >= attempts) throw err;
      await sleep(delayMs * (0.9 + 0.2 * Math.random()));
    }
  }
}
