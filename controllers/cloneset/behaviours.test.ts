// The CloneSet behaviours OpenKruise users rely on that Outrigger once got wrong (issue 10 §3), at the
// plan level; test/e2e/cloneset-behaviours.test.ts runs each on the real control plane.
import {
  type CloneSet,
  type ControllerRevision,
  InPlaceUpdateReadyCondition,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  type Pod,
  PodTemplateHashLabel,
  SpecifiedDeleteLabel,
} from '../../apis';
import type { Action } from '../workload';
import { type PlanInput, plan } from './plan';
import { cloneSet, idSource, NOW, type PodOptions, pod, revisionOf } from './testing/fixtures';

const ofType = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
const run = (input: Partial<PlanInput> & { cloneSet: CloneSet }) =>
  plan({ pods: [], revisions: [], pvcs: [], now: NOW, newInstanceId: idSource(), ...input });
const bothGates: PodOptions = {
  gate: true,
  conditions: [
    { type: InPlaceUpdateReadyCondition, status: 'True' },
    { type: KruisePodReadyCondition, status: 'True' },
  ],
};
const withKruiseGate = (p: Pod) => {
  p.spec.readinessGates = [...(p.spec.readinessGates ?? []), { conditionType: KruisePodReadyCondition }];
  return p;
};
const podsAt = (rev: ControllerRevision, n: number, o: PodOptions = bothGates) =>
  Array.from({ length: n }, (_, i) =>
    withKruiseGate(pod(`web-p${i}`, rev, { node: `node-${i}`, createdMinutesAgo: 60 - i, ...o })),
  );

/** A CloneSet moved from `from` to `to` (both template edits), with its revisions and pods at `from`. */
function rollout(
  edit: { from: (cs: CloneSet) => void; to: (cs: CloneSet) => void },
  spec: Partial<NonNullable<CloneSet['spec']>> = {},
  n = 4,
) {
  const before = cloneSet(spec);
  edit.from(before);
  const after = structuredClone(before);
  edit.to(after);
  const r1 = revisionOf(before, 1);
  const r2 = revisionOf(after, 2);
  after.status = {
    replicas: n,
    readyReplicas: n,
    availableReplicas: n,
    updatedReplicas: 0,
    updatedReadyReplicas: 0,
    currentRevision: r1.metadata.name,
  };
  return { cs: after, r1, r2, pods: podsAt(r1, n) };
}

const inPlace = { updateStrategy: { type: 'InPlaceIfPossible' as const, maxUnavailable: 1 } };
const inPlaceOnly = { updateStrategy: { type: 'InPlaceOnly' as const, maxUnavailable: 1 } };
const resources = (requests: Record<string, string>) => (cs: CloneSet) => {
  cs.spec!.template.spec.containers[0]!.resources = { requests, limits: { memory: '1Gi' } };
};

describe('resource changes: only cpu and memory resize in place', () => {
  it.each([
    ['cpu', { cpu: '500m' }, 'inPlaceUpdate'],
    ['memory', { memory: '512Mi' }, 'inPlaceUpdate'],
    ['ephemeral-storage', { 'ephemeral-storage': '2Gi' }, 'recreate'],
    ['nvidia.com/gpu', { 'nvidia.com/gpu': '1' }, 'recreate'],
  ])('%s', (_name, changed, want) => {
    const { cs, r1, r2, pods } = rollout(
      {
        from: resources({ cpu: '250m', memory: '256Mi' }),
        to: resources({ cpu: '250m', memory: '256Mi', ...changed }),
      },
      inPlace,
    );
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2], resizeSupported: true });
    if (want === 'recreate') {
      expect(ofType(p.actions, 'patchPodMetadata')[0]?.patch.metadata.labels).toEqual({
        [SpecifiedDeleteLabel]: 'true',
      });
    } else {
      // A resize restarts nothing, so the pod is not drained: straight to the resize + patch.
      expect(
        ofType(p.actions, 'inPlaceUpdate')[0]?.resizePatch?.spec.containers[0]?.resources.requests,
      ).toMatchObject(changed);
    }
  });

  it('InPlaceOnly cannot apply an ephemeral-storage change: a failure, no pod touched', () => {
    const { cs, r1, r2, pods } = rollout(
      { from: resources({ cpu: '250m' }), to: resources({ cpu: '250m', 'ephemeral-storage': '2Gi' }) },
      inPlaceOnly,
    );
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2], resizeSupported: true });
    expect(p.actions.filter((a) => a.type !== 'createRevision')).toEqual([]);
    expect(p.failure).toMatch(/ephemeral-storage cannot be resized/);
  });
});

