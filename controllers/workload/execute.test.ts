import { Registry } from 'prom-client';
import { ControllerRevisionHashLabel, type Pod } from '../../apis';
import { ApiError } from '../../runtime/errors';
import type { EventRecorder } from '../../runtime/events';
import { Expectations } from '../../runtime/expectations';
import type { KubeObject } from '../../runtime/meta';
import { ResourceVersionExpectations } from '../../runtime/resource-version';
import { type RecordedCall, recordingClient } from '../../runtime/testing/recording-client';
import { startInPlaceUpdate } from '../inplace';
import { type Action, type PlanEvent, RECREATE_FOR_UPDATE, type WorkloadPlan } from './actions';
import {
  CreateWindows,
  type ExecutorDeps,
  execute,
  groupActions,
  StatusPacer,
  stagesOf,
  type WorkloadKind,
} from './execute';
import { podUpdatesCounter } from './metrics';
import { NOW, pod } from './testing/pods';

// Any kind: the executor knows it only by its resource and its failure conditions.
const Widgets: WorkloadKind = {
  resource: { group: 'example.com', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true },
  failureCondition: (phase) => (phase === 'scale' ? 'FailedScale' : 'FailedUpdate'),
};
const STATUS = { replicas: 0 };
const owner = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'web', namespace: 'ns', uid: 'owner-uid' },
  status: STATUS,
};
const KEY = 'ns/web';
const rev = {
  metadata: { name: 'web-r1' },
  data: { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1' }] } } } },
  revision: 1,
};

function setup(
  fail?: (call: RecordedCall) => Error | undefined,
  respond?: (call: RecordedCall) => unknown,
  kind = Widgets,
) {
  const recording = recordingClient({ fail, respond });
  const recorded: PlanEvent[] = [];
  const subjects: KubeObject[] = [];
  const events = {
    event: async (obj: KubeObject, type: PlanEvent['type'], reason: string, message: string) => {
      recorded.push({ type, reason, message });
      subjects.push(obj);
    },
  } as unknown as EventRecorder;
  const expectations = new Expectations();
  const rvExpectations = new ResourceVersionExpectations();
  const deps = { client: recording.client, events, expectations, rvExpectations, kind };
  return { deps, ...recording, expectations, events: recorded, subjects };
}

/** A client whose creates are answered only when `releaseCreate` is called (the last one held). */
function withHeldCreates() {
  let release: (() => void) | undefined;
  const held = setup(undefined, (c) =>
    c.verb === 'create'
      ? new Promise((resolve) => {
          release = () => resolve({ ...(c.body as object) });
        })
      : undefined,
  );
  return { ...held, releaseCreate: () => release?.() };
}
const planOf = (actions: Action[], extra: Partial<WorkloadPlan> = {}): WorkloadPlan => ({
  actions,
  events: [],
  status: STATUS,
  phase: 'scale',
  ...extra,
});
/** Polls (on timers, so other timers run) until `test` holds. */
async function waitUntil(test: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
}
const run = (deps: ExecutorDeps, plan: WorkloadPlan) =>
  execute(owner, plan, deps, new AbortController().signal);
const createPod = (name: string): Action => ({ type: 'createPod', pod: pod(name, rev), revision: 'r1' });
const conflict = () => new ApiError(409, 'Conflict', 'the object has been modified');
const boom = () => new ApiError(500, 'InternalError', 'boom');
const failing = (verb: string, name: string) => (call: RecordedCall) =>
  call.verb === verb && call.name === name ? boom() : undefined;
/** The status as the last write left it. */
const statusWritten = (calls: RecordedCall[]) =>
  (
    [...calls].reverse().find((c) => c.verb === 'updateStatus')?.body as {
      status: { conditions?: unknown[] };
    }
  )?.status;

describe('execute: creates', () => {
  it('starts slow (each success lets two more go), stops sending at the first failure and forgets creates never sent', async () => {
    const { deps, calls, expectations } = setup(failing('create', 'p3'));
    const { rvExpectations } = deps;
    const names = Array.from({ length: 15 }, (_, i) => `p${i}`);
    const result = await run(deps, planOf(names.map(createPod)));
    // p0; its success sends p1 p2; p1's sends p3 p4; p2's sends p5 p6; p3 fails: p7.. never go.
    expect(calls.filter((c) => c.verb === 'create').map((c) => c.name)).toEqual(names.slice(0, 7));
    expect(result.requeue).toBe(false);
    expect((result.error as Error).message).toBe('boom');
    // Created: no longer awaited, plans read them from the answers until the informer shows them.
    expect(expectations.pending(KEY).create).toEqual([]);
    const answered = rvExpectations
      .unseen<KubeObject>(new Set(), (o) => o.kind === 'Pod')
      .map((p) => p.metadata?.name);
    expect(answered.sort()).toEqual(['p0', 'p1', 'p2', 'p4', 'p5', 'p6']);
    expect(statusWritten(calls)?.conditions?.[0]).toMatchObject({ type: 'FailedScale', status: 'True' });
  });

  it('does not hold the next creates back behind a slow one, and keeps at most 32 in flight', async () => {
    const held = new Map<string, () => void>();
    let inFlight = 0;
    let peak = 0;
    const { deps, calls } = setup(undefined, (call) => {
      if (call.verb !== 'create') return undefined;
      inFlight++;
      peak = Math.max(peak, inFlight);
      const answer = { ...(call.body as object), metadata: { name: call.name, resourceVersion: '7' } };
      return new Promise((resolve) => {
        const release = () => {
          inFlight--;
          resolve(answer);
        };
        // p1 answers only when the test says; the others a moment later.
        if (call.name === 'p1') held.set('p1', release);
        else setTimeout(release, 1);
      });
    });
    const names = Array.from({ length: 100 }, (_, i) => `p${i}`);
    const done = run(deps, planOf(names.map(createPod)));
    const sent = () => calls.filter((c) => c.verb === 'create').length;
    await waitUntil(() => sent() === 100 && inFlight === 1);
    // In lock-step batches p3 would wait for p1; here every other create went out while p1 hangs.
    expect(sent()).toBe(100);
    expect(peak).toBe(32);
    held.get('p1')?.();
    expect(await done).toEqual({ requeue: false, error: undefined });
  });

  it('writes the status while the actions run, and after them when an action writes the owner', async () => {
    const { deps, calls, releaseCreate } = withHeldCreates();
    const done = run(deps, planOf([createPod('p0')], { status: { replicas: 1 } }));
    await waitUntil(() => calls.some((c) => c.verb === 'updateStatus'));
    // The create has not been answered yet (the owner has no resourceVersion: the status write reads it).
    expect(calls.map((c) => c.verb)).toEqual(['get', 'create', 'updateStatus']);
    releaseCreate();
    await done;
    const ownerPatch: Action = {
      type: 'patchOwner',
      patch: { metadata: { labels: { a: 'b' } } },
      reason: 'r',
    };
    const sequential = setup();
    await run(sequential.deps, planOf([ownerPatch], { status: { replicas: 2 } }));
    expect(sequential.calls.map((c) => c.verb)).toEqual(['patch', 'get', 'updateStatus']);
  });

  it("starts an owner's next create group where its last one of the same revision left the window", async () => {
    const { deps, calls } = setup();
    const windows = new CreateWindows();
    const withWindows = { ...deps, createWindows: windows };
    const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => `p${from + i}`);
    await run(withWindows, planOf(names(0, 7).map(createPod)));
    // p0 (1 allowed), p1 p2 (2 more), p3..p6 (4 more): 7 successes, 8 allowed.
    expect(windows.start(KEY, 'r1')).toBe(8);
    expect(windows.start(KEY, 'r2')).toBe(1);
    expect(windows.start('ns/other', 'r1')).toBe(1);
    // The next group sends 8 before the first answer comes back.
    let sentAtFirstAnswer = 0;
    const next = setup(undefined, (call) => {
      if (call.verb !== 'create') return undefined;
      return new Promise((resolve) =>
        setTimeout(() => {
          sentAtFirstAnswer ||= next.calls.filter((c) => c.verb === 'create').length;
          resolve({ ...(call.body as object), metadata: { name: call.name, resourceVersion: '7' } });
        }, 1),
      );
    });
    await run({ ...next.deps, createWindows: windows }, planOf(names(7, 20).map(createPod)));
    expect(sentAtFirstAnswer).toBe(8);
    expect(calls.filter((c) => c.verb === 'create')).toHaveLength(7);
    // A failure sends the owner back to 1.
    const failingSetup = setup(failing('create', 'p40'));
    await run({ ...failingSetup.deps, createWindows: windows }, planOf(names(40, 3).map(createPod)));
    expect(windows.start(KEY, 'r1')).toBe(1);
  });

  it('creates a pod exactly as planned (its own name: an ordinal, a node) after the PVCs listed before it', async () => {
    const { deps, calls } = setup();
    const ordinal = pod('web-0', rev);
    const pvc = {
      apiVersion: 'v1' as const,
      kind: 'PersistentVolumeClaim' as const,
      metadata: { name: 'data-web-0', labels: {}, ownerReferences: [] },
    };
    await run(
      deps,
      planOf([
        { type: 'createPVC', pvc },
        { type: 'createPod', pod: ordinal, revision: 'r1' },
      ]),
    );
    expect(calls.map((c) => `${c.verb} ${c.kind}/${c.name}`)).toEqual([
      'create PersistentVolumeClaim/data-web-0',
      'create Pod/web-0',
    ]);
    expect(calls[1]?.body).toBe(ordinal);
  });

  it('expects the creates of claims it controls only: a claim without its reference is never observed', async () => {
    const { deps, expectations } = setup();
    const claim = (name: string, ownerReferences: { uid: string; controller?: boolean }[]) =>
      ({
        type: 'createPVC',
        pvc: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, labels: {}, ownerReferences },
        },
      }) as Action;
    await run(
      deps,
      planOf([
        claim('owned', [{ uid: 'owner-uid', controller: true }]),
        claim('retained', []),
        claim('other', [{ uid: 'owner-uid' }]),
        createPod('p0'),
      ]),
    );
    // The pod is read from its create's answer; the claim is awaited in the cache.
    expect(expectations.pending(KEY).create.sort()).toEqual(['owned']);
  });
});

