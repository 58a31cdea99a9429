// The one client double for executor tests (every workload's): it records each call in order and answers
// as the test says. Only for tests: a fake apiserver never stands in for integration tests.
import type { KubeClient } from '../client';
import type { KubeObject, ResourceType } from '../meta';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete' | 'request';

export interface RecordedCall {
  verb: Verb;
  /** The resource's kind ('Pod', 'CloneSet', …); '' for raw requests. */
  kind: string;
  /** The object's name (a raw request's path). */
  name: string;
  body?: unknown;
  /** The options the call carried (patch type, subresource, preconditions, …). */
  options?: Record<string, unknown>;
}

export interface RecordingOptions {
  /** An error to throw for this call, or undefined to let it succeed. */
  fail?: (call: RecordedCall) => Error | undefined;
  /** What the call returns; default: the sent object (or a bare one) at resourceVersion 7. */
  respond?: (call: RecordedCall) => unknown;
}

export interface RecordingClient {
  client: KubeClient;
  calls: RecordedCall[];
  /** The calls of one verb, as "Kind/name" (subresource appended: "Pod/a/status"). */
  summary(verb?: Verb): string[];
}

export function recordingClient(options: RecordingOptions = {}): RecordingClient {
  const calls: RecordedCall[] = [];
  const answer = async (call: RecordedCall) => {
    calls.push(call);
    await Promise.resolve();
    const error = options.fail?.(call);
    if (error) throw error;
    const given = options.respond?.(call);
    if (given !== undefined) return given;
    const sent = (call.body ?? {}) as KubeObject;
    return {
      ...sent,
      metadata: { ...sent.metadata, name: call.name, uid: `uid-${call.name}`, resourceVersion: '7' },
    };
  };
  const resource = (type: ResourceType) => {
    const call = (verb: Verb, name: string, body?: unknown, opts?: unknown) =>
      answer({ verb, kind: type.kind, name, body, options: opts as Record<string, unknown> | undefined });
    const nameOf = (obj: KubeObject) => obj.metadata?.name ?? '';
    return {
      get: (ref: { name: string }, opts?: unknown) => call('get', ref.name, undefined, opts),
      list: (opts?: unknown) => call('list', '', undefined, opts),
      create: (obj: KubeObject, opts?: unknown) => call('create', nameOf(obj), obj, opts),
      update: (obj: KubeObject, opts?: unknown) => call('update', nameOf(obj), obj, opts),
      updateStatus: (obj: KubeObject, opts?: unknown) => call('updateStatus', nameOf(obj), obj, opts),
      patch: (ref: { name: string }, body: unknown, opts?: unknown) => call('patch', ref.name, body, opts),
      delete: (ref: { name: string }, opts?: unknown) => call('delete', ref.name, undefined, opts),
    };
  };
  const request = (req: { path: string; method?: string; body?: unknown }) =>
    answer({ verb: 'request', kind: '', name: req.path, body: req.body });
  const client = { resource, request } as unknown as KubeClient;
  const summary = (verb?: Verb) =>
    calls
      .filter((c) => verb === undefined || c.verb === verb)
      .map((c) => [c.kind, c.name, c.options?.subresource].filter(Boolean).join('/'));
  return { client, calls, summary };
}