describe('fractional percentages', () => {
  it('maxUnavailable "12.5%" of 8 resolves as admission does (1 pod) and the rollout moves', () => {
    const image = (tag: string) => (cs: CloneSet) => {
      cs.spec!.template.spec.containers[0]!.image = tag;
    };
    const spec = {
      replicas: 8,
      updateStrategy: { type: 'InPlaceIfPossible' as const, maxUnavailable: '12.5%' },
    };
    const { cs, r1, r2, pods } = rollout({ from: image('nginx:1'), to: image('nginx:2') }, spec, 8);
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2] });
    expect(p.failure).toBeUndefined();
    expect(ofType(p.actions, 'drainAndUpdate')).toHaveLength(1);
  });

  it('a value no parser accepts (admission bypassed) reports a failure and the status, and changes no pod', () => {
    const cs = cloneSet({ replicas: 2, updateStrategy: { maxUnavailable: 'lots' } });
    const r1 = revisionOf(cs);
    const p = run({ cloneSet: cs, pods: podsAt(r1, 1), revisions: [r1] });
    expect(p.failure).toMatch(/cannot resolve.*not a percentage/);
    expect(p.actions).toEqual([]);
    expect(p.status).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect(p.events.map((e) => e.reason)).toEqual(['FailedUpdate']);
  });
});

describe('the InPlaceUpdateReady gate is on every pod', () => {
  it('a pod created under ReCreate and later updated in place is drained first', () => {
    const image = (tag: string) => (cs: CloneSet) => {
      cs.spec!.template.spec.containers[0]!.image = tag;
    };
    const { cs, r1, r2 } = rollout({ from: image('nginx:1'), to: image('nginx:2') }, inPlace);
    const created = run({ cloneSet: cloneSet({ replicas: 1, updateStrategy: { type: 'ReCreate' } }) });
    const gates = ofType(created.actions, 'createPod')[0]!.pod.spec.readinessGates;
    const pods = podsAt(r1, 4).map((p) => ({ ...p, spec: { ...p.spec, readinessGates: gates } }));
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2] });
    expect(ofType(p.actions, 'drainAndUpdate')).toHaveLength(1);
  });

  it('sets the missing gate conditions True in one write once the pod is bound or found unschedulable (Kruise: the in-place refresh and podreadiness)', () => {
    const cs = cloneSet({ replicas: 1 });
    const r1 = revisionOf(cs);
    const conditionWrites = (pods: Pod[]) =>
      ofType(run({ cloneSet: cs, pods, revisions: [r1] }).actions, 'setPodCondition');
    // Still being scheduled: nothing yet (a write now would race the binding).
    expect(conditionWrites(podsAt(r1, 1, { gate: true, conditions: [], node: '' }))).toEqual([]);
    const unschedulable = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' };
    for (const pods of [
      podsAt(r1, 1, { gate: true, conditions: [] }),
      podsAt(r1, 1, { gate: true, conditions: [unschedulable], node: '' }),
    ]) {
      const writes = conditionWrites(pods);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.conditions.map((c) => [c.type, c.status])).toEqual([
        [InPlaceUpdateReadyCondition, 'True'],
        [KruisePodReadyCondition, 'True'],
      ]);
    }
  });
});

