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
  namespace?: string;
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
  type Ref = { name: string; namespace?: string };
  const resource = (type: ResourceType) => {
    const call = (verb: Verb, ref: Ref, body?: unknown, opts?: unknown) =>
      answer({
        verb,
        kind: type.kind,
        name: ref.name,
        namespace: ref.namespace,
        body,
        options: opts as Record<string, unknown> | undefined,
      });
    const refOf = (obj: KubeObject): Ref => ({
      name: obj.metadata?.name ?? '',
      namespace: obj.metadata?.namespace,
    });
    return {
      get: (ref: Ref, opts?: unknown) => call('get', ref, undefined, opts),
      list: (opts?: { namespace?: string }) =>
        call('list', { name: '', namespace: opts?.namespace }, undefined, opts),
      create: (obj: KubeObject, opts?: unknown) => call('create', refOf(obj), obj, opts),
      update: (obj: KubeObject, opts?: unknown) => call('update', refOf(obj), obj, opts),
      updateStatus: (obj: KubeObject, opts?: unknown) => call('updateStatus', refOf(obj), obj, opts),
      patch: (ref: Ref, body: unknown, opts?: unknown) => call('patch', ref, body, opts),
      delete: (ref: Ref, opts?: unknown) => call('delete', ref, undefined, opts),
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