describe('execute: revisions outside the owner’s namespace', () => {
  it('renumbers, relabels and deletes revisions in the namespace the action names', async () => {
    const { deps, calls } = setup();
    const actions: Action[] = [
      { type: 'updateRevisionNumber', name: 'r1', revision: 3, namespace: 'operator' },
      { type: 'labelRevision', name: 'r1', labels: { v: 'stable' }, namespace: 'operator' },
      { type: 'deleteRevision', name: 'r0', namespace: 'operator' },
    ];
    await run(deps, planOf(actions));
    expect(calls.slice(0, 3).map((c) => [c.verb, c.kind, c.namespace, c.name, c.body])).toEqual([
      ['patch', 'ControllerRevision', 'operator', 'r1', { revision: 3 }],
      ['patch', 'ControllerRevision', 'operator', 'r1', { metadata: { labels: { v: 'stable' } } }],
      ['delete', 'ControllerRevision', 'operator', 'r0', undefined],
    ]);
  });
});

describe('execute: failures and the status', () => {
  it('treats a 409 as a stale cache: requeue, no failure condition, later actions not applied', async () => {
    const { deps, calls } = setup((call) =>
      call.verb === 'patch' && call.name === 'a' ? conflict() : undefined,
    );
    const actions: Action[] = [
      { type: 'setPodCondition', name: 'a', conditions: [], resourceVersion: '3' },
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'deleteRevision', name: 'old' },
    ];
    const result = await run(deps, planOf(actions));
    expect(result).toEqual({ requeue: true, error: undefined });
    expect(calls.map((c) => `${c.verb} ${c.name}`)).toEqual(['patch a']);
  });

  it("sets a plan's own failure as the phase's condition, once, and writes the status to the kind's resource", async () => {
    const { deps, calls } = setup();
    await run(deps, planOf([], { phase: 'update', failure: 'pod a cannot be updated in place' }));
    expect(calls.map((c) => `${c.verb} ${c.kind}/${c.name}`)).toEqual([
      'get Widget/web',
      'updateStatus Widget/web',
    ]);
    expect(statusWritten(calls)?.conditions).toEqual([
      expect.objectContaining({
        type: 'FailedUpdate',
        status: 'True',
        message: 'pod a cannot be updated in place',
      }),
    ]);
  });

  it('a failed write outranks the plan failure, and a kind without failure conditions only reports', async () => {
    const withCondition = setup(failing('delete', 'p0'));
    const del: Action = { type: 'deletePod', name: 'p0', pvcs: [], reason: 'scale in' };
    await run(withCondition.deps, planOf([del], { failure: 'other' }));
    expect(statusWritten(withCondition.calls)?.conditions).toEqual([
      expect.objectContaining({ type: 'FailedScale', message: 'boom' }),
    ]);
    const plain = setup(failing('delete', 'p0'), undefined, { resource: Widgets.resource });
    const result = await run(plain.deps, planOf([del]));
    expect((result.error as Error).message).toBe('boom');
    expect(plain.calls.some((c) => c.verb === 'updateStatus')).toBe(false);
    expect(plain.events).toContainEqual(expect.objectContaining({ reason: 'FailedDelete', type: 'Warning' }));
  });

  it('expects the written status in the cache before the next plan', async () => {
    const written = (call: RecordedCall) =>
      call.verb === 'updateStatus'
        ? { ...(call.body as object), metadata: { ...owner.metadata, resourceVersion: '42' } }
        : undefined;
    const { deps } = setup(undefined, written);
    await run(deps, planOf([], { status: { replicas: 1 } }));
    const cached = (resourceVersion: string) => ({ metadata: { ...owner.metadata, resourceVersion } });
    deps.rvExpectations.observe(cached('41'));
    expect(deps.rvExpectations.isSatisfied(cached('41'))).toBe(false);
    deps.rvExpectations.observe(cached('42'));
    expect(deps.rvExpectations.isSatisfied(cached('42'))).toBe(true);
  });

  it("writes the status at the cached owner's resourceVersion, and reads the latest only on a conflict", async () => {
    const cached = { ...owner, metadata: { ...owner.metadata, resourceVersion: '5' } };
    const once = setup();
    await execute(cached, planOf([], { status: { replicas: 1 } }), once.deps, new AbortController().signal);
    expect(once.calls.map((c) => `${c.verb} ${c.kind}/${c.name}`)).toEqual(['updateStatus Widget/web']);
    expect(once.calls[0]?.body).toMatchObject({
      metadata: { resourceVersion: '5' },
      status: { replicas: 1 },
    });

    let conflicts = 1;
    const stale = setup(
      (call) => (call.verb === 'updateStatus' && conflicts-- > 0 ? conflict() : undefined),
      (call) =>
        call.verb === 'get' ? { ...owner, metadata: { ...owner.metadata, resourceVersion: '6' } } : undefined,
    );
    await execute(cached, planOf([], { status: { replicas: 1 } }), stale.deps, new AbortController().signal);
    expect(stale.calls.map((c) => c.verb)).toEqual(['updateStatus', 'get', 'updateStatus']);
    expect(stale.calls[2]?.body).toMatchObject({
      metadata: { resourceVersion: '6' },
      status: { replicas: 1 },
    });
  });

  it('writes the status only when it changed', async () => {
    const { deps, calls } = setup();
    await run(deps, planOf([]));
    expect(calls).toEqual([]);
  });

  it("records the plan's Events and one per pod result", async () => {
    const { deps, events } = setup();
    const planned: PlanEvent = { type: 'Normal', reason: 'ScaleUp', message: 'scale up by 1' };
    const recreate: Action = {
      type: 'patchPodMetadata',
      name: 'a',
      patch: { metadata: { labels: { x: 'y' } } },
      reason: 'recreate update',
      report: { reason: 'UpdatePodReCreate', what: 'patch pod a specified-delete for update' },
    };
    const bookkeeping: Action = { type: 'patchPodMetadata', name: 'b', patch: { metadata: {} }, reason: 'x' };
    await run(deps, planOf([createPod('p0'), recreate, bookkeeping], { events: [planned] }));
    expect(events).toEqual([
      { type: 'Normal', reason: 'SuccessfulCreate', message: 'succeed to create pod p0' },
      {
        type: 'Normal',
        reason: 'SuccessfulUpdatePodReCreate',
        message: 'successfully patch pod a specified-delete for update',
      },
      planned,
    ]);
  });

  it('counts the pod updates it started, by method, and not the failed ones', async () => {
    const { deps } = setup(failing('delete', 'c'));
    const registry = new Registry();
    const podUpdates = podUpdatesCounter(registry);
    const mark: Action = {
      type: 'patchPodMetadata',
      name: 'a',
      patch: { metadata: { labels: { x: 'y' } } },
      reason: RECREATE_FOR_UPDATE,
    };
    const del = (name: string, reason: string): Action => ({ type: 'deletePod', name, pvcs: [], reason });
    const plan = planOf([
      mark,
      del('b', RECREATE_FOR_UPDATE),
      del('c', RECREATE_FOR_UPDATE),
      del('d', 'scale in'),
    ]);
    await execute(owner, plan, { ...deps, podUpdates }, new AbortController().signal);
    const values = (await podUpdates.get()).values;
    expect(values).toEqual([{ labels: { kind: Widgets.resource.kind, method: 'recreate' }, value: 2 }]);
  });

  it("records a kind's own per-pod Events when the kind words them", async () => {
    const worded: WorkloadKind = {
      ...Widgets,
      resultEvent: (action, o, error) =>
        action.type === 'createPod'
          ? {
              type: 'Normal',
              reason: 'Made',
              message: `${o.metadata?.name} made ${action.pod.metadata.name}`,
            }
          : error === undefined
            ? undefined
            : { type: 'Warning', reason: 'Broke', message: String(error) },
    };
    const { deps, events } = setup(
      (c) => (c.verb === 'delete' ? new Error('gone wrong') : undefined),
      undefined,
      worded,
    );
    const del: Action = { type: 'deletePod', name: 'a', uid: 'u', pvcs: [], reason: 'x' };
    await run(deps, planOf([createPod('p0'), del]));
    expect(events).toEqual([
      { type: 'Normal', reason: 'Made', message: 'web made p0' },
      { type: 'Warning', reason: 'Broke', message: 'Error: gone wrong' },
    ]);
  });

  it('records an Event on the object it names, and on the owner otherwise', async () => {
    const pod0 = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p0', namespace: 'ns', uid: 'u0' } };
    const aboutPod: WorkloadKind = {
      ...Widgets,
      resultEvent: (action) =>
        action.type === 'createPod'
          ? { type: 'Normal', reason: 'Made', message: 'made', regarding: pod0 }
          : { type: 'Normal', reason: 'Gone', message: 'gone' },
    };
    const { deps, subjects } = setup(undefined, undefined, aboutPod);
    const del: Action = { type: 'deletePod', name: 'a', uid: 'u', pvcs: [], reason: 'x' };
    await run(deps, planOf([createPod('p0'), del]));
    expect(subjects).toEqual([pod0, owner]);
  });
});