describe('env from metadata', () => {
  const readsTier = (tier: string) => (cs: CloneSet) => {
    cs.spec!.template.metadata!.labels = { ...cs.spec!.template.metadata!.labels, tier };
    cs.spec!.template.spec.containers[0]!.env = [
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
    ];
  };

  it.each([
    ['InPlaceIfPossible', inPlace],
    ['InPlaceOnly', inPlaceOnly],
  ])('%s updates a label read by env in place (drain, then patch with a restart)', (_name, spec) => {
    const { cs, r1, r2, pods } = rollout({ from: readsTier('a'), to: readsTier('b') }, spec);
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2] });
    expect(p.failure).toBeUndefined();
    const [drain] = ofType(p.actions, 'drainAndUpdate');
    expect(drain?.request.diff).toMatchObject({
      metadata: { labels: { tier: 'b' } },
      restartContainers: ['main'],
    });
  });

  it('with the gate off, InPlaceIfPossible recreates and InPlaceOnly reports it cannot', () => {
    const ifPossible = rollout({ from: readsTier('a'), to: readsTier('b') }, inPlace);
    const p = run({
      cloneSet: ifPossible.cs,
      pods: ifPossible.pods,
      revisions: [ifPossible.r1, ifPossible.r2],
      envFromMetadata: false,
    });
    expect(ofType(p.actions, 'patchPodMetadata')[0]?.patch.metadata.labels).toEqual({
      [SpecifiedDeleteLabel]: 'true',
    });
    const only = rollout({ from: readsTier('a'), to: readsTier('b') }, inPlaceOnly);
    const q = run({
      cloneSet: only.cs,
      pods: only.pods,
      revisions: [only.r1, only.r2],
      envFromMetadata: false,
    });
    expect(q.failure).toMatch(/read by env of main/);
  });
});

describe('lifecycle markPodNotReady', () => {
  const hold = { 'example.io/hold': 'true' };

  it('preDelete: the pod enters PreparingDelete with KruisePodReady and Ready False, in one write', () => {
    const lifecycle = { preDelete: { labelsHandler: hold, markPodNotReady: true } };
    const cs = cloneSet({ replicas: 2, lifecycle });
    const r1 = revisionOf(cs);
    const pods = podsAt(r1, 3, { ...bothGates, labels: hold });
    const p = run({ cloneSet: cs, pods, revisions: [r1] });
    const [write, ...rest] = p.actions;
    expect(rest).toEqual([]);
    expect(write).toMatchObject({
      type: 'setPodCondition',
      metadata: { labels: { [LifecycleStateLabel]: 'PreparingDelete' } },
      conditions: [
        { type: KruisePodReadyCondition, status: 'False' },
        { type: 'Ready', status: 'False' },
      ],
    });
  });

  it('inPlaceUpdate: PreparingUpdate marks the pod not ready; Updated makes it ready again', () => {
    const image = (tag: string) => (cs: CloneSet) => {
      cs.spec!.template.spec.containers[0]!.image = tag;
    };
    const lifecycle = { inPlaceUpdate: { labelsHandler: hold, markPodNotReady: true } };
    const { cs, r1, r2, pods } = rollout(
      { from: image('nginx:1'), to: image('nginx:2') },
      { ...inPlace, lifecycle },
    );
    for (const p of pods) Object.assign(p.metadata.labels!, hold);
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2] });
    expect(ofType(p.actions, 'setPodCondition')[0]).toMatchObject({
      metadata: { labels: { [LifecycleStateLabel]: 'PreparingUpdate' } },
      conditions: [{ type: KruisePodReadyCondition, status: 'False' }, { type: 'Ready' }],
    });
    // Updated after the update (the hook label is gone): the key is removed, KruisePodReady True.
    const updated = withKruiseGate(
      pod('web-u', r2, {
        ...bothGates,
        state: 'Updating',
        conditions: [
          { type: InPlaceUpdateReadyCondition, status: 'True' },
          {
            type: KruisePodReadyCondition,
            status: 'False',
            message: JSON.stringify([{ userAgent: 'Lifecycle', key: 'preUpdateHook' }]),
          },
        ],
      }),
    );
    const q = run({
      cloneSet: { ...cs, spec: { ...cs.spec!, replicas: 1 } },
      pods: [updated],
      revisions: [r1, r2],
    });
    expect(ofType(q.actions, 'setPodCondition')[0]).toMatchObject({
      metadata: { labels: { [LifecycleStateLabel]: 'Updated' } },
      conditions: [{ type: KruisePodReadyCondition, status: 'True' }],
    });
  });
});

