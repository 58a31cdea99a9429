import { type CloneSet, ControllerRevisionHashLabel } from '../../apis';
import type { KubeClient } from '../../runtime/client';
import { ApiError } from '../../runtime/errors';
import type { EventRecorder } from '../../runtime/events';
import { Expectations } from '../../runtime/expectations';
import type { KubeObject, ResourceType } from '../../runtime/meta';
import { ResourceVersionExpectations, startInPlaceUpdate } from '../inplace';
import type { Action } from './actions';
import { execute, groupActions } from './execute';
import { cloneSet, NOW, pod, revisionOf } from './fixtures';
import type { Plan } from './plan';

interface Call {
  verb: string;
  kind: string;
  name: string;
  body?: unknown;
  options?: unknown;
}

type Respond = (verb: string, name: string, body?: unknown) => KubeObject | undefined;

/**
 * A client double: records every call; `fail(verb, name)` decides which calls throw, `respond` what
 * a call returns (default: a bare object at resourceVersion 7).
 */
function fakeClient(
  fail: (verb: string, name: string) => Error | undefined = () => undefined,
  respond: Respond = () => undefined,
) {
  const calls: Call[] = [];
  const resource = (type: ResourceType) => {
    const call = async (verb: string, name: string, body?: unknown, options?: unknown) => {
      calls.push({ verb, kind: type.kind, name, body, options });
      await Promise.resolve();
      const error = fail(verb, name);
      if (error) throw error;
      return respond(verb, name, body) ?? { metadata: { name, uid: `uid-${name}`, resourceVersion: '7' } };
    };
    return {
      create: (obj: KubeObject) => call('create', obj.metadata?.name ?? ''),
      get: (ref: { name: string }) => call('get', ref.name),
      delete: (ref: { name: string }, options: unknown) => call('delete', ref.name, undefined, options),
      patch: (ref: { name: string }, body: unknown, options: unknown) =>
        call('patch', ref.name, body, options),
      updateStatus: (obj: KubeObject) => call('updateStatus', obj.metadata?.name ?? '', obj),
    };
  };
  return { client: { resource } as unknown as KubeClient, calls };
}

const events = { event: async () => undefined } as unknown as EventRecorder;
const base = cloneSet();
const KEY = 'ns/web';

function setup(fail?: (verb: string, name: string) => Error | undefined, respond?: Respond) {
  const { client, calls } = fakeClient(fail, respond);
  const expectations = new Expectations();
  const deps = { client, events, expectations, rvExpectations: new ResourceVersionExpectations() };
  return { deps, calls, expectations };
}

const STATUS = {
  replicas: 0,
  readyReplicas: 0,
  availableReplicas: 0,
  updatedReplicas: 0,
  updatedReadyReplicas: 0,
};
const cs: CloneSet = {
  ...base,
  metadata: { ...base.metadata, namespace: 'ns', uid: 'cs-uid' },
  status: STATUS,
};
const rev = revisionOf(cs);
const planOf = (actions: Action[], status = STATUS): Plan => ({
  actions,
  events: [],
  status,
  phase: 'scale',
});
const createPod = (name: string): Action => ({ type: 'createPod', pod: pod(name, rev), revision: 'r1' });
const conflict = () => new ApiError(409, 'Conflict', 'the object has been modified');