describe('execute: pods and the owner', () => {
  it('deletes a pod with its uid as precondition, then its PVCs, with delete expectations', async () => {
    const { deps, calls, expectations } = setup();
    const action: Action = {
      type: 'deletePod',
      name: 'p0',
      uid: 'uid-p0',
      pvcs: ['data-web-x'],
      reason: 'scale in',
    };
    await run(deps, planOf([action]));
    expect(calls.filter((c) => c.verb === 'delete').map((c) => [c.kind, c.name, c.options])).toEqual([
      ['Pod', 'p0', expect.objectContaining({ preconditions: { uid: 'uid-p0' } })],
      ['PersistentVolumeClaim', 'data-web-x', expect.anything()],
    ]);
    // Answered without a deletionTimestamp (removed at once): awaited in the cache.
    expect(expectations.pending(KEY).delete.sort()).toEqual(['data-web-x', 'p0']);
  });

  it('reads a terminating pod from its delete answer instead of waiting for the cache to show it', async () => {
    const terminating = {
      metadata: {
        name: 'p0',
        uid: 'uid-p0',
        resourceVersion: '9',
        deletionTimestamp: '2026-12-05T00:00:00Z',
      },
    };
    const { deps, expectations } = setup(undefined, (c) => (c.verb === 'delete' ? terminating : undefined));
    const del: Action = { type: 'deletePod', name: 'p0', uid: 'uid-p0', pvcs: [], reason: 'update' };
    await run(deps, planOf([del]));
    expect(expectations.pending(KEY).delete).toEqual([]);
    const cached = { metadata: { name: 'p0', uid: 'uid-p0', resourceVersion: '8' } };
    expect(deps.rvExpectations.latest(cached)).toBe(terminating);
  });

  it('releases a pod by deleting only our owner reference, guarded by its uid', async () => {
    const { deps, calls } = setup();
    await run(deps, planOf([{ type: 'releasePod', name: 'a', uid: 'uid-a' }]));
    expect(calls).toEqual([
      expect.objectContaining({
        verb: 'patch',
        kind: 'Pod',
        name: 'a',
        body: { metadata: { uid: 'uid-a', ownerReferences: [{ $patch: 'delete', uid: 'owner-uid' }] } },
        options: expect.objectContaining({ type: 'strategic' }),
      }),
    ]);
  });

  it('writes to pods in other namespaces when an action names one (a cluster-scoped owner)', async () => {
    const { deps, calls } = setup();
    const conditions = [{ type: 'SidecarReady', status: 'True' }];
    await run(
      deps,
      planOf([
        { type: 'setPodCondition', name: 'a', namespace: 'team-a', conditions },
        { type: 'setPodCondition', name: 'a', namespace: 'team-b', conditions },
      ]),
    );
    expect(calls.map((c) => `${c.verb} ${c.namespace}/${c.name}`).sort()).toEqual([
      'patch team-a/a',
      'patch team-b/a',
    ]);
    expect(
      groupActions([
        { type: 'setPodCondition', name: 'a', namespace: 'team-a', conditions },
        { type: 'setPodCondition', name: 'a', namespace: 'team-b', conditions },
      ]).map((g) => g.kind === 'pods' && g.chains.length),
    ).toEqual([2]);
  });

  it("changes a PVC's owner references by uid, leaving other owners alone", async () => {
    const { deps, calls } = setup();
    const add = [{ apiVersion: 'v1', kind: 'Pod', name: 'db-1', uid: 'pod-uid', controller: true }];
    await run(
      deps,
      planOf([{ type: 'updatePVCOwners', name: 'data-db-1', remove: ['set-uid'], add, reason: 'scaled' }]),
    );
    expect(calls).toEqual([
      expect.objectContaining({
        verb: 'patch',
        kind: 'PersistentVolumeClaim',
        name: 'data-db-1',
        body: { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'set-uid' }, ...add] } },
        options: expect.objectContaining({ type: 'strategic' }),
      }),
    ]);
  });

  it("merge-patches the owner through the kind's resource", async () => {
    const { deps, calls } = setup();
    const patch = { spec: { scaleStrategy: { podsToDelete: [] } } };
    await run(deps, planOf([{ type: 'patchOwner', patch, reason: 'forget' }]));
    expect(calls).toEqual([
      expect.objectContaining({ verb: 'patch', kind: 'Widget', name: 'web', body: patch }),
    ]);
  });

  it('deletes the owner it planned on only (uid precondition), leaving its objects to the collector', async () => {
    const { deps, calls } = setup((call) =>
      call.verb === 'get' ? new ApiError(404, 'NotFound', 'gone') : undefined,
    );
    const result = await run(deps, planOf([{ type: 'deleteOwner', reason: 'TTL expired' }], { status: {} }));
    expect(calls[0]).toMatchObject({
      verb: 'delete',
      kind: 'Widget',
      name: 'web',
      namespace: 'ns',
      options: { preconditions: { uid: 'owner-uid' }, propagationPolicy: 'Background' },
    });
    // The status write finds the owner gone: nothing to retry.
    expect(result).toEqual({ requeue: false, error: undefined });
  });

  it('writes pod conditions through pods/status with the resourceVersion precondition', async () => {
    const { deps, calls } = setup();
    const conditions = [{ type: 'InPlaceUpdateReady', status: 'False' }];
    await run(deps, planOf([{ type: 'setPodCondition', name: 'a', conditions, resourceVersion: '3' }]));
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
    await run(deps, planOf([action]));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      verb: 'patch',
      body: { status: { conditions }, metadata: { ...metadata, resourceVersion: '7' } },
      options: { type: 'strategic', subresource: 'status' },
    });
  });

  const request = {
    revision: 'web-v2',
    diff: { images: { main: 'nginx:2' }, resources: {}, restartContainers: [], recreateReasons: [] },
    labels: { [ControllerRevisionHashLabel]: 'web-v2' },
  };

  it('drains, then patches in place from the pod the drain returned, without waiting for the cache', async () => {
    const cached = pod('a', rev, { gate: true });
    const drain = startInPlaceUpdate(cached, request, { now: NOW });
    if (drain.type !== 'drain') throw new Error(`expected a drain step, got ${drain.type}`);
    // The apiserver answers the drain with the pod at resourceVersion 8, showing the drain conditions.
    const afterDrain: Pod = structuredClone(cached);
    afterDrain.metadata.resourceVersion = '8';
    afterDrain.status!.conditions = drain.conditions;
    const { deps, calls } = setup(undefined, (call) =>
      call.options?.subresource === 'status' ? afterDrain : undefined,
    );
    const action: Action = { ...drain, type: 'drainAndUpdate', name: 'a', revision: 'web-v2' };
    const result = await run(deps, planOf([action]));
    expect(result).toEqual({ requeue: false, error: undefined });
    expect(calls.map((c) => [c.verb, c.options?.subresource])).toEqual([
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
    const drain = startInPlaceUpdate(cached, request, { now: NOW });
    if (drain.type !== 'drain') throw new Error(`expected a drain step, got ${drain.type}`);
    const afterDrain = structuredClone(cached);
    afterDrain.status!.conditions = drain.conditions;
    const { deps, calls } = setup(
      () => (calls.length === 2 ? conflict() : undefined),
      () => afterDrain,
    );
    const action: Action = { ...drain, type: 'drainAndUpdate', name: 'a', revision: 'web-v2' };
    const result = await run(deps, planOf([action]));
    expect(result).toEqual({ requeue: true, error: undefined });
    expect(calls).toHaveLength(2);
  });

  it('resizes through pods/resize first, then patches conditionally on the resize answer', async () => {
    const { deps, calls } = setup(undefined, (call) =>
      call.options?.subresource === 'resize' ? { metadata: { resourceVersion: '9' } } : undefined,
    );
    const resizePatch = { spec: { containers: [{ name: 'main', resources: { requests: { cpu: '2' } } }] } };
    const action: Action = {
      type: 'inPlaceUpdate',
      name: 'a',
      revision: 'web-v2',
      patch: { metadata: { resourceVersion: '5' } },
      resizePatch,
    };
    await run(deps, planOf([action]));
    expect(
      calls.map((c) => [c.options?.subresource, (c.body as KubeObject).metadata?.resourceVersion]),
    ).toEqual([
      ['resize', '5'],
      [undefined, '9'],
    ]);
  });
});