describe('scale-in order, scatter and the pod-template-hash label', () => {
  it('scale-in follows the template topologySpreadConstraints: the crowded zone loses pods first', () => {
    const cs = cloneSet({ replicas: 3 });
    cs.spec!.template.spec.topologySpreadConstraints = [
      { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
    ];
    const r1 = revisionOf(cs);
    const nodes: Record<string, string> = { n1: 'a', n2: 'a', n3: 'b', n4: 'b' };
    const pods = [
      pod('web-a1', r1, { node: 'n1', createdMinutesAgo: 90 }),
      pod('web-a2', r1, { node: 'n2', createdMinutesAgo: 80 }),
      pod('web-a3', r1, { node: 'n2', createdMinutesAgo: 70 }),
      pod('web-b1', r1, { node: 'n3', createdMinutesAgo: 5 }),
    ];
    const p = run({ cloneSet: cs, pods, revisions: [r1], nodeLabels: (n) => ({ zone: nodes[n]! }) });
    // Without the constraint the newest pod (web-b1) would go.
    expect(ofType(p.actions, 'deletePod').map((a) => a.name)).toEqual(['web-a3']);
  });

  it('updates in scatterStrategy order', () => {
    const image = (tag: string) => (cs: CloneSet) => {
      cs.spec!.template.spec.containers[0]!.image = tag;
    };
    const spec = {
      replicas: 6,
      updateStrategy: {
        type: 'InPlaceIfPossible' as const,
        maxUnavailable: 3,
        scatterStrategy: [{ key: 'zone', value: 'a' }],
      },
    };
    const { cs, r1, r2 } = rollout({ from: image('nginx:1'), to: image('nginx:2') }, spec, 6);
    // Newest first by ActivePods: three zone-a pods then three zone-b pods.
    const pods = ['a', 'a', 'a', 'b', 'b', 'b'].map((zone, i) =>
      withKruiseGate(
        pod(`web-${zone}${i}`, r1, {
          ...bothGates,
          node: `n${i}`,
          createdMinutesAgo: 10 + i,
          labels: { zone },
        }),
      ),
    );
    const p = run({ cloneSet: cs, pods, revisions: [r1, r2] });
    const zones = ofType(p.actions, 'drainAndUpdate').map((a) => a.name.slice(4, 5));
    expect(zones).toEqual(['a', 'b', 'b']);
  });

  it('backfills a missing pod-template-hash label (Kruise fixPodTemplateHashLabel)', () => {
    const cs = cloneSet({ replicas: 1 });
    const r1 = revisionOf(cs);
    const [old] = podsAt(r1, 1);
    delete old!.metadata.labels![PodTemplateHashLabel];
    const p = run({ cloneSet: cs, pods: [old!], revisions: [r1] });
    expect(p.actions).toEqual([
      expect.objectContaining({
        type: 'patchPodMetadata',
        patch: { metadata: { labels: { [PodTemplateHashLabel]: r1.metadata.name!.split('-')[1] } } },
      }),
    ]);
  });
});

describe('scale-in waits while deletions are pending (Kruise)', () => {
  it('no scale-in while a preDelete pod still holds its hook', () => {
    const lifecycle = { preDelete: { labelsHandler: { hold: 'true' } } };
    const cs = cloneSet({ replicas: 3, lifecycle });
    const r1 = revisionOf(cs);
    const waiting = pod('web-h', r1, { labels: { hold: 'true' }, state: 'PreparingDelete', node: 'node-9' });
    const p = run({ cloneSet: cs, pods: [...podsAt(r1, 4), waiting], revisions: [r1] });
    expect(ofType(p.actions, 'deletePod')).toEqual([]);
  });

  it('no scale-in while a specified-delete pod waits for the unavailability budget', () => {
    const cs = cloneSet({ replicas: 3 });
    const r1 = revisionOf(cs);
    const specified = pod('web-s', r1, { labels: { [SpecifiedDeleteLabel]: 'true' }, node: 'node-9' });
    const unready = podsAt(r1, 4, { ...bothGates, ready: false });
    const p = run({ cloneSet: cs, pods: [...unready, specified], revisions: [r1] });
    // deleteReadyLimit is 0 (4 pods unavailable): web-s must wait, and nothing else may go meanwhile.
    expect(ofType(p.actions, 'deletePod')).toEqual([]);
  });
});

describe('pods relabelled out of the selector', () => {
  it('are released by an action and replaced', () => {
    const cs = cloneSet({ replicas: 2 });
    const r1 = revisionOf(cs);
    const [kept, moved] = podsAt(r1, 2);
    moved!.metadata.labels!.app = 'debug';
    const p = run({ cloneSet: cs, pods: [kept!, moved!], revisions: [r1] });
    expect(p.actions.map((a) => a.type)).toEqual(['releasePod', 'createPod']);
    expect(p.actions[0]).toEqual({
      type: 'releasePod',
      name: moved!.metadata.name,
      uid: moved!.metadata.uid,
    });
  });
});