describe('execute', () => {
  it('creates in slow-start batches, stops at the first failed batch and forgets creates never sent', async () => {
    const { deps, calls, expectations } = setup((verb, name) =>
      verb === 'create' && name === 'p2' ? new ApiError(500, 'InternalError', 'boom') : undefined,
    );
    const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    const result = await execute(cs, [], planOf(names.map(createPod)), deps, new AbortController().signal);
    // batch 1: p0; batch 2: p1, p2 (p2 fails); p3..p6 are never sent.
    expect(calls.filter((c) => c.verb === 'create').map((c) => c.name)).toEqual(['p0', 'p1', 'p2']);
    expect(result.requeue).toBe(false);
    expect((result.error as Error).message).toBe('boom');
    // Sent and created: still expected until the informer sees them.
    expect(expectations.pending(KEY).create.sort()).toEqual(['p0', 'p1']);
    const statusWrite = calls.find((c) => c.verb === 'updateStatus')?.body as CloneSet;
    expect(statusWrite.status?.conditions?.[0]).toMatchObject({ type: 'FailedScale', status: 'True' });
  });

  it('treats a 409 as a stale cache: requeue, no failure condition, later actions not applied', async () => {
    const { deps, calls } = setup((verb, name) =>
      verb === 'patch' && name === 'a' ? conflict() : undefined,
    );
    const actions: Action[] = [
      { type: 'setPodCondition', name: 'a', conditions: [], resourceVersion: '3' },
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'deleteRevision', name: 'old' },
    ];
    const result = await execute(cs, [], planOf(actions), deps, new AbortController().signal);
    expect(result).toEqual({ requeue: true, error: undefined });
    expect(calls.map((c) => `${c.verb} ${c.name}`)).toEqual(['patch a']);
  });

  it('deletes a pod with its uid as precondition, then its PVCs, with delete expectations', async () => {
    const { deps, calls, expectations } = setup();
    const victim = { ...pod('p0', rev), metadata: { ...pod('p0', rev).metadata, uid: 'uid-p0' } };
    const action: Action = { type: 'deletePod', name: 'p0', pvcs: ['data-web-x'], reason: 'scale in' };
    await execute(cs, [victim], planOf([action]), deps, new AbortController().signal);
    expect(calls.filter((c) => c.verb === 'delete').map((c) => [c.kind, c.name, c.options])).toEqual([
      ['Pod', 'p0', expect.objectContaining({ preconditions: { uid: 'uid-p0' } })],
      ['PersistentVolumeClaim', 'data-web-x', expect.anything()],
    ]);
    expect(expectations.pending(KEY).delete.sort()).toEqual(['data-web-x', 'p0']);
  });

  it('writes pod conditions through pods/status with the resourceVersion precondition', async () => {
    const { deps, calls } = setup();
    const conditions = [{ type: 'InPlaceUpdateReady', status: 'False' }];
    await execute(
      cs,
      [],
      planOf([{ type: 'setPodCondition', name: 'a', conditions, resourceVersion: '3' }]),
      deps,
      new AbortController().signal,
    );
    expect(calls[0]).toMatchObject({
      verb: 'patch',
      body: { status: { conditions }, metadata: { resourceVersion: '3' } },
      options: { type: 'strategic', subresource: 'status' },
    });
  });

  it('sends a lifecycle change due with the condition in the same pods/status write', async () => {
    const { deps, calls } = setup();
    const conditions = [{ type: 'InPlaceUpdateReady', status: 'True' }];
    const metadata = { labels: { 'lifecycle.apps.kruise.io/state': 'Normal' } };
    const action: Action = { type: 'setPodCondition', name: 'a', conditions, resourceVersion: '7', metadata };
    await execute(cs, [], planOf([action]), deps, new AbortController().signal);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      verb: 'patch',
      body: { status: { conditions }, metadata: { ...metadata, resourceVersion: '7' } },
      options: { type: 'strategic', subresource: 'status' },
    });
  });

  it('drains, then patches in place from the pod the drain returned, without waiting for the cache', async () => {
    const cached = pod('a', rev, { gate: true });
    const request = {
      revision: 'web-v2',
      diff: { images: { main: 'nginx:2' }, resources: {}, recreateReasons: [] },
      labels: { [ControllerRevisionHashLabel]: 'web-v2' },
    };
    const drain = startInPlaceUpdate(cached, request, { now: NOW });
    if (drain.type !== 'drain') throw new Error(`expected a drain step, got ${drain.type}`);
    // The apiserver answers the drain with the pod at resourceVersion 8, showing the drain conditions.
    const afterDrain = structuredClone(cached);
    afterDrain.metadata.resourceVersion = '8';
    afterDrain.status!.conditions = drain.conditions;
    const { deps, calls } = setup(undefined, (verb, _name, body) =>
      verb === 'patch' && (body as { status?: unknown }).status ? (afterDrain as KubeObject) : undefined,
    );
    const action: Action = { ...drain, type: 'drainAndUpdate', name: 'a', revision: 'web-v2' };
    const result = await execute(cs, [cached], planOf([action]), deps, new AbortController().signal);
    expect(result).toEqual({ requeue: false, error: undefined });
    expect(calls.map((c) => [c.verb, (c.options as { subresource?: string }).subresource])).toEqual([
      ['patch', 'status'],
      ['patch', undefined],
    ]);
    expect(calls[1]?.body).toMatchObject({
      metadata: { resourceVersion: '8', labels: { [ControllerRevisionHashLabel]: 'web-v2' } },
      spec: { containers: [{ name: 'main', image: 'nginx:2' }] },
    });
    // The cache is stale until it shows the patch (resourceVersion 7 from the double).
    expect(deps.rvExpectations.isSatisfied({ metadata: { uid: 'uid-a', resourceVersion: '6' } })).toBe(false);
  });

  it('stops after the drain when the pod changed meanwhile (409 on the patch): requeue', async () => {
    const cached = pod('a', rev, { gate: true });
    const request = {
      revision: 'web-v2',
      diff: { images: { main: 'nginx:2' }, resources: {}, recreateReasons: [] },
    };
    const drain = startInPlaceUpdate(cached, request, { now: NOW });
    if (drain.type !== 'drain') throw new Error(`expected a drain step, got ${drain.type}`);
    const afterDrain = structuredClone(cached);
    afterDrain.status!.conditions = drain.conditions;
    const { deps, calls } = setup(
      (_verb, _name) => (calls.length === 2 ? conflict() : undefined),
      () => afterDrain as KubeObject,
    );
    const action: Action = { ...drain, type: 'drainAndUpdate', name: 'a', revision: 'web-v2' };
    const result = await execute(cs, [cached], planOf([action]), deps, new AbortController().signal);
    expect(result).toEqual({ requeue: true, error: undefined });
    expect(calls).toHaveLength(2);
  });

  it('writes the status only when it changed', async () => {
    const { deps, calls } = setup();
    await execute(cs, [], planOf([]), deps, new AbortController().signal);
    expect(calls).toEqual([]);
  });
});

