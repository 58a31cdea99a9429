import type { ControllerRevision, Pod } from '../../apis';
import {
  CloneSetInstanceIdLabel,
  InPlaceUpdateReadyCondition,
  InPlaceUpdateStateAnnotation,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  SpecifiedDeleteLabel,
} from '../../apis';
import { type Action, resultEvent } from '../workload';
import { type PlanInput, plan } from './plan';
import { cloneSet, idSource, NOW, pod, revisionOf, withImage } from './testing/fixtures';

const v1 = cloneSet({}, 'nginx:1');
const r1 = revisionOf(v1);
const current = (cs: typeof v1) => ({
  ...cs,
  status: {
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    updatedReplicas: 0,
    updatedReadyReplicas: 0,
    currentRevision: r1.metadata.name,
  },
});
const pods = (rev: ControllerRevision, n: number, o = {}) =>
  Array.from({ length: n }, (_, i) =>
    pod(`web-p${i}`, rev, { node: `node-${i}`, createdMinutesAgo: 60 - i, ...o }),
  );

function run(input: Partial<PlanInput> & { cloneSet: PlanInput['cloneSet'] }) {
  return plan({ pods: [], revisions: [r1], pvcs: [], now: NOW, newInstanceId: idSource(), ...input });
}
const ofType = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
const summary = (actions: Action[]) =>
  actions.map((a) =>
    'name' in a
      ? `${a.type}:${a.name}`
      : a.type === 'createPod'
        ? `createPod:${a.pod.metadata.name}`
        : a.type,
  );