describe('groupActions', () => {
  it("runs each pod's writes in order, pods concurrently, and other actions alone", () => {
    const actions: Action[] = [
      { type: 'createRevision', revision: rev },
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'setPodCondition', name: 'b', conditions: [] },
      { type: 'patchPodMetadata', name: 'a', patch: { metadata: {} }, reason: 'x' },
      { type: 'releasePod', name: 'c', uid: 'uid-c' },
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
      [['setPodCondition:a', 'patchPodMetadata:a'], ['setPodCondition:b'], ['releasePod:c']],
      [['deleteRevision:old']],
      [['setPodCondition:a']],
    ]);
  });

  it("runs a pod's chain in order and stops it at its first failure, other pods going on", async () => {
    const { deps, calls } = setup(failing('patch', 'a'));
    const actions: Action[] = [
      { type: 'setPodCondition', name: 'a', conditions: [] },
      { type: 'patchPodMetadata', name: 'a', patch: { metadata: {} }, reason: 'x' },
      { type: 'setPodCondition', name: 'b', conditions: [] },
    ];
    const result = await run(deps, planOf(actions));
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

describe('stagesOf', () => {
  const del = (name: string, pvcs: string[] = []): Action => ({ type: 'deletePod', name, pvcs, reason: 'x' });
  const shape = (actions: Action[]) =>
    stagesOf(groupActions(actions)).map((stage) =>
      stage.map((g) =>
        g.kind === 'create'
          ? `create ${g.units.map((u) => u.map((a) => (a.type === 'createPod' ? a.pod.metadata.name : a.pvc.metadata.name)).join('+')).join(',')}`
          : `pods ${g.chains.map((c) => (c[0] as { name?: string; type: string }).name ?? c[0]?.type).join(',')}`,
      ),
    );

  it('runs creates and pod writes that share no pod or claim together, other actions alone', () => {
    expect(
      shape([
        { type: 'createRevision', revision: rev },
        { type: 'setPodCondition', name: 'a', conditions: [] },
        createPod('b'),
        del('c'),
        { type: 'deleteRevision', name: 'old' },
      ]),
    ).toEqual([['pods createRevision'], ['pods a', 'create b', 'pods c'], ['pods old']]);
  });

  it('keeps a write after a create of the same pod, or of a claim a delete removes, in a later stage', () => {
    expect(shape([createPod('a'), del('a')])).toEqual([['create a'], ['pods a']]);
    const claim = { type: 'createPVC', pvc: { metadata: { name: 'data-b' } } } as Action;
    expect(shape([del('a', ['data-b']), claim, createPod('b')])).toEqual([['pods a'], ['create data-b+b']]);
  });
});

describe('execute: stages', () => {
  it("sends a pod's delete while another pod's create is unanswered", async () => {
    const { deps, calls, releaseCreate } = withHeldCreates();
    const del: Action = { type: 'deletePod', name: 'p1', pvcs: [], reason: 'update' };
    const done = run(deps, planOf([createPod('p0'), del], { phase: 'update' }));
    await waitUntil(() => calls.some((c) => c.verb === 'delete'));
    expect(
      calls.filter((c) => c.verb !== 'get' && c.verb !== 'updateStatus').map((c) => `${c.verb} ${c.name}`),
    ).toEqual(['create p0', 'delete p1']);
    releaseCreate();
    expect(await done).toEqual({ requeue: false, error: undefined });
  });

  it('lets the rest of a stage finish after a failure, and stops before the next stage', async () => {
    const { deps, calls } = setup(failing('create', 'p0'));
    const del: Action = { type: 'deletePod', name: 'p1', pvcs: [], reason: 'update' };
    const result = await run(deps, planOf([createPod('p0'), del, { type: 'deleteRevision', name: 'old' }]));
    expect((result.error as Error).message).toBe('boom');
    expect(calls.filter((c) => c.verb === 'create' || c.verb === 'delete').map((c) => c.name)).toEqual([
      'p0',
      'p1',
    ]);
  });
});

describe('execute: a status pacer', () => {
  // Widgets whose `ready` count is progress; anything else is news.
  const Paced: WorkloadKind = {
    ...Widgets,
    progressOnly: (before, after) =>
      JSON.stringify({ ...(before as object), ready: 0 }) ===
      JSON.stringify({ ...(after as object), ready: 0 }),
  };
  const pacedOwner = { ...owner, status: { replicas: 3, ready: 1 } };
  const paced = (deps: ExecutorDeps, status: unknown, extra: Partial<WorkloadPlan> = {}) =>
    execute(pacedOwner, planOf([], { status, ...extra }), deps, new AbortController().signal);

  it('holds a progress-only change written within the interval back, and says when it is due', async () => {
    let now = 10_000;
    const { deps, calls } = setup(undefined, undefined, Paced);
    const pacer = new StatusPacer(1000, () => now);
    const withPacer = { ...deps, statusPacer: pacer };
    const writes = () => calls.filter((c) => c.verb === 'updateStatus').length;
    // Never written before: at once.
    expect((await paced(withPacer, { replicas: 3, ready: 2 })).statusDueInMs ?? 0).toBe(0);
    expect(writes()).toBe(1);
    now += 300;
    expect(await paced(withPacer, { replicas: 3, ready: 3 })).toMatchObject({ statusDueInMs: 700 });
    expect(writes()).toBe(1);
    // News (not a counter) goes out at once, and so does a failure.
    await paced(withPacer, { replicas: 4, ready: 3 });
    expect(writes()).toBe(2);
    now += 100;
    await paced(withPacer, { replicas: 3, ready: 3 }, { failure: 'cannot resolve the ordinals' });
    expect(writes()).toBe(3);
    // Once the interval has passed, the held change is written.
    now += 1000;
    expect((await paced(withPacer, { replicas: 3, ready: 3 })).statusDueInMs ?? 0).toBe(0);
    expect(writes()).toBe(4);
    expect(statusWritten(calls)).toEqual({ replicas: 3, ready: 3 });
    // A forgotten owner starts afresh.
    now += 10;
    pacer.forget(KEY);
    expect(pacer.delayMs(KEY)).toBe(0);
  });

  it('writes every change at once without a pacer, or for a kind with no progress counters', async () => {
    for (const [kind, statusPacer] of [
      [Paced, undefined],
      [Widgets, new StatusPacer(1000, () => 0)],
    ] as const) {
      const { deps, calls } = setup(undefined, undefined, kind);
      const withPacer = { ...deps, statusPacer };
      await paced(withPacer, { replicas: 3, ready: 2 });
      await paced(withPacer, { replicas: 3, ready: 3 });
      expect(calls.filter((c) => c.verb === 'updateStatus').length).toBe(2);
    }
  });
});