describe('groupActions', () => {
  it("runs each pod's writes in order, pods concurrently, and other actions alone", () => {
    const actions: Action[] = [
      { type: 'createRevision', revision: rev },
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'setPodCondition', name: 'b', conditions: [] },
      { type: 'patchPodMetadata', name: 'a', patch: { metadata: {} }, reason: 'x' },
      { type: 'deleteRevision', name: 'old' },
      { type: 'setPodCondition', name: 'a', conditions: [] },
    ];
    const shape = groupActions(actions).map((g) =>
      g.kind === 'pods'
        ? g.chains.map((chain) => chain.map((a) => `${a.type}:${(a as { name?: string }).name ?? ''}`))
        : g.kind,
    );
    expect(shape).toEqual([
      [['createRevision:']],
      [['setPodCondition:a', 'patchPodMetadata:a'], ['setPodCondition:b']],
      [['deleteRevision:old']],
      [['setPodCondition:a']],
    ]);
  });

  it("runs a pod's chain in order and stops it at its first failure, other pods going on", async () => {
    const { deps, calls } = setup((verb, name) =>
      verb === 'patch' && name === 'a' ? new ApiError(500, 'InternalError', 'boom') : undefined,
    );
    const actions: Action[] = [
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'patchPodMetadata', name: 'a', patch: { metadata: {} }, reason: 'x' },
      { type: 'setPodCondition', name: 'b', conditions: [] },
    ];
    const result = await execute(cs, [], planOf(actions), deps, new AbortController().signal);
    expect((result.error as Error).message).toBe('boom');
    expect(calls.filter((c) => c.verb === 'patch').map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('groups each pod with the PVCs planned before it', () => {
    const pvc = { type: 'createPVC', pvc: { metadata: { name: 'data-web-a' } } } as Action;
    const groups = groupActions([pvc, createPod('a'), createPod('b')]);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.kind === 'create' && groups[0].units.map((u) => u.length)).toEqual([2, 1]);
  });
});