describe('plan: scaling', () => {
  it('scales 0 → 4: names, labels, owner and revision of the new pods', () => {
    const p = run({ cloneSet: v1, revisions: [] });
    const created = ofType(p.actions, 'createPod');
    expect(p.phase).toBe('scale');
    expect(created.map((a) => a.pod.metadata.name)).toEqual(['web-n0', 'web-n1', 'web-n2', 'web-n3']);
    const first = created[0]!.pod;
    expect(first.metadata.labels).toMatchObject({
      app: 'web',
      'controller-revision-hash': r1.metadata.name,
      'pod-template-hash': r1.metadata.name!.split('-')[1],
      [CloneSetInstanceIdLabel]: 'n0',
      [LifecycleStateLabel]: 'PreparingNormal',
    });
    expect(first.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CloneSet',
      uid: 'cs-uid',
      controller: true,
    });
    expect(ofType(p.actions, 'createRevision')).toHaveLength(1);
    expect(p.events).toEqual([{ type: 'Normal', reason: 'ScaleUp', message: 'scale up by 4 pods' }]);
  });

  it('puts the InPlaceUpdateReady and KruisePodReady gates on every pod, whatever the strategy (as Kruise)', () => {
    const gates = (type: 'ReCreate' | 'InPlaceIfPossible') => {
      const p = run({ cloneSet: cloneSet({ replicas: 1, updateStrategy: { type } }), revisions: [] });
      return ofType(p.actions, 'createPod')[0]!.pod.spec.readinessGates;
    };
    const both = [{ conditionType: InPlaceUpdateReadyCondition }, { conditionType: KruisePodReadyCondition }];
    expect(gates('ReCreate')).toEqual(both);
    expect(gates('InPlaceIfPossible')).toEqual(both);
  });

  it('creates one PVC per claim template before the pod, and reuses a free instance id and its PVC', () => {
    const cs = cloneSet({
      replicas: 2,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
    });
    const r = revisionOf(cs);
    const orphan = { metadata: { name: 'data-web-old01', labels: { [CloneSetInstanceIdLabel]: 'old01' } } };
    const p = run({ cloneSet: cs, revisions: [r], pods: [pod('web-p0', r)], pvcs: [orphan] });
    expect(summary(p.actions)).toEqual(['createPod:web-old01']);
    const fresh = run({ cloneSet: cs, revisions: [r], pods: [pod('web-p0', r)] });
    expect(summary(fresh.actions)).toEqual(['createPVC', 'createPod:web-n0']);
    const pvc = ofType(fresh.actions, 'createPVC')[0]!.pvc;
    expect(pvc.metadata).toMatchObject({
      name: 'data-web-n0',
      labels: { app: 'web', [CloneSetInstanceIdLabel]: 'n0' },
    });
    expect(pvc.metadata.ownerReferences[0]).toMatchObject({ kind: 'CloneSet', name: 'web' });
    const volumes = ofType(fresh.actions, 'createPod')[0]!.pod.spec.volumes;
    expect(volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-n0', readOnly: false } },
    ]);
  });

  it('limits creations by scaleStrategy.maxUnavailable and says so', () => {
    const cs = cloneSet({ replicas: 5, scaleStrategy: { maxUnavailable: 2 } });
    const p = run({ cloneSet: cs, pods: [pod('web-p0', r1, { ready: false })] });
    expect(ofType(p.actions, 'createPod')).toHaveLength(1);
    expect(p.events.map((e) => e.reason)).toEqual(['ScaleUpLimited', 'ScaleUp']);
  });

  it('scales in following the deletion order, deleting PVCs of the same instance', () => {
    const existing = [
      pod('web-a', r1, { node: 'n1' }),
      pod('web-b', r1, { node: 'n2', ready: false }),
      pod('web-c', r1, { node: 'n3', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1' } }),
      pod('web-d', r1, { node: 'n4' }),
      pod('web-e', r1, { node: 'n5' }),
    ];
    const pvcs = [{ metadata: { name: 'data-web-b', labels: { [CloneSetInstanceIdLabel]: 'b' } } }];
    const p = run({ cloneSet: cloneSet({ replicas: 3 }), pods: existing, pvcs });
    expect(ofType(p.actions, 'deletePod')).toEqual([
      { type: 'deletePod', name: 'web-b', uid: 'uid-web-b', pvcs: ['data-web-b'], reason: 'scale in' },
      { type: 'deletePod', name: 'web-c', uid: 'uid-web-c', pvcs: [], reason: 'scale in' },
    ]);
  });

  it('scales in old-revision pods first', () => {
    const r2 = revisionOf(withImage(v1, 'nginx:2'), 2);
    const existing = [
      ...pods(r1, 2),
      pod('web-n', r2, { node: 'x', createdMinutesAgo: 1 }),
      pod('web-m', r2, { node: 'y' }),
    ];
    const p = run({
      cloneSet: current(cloneSet({ replicas: 2 }, 'nginx:2')),
      pods: existing,
      revisions: [r1, r2],
    });
    expect(
      ofType(p.actions, 'deletePod')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['web-p0', 'web-p1']);
  });

  it('ready pods are deleted only within deleteReadyLimit', () => {
    const p = run({
      cloneSet: cloneSet({ replicas: 1, updateStrategy: { maxUnavailable: 1 } }),
      pods: pods(r1, 4),
    });
    // maxUnavailable 1 + (4 pods - 1 replica) - 0 unavailable = 4: all three go.
    expect(ofType(p.actions, 'deletePod')).toHaveLength(3);
    const tight = run({
      cloneSet: cloneSet({ replicas: 3, updateStrategy: { maxUnavailable: 0, maxSurge: 1 } }),
      pods: pods(r1, 5),
    });
    expect(ofType(tight.actions, 'deletePod')).toHaveLength(2);
  });

  it('deletes podsToDelete and specified-delete pods, and replaces them', () => {
    const existing = [...pods(r1, 3), pod('web-x', r1, { labels: { [SpecifiedDeleteLabel]: 'true' } })];
    const byName = run({
      cloneSet: cloneSet({ scaleStrategy: { podsToDelete: ['web-p1'] } }),
      pods: existing,
    });
    // deleteReadyLimit = maxUnavailable 1 + (4 pods - 4 replicas) - 0 unavailable: one ready pod at a time.
    expect(ofType(byName.actions, 'deletePod').map((a) => a.name)).toEqual(['web-p1']);
    const unready = [
      ...pods(r1, 3),
      pod('web-x', r1, { ready: false, labels: { [SpecifiedDeleteLabel]: 'true' } }),
    ];
    const both = run({ cloneSet: cloneSet({ scaleStrategy: { podsToDelete: ['web-p1'] } }), pods: unready });
    expect(ofType(both.actions, 'deletePod').map((a) => a.name)).toEqual(['web-p1', 'web-x']);
    // The pod is gone: the replacement comes, and the stale name leaves podsToDelete.
    const after = run({
      cloneSet: cloneSet({ scaleStrategy: { podsToDelete: ['web-p1'] } }),
      pods: pods(r1, 4).filter((x) => x.metadata.name !== 'web-p1'),
    });
    expect(summary(after.actions)).toEqual(['createPod:web-n0', 'patchOwner']);
    expect(ofType(after.actions, 'patchOwner')[0]?.patch).toEqual({
      spec: { scaleStrategy: { podsToDelete: [] } },
    });
  });

  it('holds a preDelete-hooked pod in PreparingDelete until the hook is removed', () => {
    const lifecycle = { preDelete: { labelsHandler: { 'example.io/block': 'true' } } };
    const cs = cloneSet({ replicas: 2, lifecycle });
    const hooked = pod('web-h', r1, { labels: { 'example.io/block': 'true' }, ready: false });
    const first = run({ cloneSet: cs, pods: [...pods(r1, 2), hooked] });
    expect(summary(first.actions)).toEqual(['patchPodMetadata:web-h']);
    const patch = ofType(first.actions, 'patchPodMetadata')[0]!.patch;
    expect(patch.metadata.labels).toEqual({ [LifecycleStateLabel]: 'PreparingDelete' });
    const waiting = pod('web-h', r1, { labels: { 'example.io/block': 'true' }, state: 'PreparingDelete' });
    expect(run({ cloneSet: cs, pods: [...pods(r1, 2), waiting] }).actions).toEqual([]);
    const released = pod('web-h', r1, { state: 'PreparingDelete' });
    expect(summary(run({ cloneSet: cs, pods: [...pods(r1, 2), released] }).actions)).toEqual([
      'deletePod:web-h',
    ]);
  });

  it('takes a PreparingDelete pod back when replicas grow again', () => {
    const cs = cloneSet({ replicas: 3, lifecycle: { preDelete: { labelsHandler: { hold: 'true' } } } });
    const waiting = pod('web-h', r1, { labels: { hold: 'true' }, state: 'PreparingDelete' });
    const p = run({ cloneSet: cs, pods: [...pods(r1, 2), waiting] });
    expect(ofType(p.actions, 'patchPodMetadata')[0]).toMatchObject({
      name: 'web-h',
      patch: { metadata: { labels: { [LifecycleStateLabel]: 'PreparingNormal' } } },
    });
  });
});

describe('plan: updating', () => {
  const v2 = (spec = {}) => current(cloneSet(spec, 'nginx:2'));
  const r2 = revisionOf(cloneSet({}, 'nginx:2'), 2);
  const gated = { gate: true, conditions: [{ type: InPlaceUpdateReadyCondition, status: 'True' }] };

  const cases: { name: string; spec: object; pods: Pod[]; want: string[]; phase?: string }[] = [
    {
      name: 'ReCreate marks pods specified-delete within maxUnavailable (20% of 4 → 1)',
      spec: {},
      pods: pods(r1, 4),
      want: ['patchPodMetadata:web-p3'],
    },
    {
      name: 'InPlaceIfPossible drains the chosen pod first',
      spec: { updateStrategy: { type: 'InPlaceIfPossible' } },
      pods: pods(r1, 4, gated),
      want: ['drainAndUpdate:web-p3'],
    },
    {
      name: 'maxUnavailable 50% updates two pods at once',
      spec: { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: '50%' } },
      pods: pods(r1, 4, gated),
      want: ['drainAndUpdate:web-p3', 'drainAndUpdate:web-p2'],
    },
    {
      name: 'an unavailable new pod uses up the budget',
      spec: { updateStrategy: { type: 'InPlaceIfPossible' } },
      pods: [...pods(r1, 3, gated), pod('web-n', r2, { ...gated, ready: false })],
      want: [],
    },
    {
      name: 'an old pod that is already unavailable is updated first, for free',
      spec: { updateStrategy: { type: 'ReCreate', maxUnavailable: 1 } },
      pods: [...pods(r1, 3), pod('web-u', r1, { ready: false, node: 'node-9' })],
      want: ['patchPodMetadata:web-u'],
    },
    {
      name: 'partition 50% stops after half',
      spec: { updateStrategy: { partition: '50%', maxUnavailable: 4 } },
      pods: [...pods(r1, 2), pod('web-n1', r2), pod('web-n2', r2)],
      want: [],
    },
    {
      name: 'paused updates nothing',
      spec: { updateStrategy: { paused: true } },
      pods: pods(r1, 4),
      want: [],
    },
    {
      name: 'OnDelete updates nothing',
      spec: { updateStrategy: { type: 'OnDelete' } },
      pods: pods(r1, 4),
      want: [],
    },
    {
      name: 'PreparingUpdate pods go first',
      spec: { updateStrategy: { type: 'InPlaceIfPossible' } },
      pods: [...pods(r1, 3, gated), pod('web-q', r1, { ...gated, state: 'PreparingUpdate', node: 'node-8' })],
      want: ['drainAndUpdate:web-q'],
    },
  ];
  it.each(cases)('$name', ({ spec, pods: existing, want }) => {
    const p = run({ cloneSet: v2(spec), pods: existing, revisions: [r1, r2] });
    expect(summary(p.actions)).toEqual(want);
  });

  it('patches in place once the drain is visible, with the observed resourceVersion', () => {
    const drained = pods(r1, 4, gated);
    drained[3]!.status!.conditions = [
      { type: 'Ready', status: 'False' },
      {
        type: InPlaceUpdateReadyCondition,
        status: 'False',
        reason: 'StartInPlaceUpdate',
        message: `in-place update to revision ${r2.metadata.name}`,
      },
    ];
    const p = run({
      cloneSet: v2({ updateStrategy: { type: 'InPlaceIfPossible' } }),
      pods: drained,
      revisions: [r1, r2],
    });
    const update = ofType(p.actions, 'inPlaceUpdate');
    expect(update).toHaveLength(1);
    expect(update[0]).toMatchObject({
      name: 'web-p3',
      revision: r2.metadata.name,
      patch: {
        metadata: {
          resourceVersion: drained[3]!.metadata.resourceVersion,
          labels: { 'controller-revision-hash': r2.metadata.name, [LifecycleStateLabel]: 'Updating' },
        },
        spec: { containers: [{ name: 'main', image: 'nginx:2' }] },
      },
    });
    expect(p.events).toEqual([
      {
        type: 'Normal',
        reason: 'UpdatePods',
        message: `update pods to revision ${r2.metadata.name}: web-p3 (in place)`,
      },
    ]);
    expect(resultEvent(update[0]!)?.reason).toBe('SuccessfulUpdatePodInPlace');
  });

  it('finishes one pod and starts the next in the same reconcile, within the budget', () => {
    // web-p3 was updated in place and its container restarted: only InPlaceUpdateReady=True is left.
    const finishing = pod('web-p3', r2, {
      ...gated,
      node: 'node-3',
      state: 'Updating',
      ready: false,
      imageID: 'sha-new',
      conditions: [{ type: InPlaceUpdateReadyCondition, status: 'False', reason: 'StartInPlaceUpdate' }],
      annotations: {
        [InPlaceUpdateStateAnnotation]: JSON.stringify({
          revision: r2.metadata.name,
          updateTimestamp: NOW.toISOString(),
          lastContainerStatuses: { main: { imageID: 'sha-old' } },
        }),
      },
    });
    const cs = v2({ updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 } });
    const p = run({ cloneSet: cs, pods: [...pods(r1, 3, gated), finishing], revisions: [r1, r2] });
    // web-p3 (unavailable until then) still uses one unit of the budget: one more pod starts.
    expect(summary(p.actions)).toEqual(['setPodCondition:web-p3', 'drainAndUpdate:web-p2']);
    // The lifecycle state goes back to Normal in the same pods/status write as the condition.
    expect(p.actions[0]).toMatchObject({
      conditions: [{ type: InPlaceUpdateReadyCondition, status: 'True' }],
      resourceVersion: expect.any(String),
      metadata: { labels: { [LifecycleStateLabel]: 'Normal' } },
    });
  });

  it('InPlaceIfPossible falls back to recreate when a non in-place field changed', () => {
    const cs = current(cloneSet({ updateStrategy: { type: 'InPlaceIfPossible' } }, 'nginx:1'));
    cs.spec!.template.spec.containers[0]!.env = [{ name: 'A', value: '1' }];
    const r3 = revisionOf(cs, 3);
    const p = run({ cloneSet: cs, pods: pods(r1, 4, gated), revisions: [r1, r3] });
    expect(ofType(p.actions, 'patchPodMetadata')[0]).toMatchObject({
      name: 'web-p3',
      patch: { metadata: { labels: { [SpecifiedDeleteLabel]: 'true' } } },
    });
  });

  it('InPlaceOnly refuses a change that cannot be done in place', () => {
    const cs = current(cloneSet({ updateStrategy: { type: 'InPlaceOnly' } }, 'nginx:1'));
    cs.spec!.template.spec.containers[0]!.command = ['sh'];
    const p = run({ cloneSet: cs, pods: pods(r1, 4, gated), revisions: [r1, revisionOf(cs, 3)] });
    expect(p.actions.filter((a) => a.type !== 'createRevision')).toEqual([]);
    // The plan reports the failure; the executor alone turns it into the FailedUpdate condition.
    expect(p.failure).toMatch(/InPlaceOnly.*spec\.containers\[0\]\.command/);
    expect(p.status.conditions?.find((c) => c.type === 'FailedUpdate')).toBeUndefined();
    expect(p.events.map((e) => e.reason)).toContain('FailedUpdate');
  });

  it('moves a hooked pod to PreparingUpdate instead of updating it', () => {
    const lifecycle = { inPlaceUpdate: { labelsHandler: { 'example.io/block': 'true' } } };
    const existing = pods(r1, 4, { ...gated, labels: { 'example.io/block': 'true' } });
    const p = run({
      cloneSet: v2({ lifecycle, updateStrategy: { type: 'InPlaceIfPossible' } }),
      pods: existing,
      revisions: [r1, r2],
    });
    expect(ofType(p.actions, 'patchPodMetadata')[0]).toMatchObject({
      name: 'web-p3',
      patch: { metadata: { labels: { [LifecycleStateLabel]: 'PreparingUpdate' } } },
    });
  });

  it('re-adds the hook handlers to an Updated pod that must update again', () => {
    const hook = { labelsHandler: { 'example.io/block': 'true' }, finalizersHandler: ['example.io/f'] };
    const existing = [
      ...pods(r1, 3, gated),
      pod('web-u', r1, { ...gated, state: 'Updated', node: 'node-7', ready: false }),
    ];
    const p = run({
      cloneSet: v2({
        lifecycle: { inPlaceUpdate: hook },
        updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 },
      }),
      pods: existing,
      revisions: [r1, r2],
    });
    const patch = ofType(p.actions, 'patchPodMetadata').find((a) => a.name === 'web-u');
    expect(patch?.patch.metadata).toMatchObject({
      labels: { [LifecycleStateLabel]: 'PreparingUpdate', 'example.io/block': 'true' },
      finalizers: ['example.io/f'],
    });
  });

  it('only relabels pods whose template equals the update revision (e.g. taken over from OpenKruise)', () => {
    const foreign = { ...r1, metadata: { ...r1.metadata, name: 'web-kruise1' } };
    const ours = revisionOf(cloneSet({ replicas: 2 }), 2);
    const p = run({
      cloneSet: current(cloneSet({ replicas: 2 })),
      pods: pods(foreign, 2),
      revisions: [foreign, ours],
    });
    expect(ofType(p.actions, 'patchPodMetadata')[0]).toMatchObject({
      patch: { metadata: { labels: { 'controller-revision-hash': ours.metadata.name } } },
    });
    expect(ofType(p.actions, 'deletePod')).toEqual([]);
  });

  it('never scales and updates in the same reconcile', () => {
    const p = run({ cloneSet: v2({ replicas: 5 }), pods: pods(r1, 4), revisions: [r1, r2] });
    expect(p.phase).toBe('scale');
    expect(summary(p.actions)).toEqual(['createPod:web-n0']);
    expect(ofType(p.actions, 'createPod')[0]!.revision).toBe(r2.metadata.name);
  });

  it('creates a missing pod at the current revision while the partition wants old pods', () => {
    const p = run({
      cloneSet: v2({ updateStrategy: { partition: 4 } }),
      pods: pods(r1, 3),
      revisions: [r1, r2],
    });
    expect(ofType(p.actions, 'createPod')[0]!.revision).toBe(r1.metadata.name);
  });

  it('refreshes lifecycle states before choosing pods to update', () => {
    const existing = [...pods(r1, 3), pod('web-new', r1, { state: 'PreparingNormal', node: 'node-5' })];
    const p = run({ cloneSet: v2(), pods: existing, revisions: [r1, r2] });
    expect(summary(p.actions)).toEqual(['patchPodMetadata:web-new']);
    expect(p.phase).toBe('update');
  });
});

describe('plan: status and history', () => {
  it('writes the status computed from the observed pods', () => {
    const p = run({ cloneSet: cloneSet({ replicas: 2 }), pods: pods(r1, 2) });
    expect(p.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 2,
      updateRevision: r1.metadata.name,
    });
    expect(p.actions).toEqual([]);
  });

  it('does nothing but status for a CloneSet being deleted', () => {
    const cs = { ...cloneSet(), metadata: { ...cloneSet().metadata, deletionTimestamp: NOW.toISOString() } };
    expect(run({ cloneSet: cs }).actions).toEqual([]);
  });
});
