import {
  type ControllerRevision,
  InPlaceUpdateReadyCondition,
  KruisePodReadyCondition,
  LifecycleStateLabel,
  type Pod,
  PodIndexLabel,
  SpecifiedDeleteLabel,
  type StatefulSet,
  StatefulSetPodNameLabel,
} from '../../apis';
import type { Action } from '../workload';
import { type PlanInput, plan } from './plan';
import {
  minutesAgo,
  NOW,
  podAt,
  podsAt,
  revisionOf,
  type StatefulSetSpec,
  statefulSet,
  withImage,
} from './testing/fixtures';

const v1 = statefulSet();
const r1 = revisionOf(v1);

/** The set as its controller last wrote it: current revision `current`. */
function settled(sts: StatefulSet, current: ControllerRevision = r1): StatefulSet {
  return { ...sts, status: { ...baseStatus(), currentRevision: current.metadata.name } };
}
const baseStatus = () => ({
  replicas: 0,
  readyReplicas: 0,
  availableReplicas: 0,
  currentReplicas: 0,
  updatedReplicas: 0,
});

/** A set at r1 being updated to nginx:2: returns the set, r2, and the input revisions. */
function updating(spec: Partial<StatefulSetSpec>) {
  const before = statefulSet(spec);
  const old = revisionOf(before);
  const sts = settled(withImage(before, 'nginx:2'), old);
  const r2 = revisionOf(sts, 2);
  return { sts, old, r2, revisions: [old, r2] };
}

function run(input: Partial<PlanInput> & { statefulSet: StatefulSet }) {
  return plan({ pods: [], revisions: [r1], now: NOW, ...input });
}

const ofType = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
const created = (actions: Action[]) => ofType(actions, 'createPod').map((a) => a.pod.metadata.name);
const deleted = (actions: Action[]) => ofType(actions, 'deletePod').map((a) => a.name);
/** Pods written in place this round (drain, or the patch straight away). */
const inPlace = (actions: Action[]) =>
  actions.filter((a) => a.type === 'drainAndUpdate' || a.type === 'inPlaceUpdate').map((a) => a.name);
const parallel = (rollingUpdate: object = {}, spec: Partial<StatefulSetSpec> = {}) => ({
  podManagementPolicy: 'Parallel' as const,
  updateStrategy: { type: 'RollingUpdate' as const, rollingUpdate: { ...rollingUpdate } },
  ...spec,
});

describe('plan: identity and scaling', () => {
  it('creates web-0 first under OrderedReady, with its identity, revision, gate and lifecycle', () => {
    const p = run({ statefulSet: v1, revisions: [] });
    expect(created(p.actions)).toEqual(['web-0']);
    const pod = ofType(p.actions, 'createPod')[0]!.pod;
    expect(pod.metadata.labels).toMatchObject({
      app: 'web',
      [StatefulSetPodNameLabel]: 'web-0',
      [PodIndexLabel]: '0',
      'controller-revision-hash': r1.metadata.name,
      [LifecycleStateLabel]: 'Normal',
    });
    expect(pod.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web-headless' });
    expect(pod.spec.readinessGates).toEqual([{ conditionType: KruisePodReadyCondition }]);
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'StatefulSet',
      uid: 'sts-uid',
      controller: true,
    });
    expect(ofType(p.actions, 'createRevision')).toHaveLength(1);
    expect(p.phase).toBe('scale');
  });

  it('sets the KruisePodReady condition True once the new pod is bound or found unschedulable, not while it is scheduled', () => {
    const fresh = (node?: string) => {
      const p = podAt(0, r1, { ready: false, phase: 'Pending', node });
      p.spec.readinessGates = [{ conditionType: KruisePodReadyCondition }];
      return p;
    };
    const unschedulable = fresh('');
    unschedulable.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }];
    const writes = (pod: Pod) => ofType(run({ statefulSet: v1, pods: [pod] }).actions, 'setPodCondition');
    const readyWrite = {
      type: 'setPodCondition',
      name: 'web-0',
      conditions: [expect.objectContaining({ type: KruisePodReadyCondition, status: 'True' })],
    };
    expect(writes(fresh(''))).toEqual([]);
    expect(writes(fresh())).toEqual([readyWrite]);
    expect(writes(unschedulable)).toEqual([readyWrite]);
  });

  it('OrderedReady creates the next ordinal only once every predecessor is Running and Ready', () => {
    const ready = podsAt([0, 1], r1);
    expect(created(run({ statefulSet: v1, pods: ready }).actions)).toEqual(['web-2']);
    const halted = [podAt(0, r1), podAt(1, r1, { ready: false })];
    const p = run({ statefulSet: v1, pods: halted });
    expect(created(p.actions)).toEqual([]);
    expect(p.phase).toBe('none');
    // A missing pod in the middle is recreated first.
    expect(created(run({ statefulSet: v1, pods: podsAt([0, 2], r1) }).actions)).toEqual(['web-1']);
  });

  it('OrderedReady waits minReadySeconds before the next ordinal, and asks to be woken then', () => {
    const sts = statefulSet({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { minReadySeconds: 30 } },
    });
    const pods = [podAt(0, r1, { readyMinutesAgo: 0.25 })];
    const p = run({ statefulSet: sts, pods, revisions: [revisionOf(sts)] });
    expect(created(p.actions)).toEqual([]);
    expect(p.requeueAfterMs).toBe(15_000);
  });

  it('Parallel creates every missing ordinal at once', () => {
    const sts = statefulSet(parallel());
    expect(created(run({ statefulSet: sts, revisions: [] }).actions)).toEqual([
      'web-0',
      'web-1',
      'web-2',
      'web-3',
      'web-4',
    ]);
  });

  it("opens the first create window at the pods already there plus one, as native's slow start over ordinals", () => {
    const sts = statefulSet(parallel());
    expect(run({ statefulSet: sts, revisions: [] }).createsAtOnce).toBe(1);
    const three = podsAt([0, 1, 2], r1);
    expect(run({ statefulSet: sts, pods: three }).createsAtOnce).toBe(4);
  });

  it('scaleStrategy.maxUnavailable bounds how many pods Parallel has creating or unavailable', () => {
    const sts = statefulSet(parallel({}, { scaleStrategy: { maxUnavailable: 2 } }));
    expect(created(run({ statefulSet: sts, revisions: [] }).actions)).toEqual(['web-0', 'web-1']);
    const oneStarting = [podAt(0, r1), podAt(1, r1, { ready: false, phase: 'Pending' })];
    expect(created(run({ statefulSet: sts, pods: oneStarting }).actions)).toEqual(['web-2']);
  });

  it('OrderedReady scales down from the highest ordinal, one pod at a time', () => {
    const sts = statefulSet({ replicas: 2 });
    const pods = podsAt([0, 1, 2, 3], r1);
    const p = run({ statefulSet: sts, pods });
    expect(deleted(p.actions)).toEqual(['web-3']);
    expect(p.events).toContainEqual({ type: 'Normal', reason: 'ScaleDown', message: 'delete pods web-3' });
    // web-3 terminating: nothing else goes until it is gone.
    const terminating = [...podsAt([0, 1, 2], r1), podAt(3, r1)];
    terminating[3]!.metadata.deletionTimestamp = NOW.toISOString();
    expect(deleted(run({ statefulSet: sts, pods: terminating }).actions)).toEqual([]);
  });

  it('OrderedReady does not scale down while a pod it keeps is unhealthy; Parallel does at once', () => {
    const pods = [podAt(0, r1, { ready: false }), ...podsAt([1, 2, 3], r1)];
    expect(deleted(run({ statefulSet: statefulSet({ replicas: 2 }), pods }).actions)).toEqual([]);
    const burst = statefulSet(parallel({}, { replicas: 2 }));
    expect(deleted(run({ statefulSet: burst, pods }).actions).sort()).toEqual(['web-2', 'web-3']);
  });

  it('replaces a failed pod: deleted now, created again once it is gone', () => {
    const pods = [...podsAt([0, 1], r1), podAt(2, r1, { phase: 'Failed', ready: false })];
    expect(deleted(run({ statefulSet: v1, pods }).actions)).toEqual(['web-2']);
  });

  it('a preDelete hook moves the pod to PreparingDelete instead of deleting it', () => {
    const hook = { labelsHandler: { 'example.com/hold': 'true' } };
    const sts = statefulSet({ replicas: 1, lifecycle: { preDelete: hook } });
    const pods = podsAt([0, 1], r1, { labels: { 'example.com/hold': 'true' } });
    const p = run({ statefulSet: sts, pods });
    expect(deleted(p.actions)).toEqual([]);
    expect(ofType(p.actions, 'patchPodMetadata')[0]).toMatchObject({
      name: 'web-1',
      patch: { metadata: { labels: { [LifecycleStateLabel]: 'PreparingDelete' } } },
    });
  });

  it('puts the pod-name and pod-index labels back on a pod that lost them', () => {
    const pods = podsAt([0], r1);
    delete pods[0]!.metadata.labels![PodIndexLabel];
    const p = run({ statefulSet: statefulSet({ replicas: 1 }), pods });
    expect(ofType(p.actions, 'patchPodMetadata')).toEqual([
      expect.objectContaining({
        name: 'web-0',
        patch: { metadata: { labels: { [StatefulSetPodNameLabel]: 'web-0', [PodIndexLabel]: '0' } } },
      }),
    ]);
  });
});

describe('plan: reserveOrdinals and ordinals.start', () => {
  it.each([
    // spec, existing ordinals → created, deleted
    [{ reserveOrdinals: [1] }, [], ['web-0', 'web-2', 'web-3'], []],
    [{ reserveOrdinals: ['1-2'] }, [], ['web-0', 'web-3', 'web-4'], []],
    [{ ordinals: { start: 5 } }, [], ['web-5', 'web-6', 'web-7'], []],
    [{ ordinals: { start: 2 }, reserveOrdinals: [3] }, [], ['web-2', 'web-4', 'web-5'], []],
    // A newly reserved ordinal's pod goes, the next free one comes.
    [{ reserveOrdinals: [1] }, [0, 1, 2], ['web-3'], ['web-1']],
    // A new start ordinal condemns the pods below it and creates the ones above.
    [{ ordinals: { start: 1 } }, [0, 1, 2], ['web-3'], ['web-0']],
  ])('%j with pods %j creates %j and deletes %j', (spec, existing, toCreate, toDelete) => {
    const sts = statefulSet(parallel({}, { replicas: 3, ...spec }));
    const p = run({ statefulSet: sts, pods: podsAt(existing, r1) });
    expect(created(p.actions)).toEqual(toCreate);
    expect(deleted(p.actions)).toEqual(toDelete);
  });

  it('reports an unparsable reserveOrdinals entry (admission bypassed) and changes no pod', () => {
    const sts = statefulSet({ reserveOrdinals: ['x-y'] });
    const p = run({ statefulSet: sts, pods: podsAt([0, 1], r1) });
    expect(p.failure).toContain('"x-y"');
    expect(p.actions.filter((a) => a.type !== 'createRevision')).toEqual([]);
  });
});

describe('plan: rolling update window', () => {
  it.each([
    // replicas, maxUnavailable, partition, pods unavailable by themselves → pods updated this round
    [10, 1, 0, [], [9]],
    [10, 3, 0, [], [9, 8, 7]],
    [10, '30%', 0, [], [9, 8, 7]],
    [10, '25%', 0, [], [9, 8]], // 2.5 rounds down
    [10, '5%', 0, [], [9]], // 0.5 rounds down to 0: floored at 1
    [10, 3, 6, [], [9, 8, 7]],
    [10, 3, 8, [], [9, 8]], // partition keeps web-0 … web-7
    [10, 3, 10, [], []],
    [10, 3, 0, [4], [9, 8]], // web-4 already unavailable: one slot of the window is used
    [10, 3, 0, [4, 5, 6], []],
    [10, 3, 0, [9], [9, 8, 7]], // an unavailable target costs nothing more
    [10, 3, 0, [1, 9], [9, 8]],
  ])(
    '%i pods, maxUnavailable %j, partition %i, unavailable %j → %j',
    (replicas, maxUnavailable, partition, unavailable: number[], expected: number[]) => {
      const { sts, old, revisions } = updating(parallel({ maxUnavailable, partition }, { replicas }));
      const pods = Array.from({ length: replicas }, (_, i) =>
        podAt(i, old, { ready: !unavailable.includes(i) }),
      );
      const p = run({ statefulSet: sts, pods, revisions });
      expect(deleted(p.actions)).toEqual(expected.map((o) => `web-${o}`));
    },
  );

  it('slides: as an updated pod becomes available the next one starts, never more than the budget', () => {
    const { sts, old, r2, revisions } = updating(parallel({ maxUnavailable: 3 }, { replicas: 10 }));
    const pods = [
      ...podsAt([0, 1, 2, 3, 4, 5], old),
      podAt(6, r2, { ready: false }),
      podAt(7, r2, { ready: false }),
      ...podsAt([8, 9], r2),
    ];
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-5']);
  });

  it('counts pods that are missing, terminating, not Normal or in an in-place update as unavailable', () => {
    const { sts, old, r2, revisions } = updating(parallel({ maxUnavailable: 3 }, { replicas: 10 }));
    const terminating = podAt(8, old);
    terminating.metadata.deletionTimestamp = NOW.toISOString();
    const pods = [
      ...podsAt([0, 1, 2, 3, 4, 5, 6], old),
      terminating,
      podAt(9, r2, { state: 'PreparingUpdate' }),
    ];
    // web-7 is missing (being recreated): three unavailable, nothing more may start.
    const p = run({ statefulSet: sts, pods: pods.filter((x) => x.metadata.name !== 'web-7'), revisions });
    expect(deleted(p.actions)).toEqual([]);
    expect(created(p.actions)).toEqual(['web-7']);
  });

  it('stops at the first available target once the window is full: the order holds', () => {
    const { sts, old, revisions } = updating(parallel({ maxUnavailable: 2 }, { replicas: 5 }));
    // web-1 is unavailable by itself; web-4 would be next but the window (web-1 + web-4) allows one.
    const pods = [podAt(0, old), podAt(1, old, { ready: false }), ...podsAt([2, 3, 4], old)];
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-4']);
  });

  it('OrderedReady updates one pod at a time, highest first, and only when all are available', () => {
    const { sts, old, r2, revisions } = updating({ replicas: 3 });
    expect(deleted(run({ statefulSet: sts, pods: podsAt([0, 1, 2], old), revisions }).actions)).toEqual([
      'web-2',
    ]);
    const next = [...podsAt([0, 1], old), podAt(2, r2)];
    expect(deleted(run({ statefulSet: sts, pods: next, revisions }).actions)).toEqual(['web-1']);
    const waiting = [...podsAt([0, 1], old), podAt(2, r2, { ready: false })];
    expect(deleted(run({ statefulSet: sts, pods: waiting, revisions }).actions)).toEqual([]);
  });

  it('minReadySeconds: a pod ready for less is still unavailable; the plan wakes when it will be', () => {
    const { sts, old, r2, revisions } = updating(parallel({ maxUnavailable: 1, minReadySeconds: 60 }));
    const pods = [
      ...podsAt([0, 1, 2, 3], old, { readyMinutesAgo: 5 }),
      podAt(4, r2, { readyMinutesAgo: 0.5 }),
    ];
    const p = run({ statefulSet: sts, pods, revisions });
    expect(deleted(p.actions)).toEqual([]);
    expect(p.requeueAfterMs).toBe(30_000);
  });

  it('paused holds the update; scaling goes on', () => {
    const { sts, old, revisions } = updating(parallel({ maxUnavailable: 2, paused: true }));
    const p = run({ statefulSet: sts, pods: podsAt([0, 1, 2], old), revisions });
    expect(deleted(p.actions)).toEqual([]);
    expect(created(p.actions)).toEqual(['web-3', 'web-4']);
  });

  it('OnDelete never updates, and creates missing pods at the update revision', () => {
    const { sts, old, r2, revisions } = updating({ updateStrategy: { type: 'OnDelete' } });
    const p = run({ statefulSet: sts, pods: podsAt([0, 1, 2, 3], old), revisions });
    expect(deleted(p.actions)).toEqual([]);
    expect(ofType(p.actions, 'createPod').map((a) => a.revision)).toEqual([r2.metadata.name]);
  });

  it('creates a missing pod inside the partition at the current revision, outside it at the update revision', () => {
    const { sts, old, r2, revisions } = updating(parallel({ partition: 3 }));
    const p = run({ statefulSet: sts, pods: podsAt([0, 2, 3], old), revisions });
    expect(ofType(p.actions, 'createPod').map((a) => [a.pod.metadata.name, a.revision])).toEqual([
      ['web-1', old.metadata.name],
      ['web-4', r2.metadata.name],
    ]);
  });

  it('partition counts pods, not ordinals: with web-1 reserved, partition 2 keeps web-0 and web-2', () => {
    const { sts, old, revisions } = updating(
      parallel({ maxUnavailable: 5, partition: 2 }, { reserveOrdinals: [1] }),
    );
    const pods = podsAt([0, 2, 3, 4, 5], old);
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-5', 'web-4', 'web-3']);
  });

  it('specified-delete pods go first, under the budget, whatever the partition', () => {
    const { sts, old, revisions } = updating(parallel({ maxUnavailable: 2, partition: 5 }));
    const pods = podsAt([0, 1, 2, 3, 4], old);
    pods[1]!.metadata.labels![SpecifiedDeleteLabel] = 'true';
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-1']);
  });

  it('unorderedUpdate: pods already updated come first, then by priority, within replicas − partition', () => {
    const priorityStrategy = {
      weightPriority: [{ weight: 50, matchSelector: { matchLabels: { tier: 'a' } } }],
    };
    const { sts, old, r2, revisions } = updating(
      parallel({ maxUnavailable: 2, partition: 1, unorderedUpdate: { priorityStrategy } }),
    );
    const pods = [...podsAt([0, 1, 3], old), podAt(2, old, { labels: { tier: 'a' } }), podAt(4, r2)];
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-2', 'web-3']);
  });
});

describe('plan: in-place update', () => {
  /** Pods with the InPlaceUpdateReady gate, its condition True. */
  const gated = { gate: true, conditions: [{ type: InPlaceUpdateReadyCondition, status: 'True' }] };

  it('InPlaceIfPossible changes the image in place: drain first, the pod keeps its name and uid', () => {
    const { sts, old, r2, revisions } = updating(
      parallel({ maxUnavailable: 2, podUpdatePolicy: 'InPlaceIfPossible' }),
    );
    const pods = podsAt([0, 1, 2, 3, 4], old, gated);
    const p = run({ statefulSet: sts, pods, revisions });
    expect(inPlace(p.actions)).toEqual(['web-4', 'web-3']);
    expect(deleted(p.actions)).toEqual([]);
    const drain = ofType(p.actions, 'drainAndUpdate')[0]!;
    expect(drain.request.labels).toEqual({
      'controller-revision-hash': r2.metadata.name,
      [LifecycleStateLabel]: 'Updating',
    });
    expect(drain.request.diff.images).toEqual({ main: 'nginx:2' });
  });

  it('InPlaceIfPossible recreates when more than the image changed; InPlaceOnly reports instead', () => {
    const before = statefulSet(parallel({ maxUnavailable: 1, podUpdatePolicy: 'InPlaceIfPossible' }));
    const old = revisionOf(before);
    const changed = structuredClone(before);
    changed.spec!.template.spec.containers[0]!.env = [{ name: 'MODE', value: 'fast' }];
    const sts = settled(changed, old);
    const revisions = [old, revisionOf(sts, 2)];
    const pods = podsAt([0, 1, 2, 3, 4], old, gated);
    expect(deleted(run({ statefulSet: sts, pods, revisions }).actions)).toEqual(['web-4']);
    sts.spec!.updateStrategy!.rollingUpdate!.podUpdatePolicy = 'InPlaceOnly';
    const p = run({ statefulSet: sts, pods, revisions });
    expect(deleted(p.actions)).toEqual([]);
    expect(p.failure).toMatch(/web-4: update strategy is InPlaceOnly.*spec.containers/);
  });

  it('finishes an in-place update: InPlaceUpdateReady back to True, lifecycle Normal, in one write', () => {
    const { sts, old, r2, revisions } = updating(
      parallel({ maxUnavailable: 1, podUpdatePolicy: 'InPlaceIfPossible' }),
    );
    const done = podAt(4, r2, {
      gate: true,
      ready: false,
      state: 'Updating',
      image: 'nginx:2',
      conditions: [{ type: InPlaceUpdateReadyCondition, status: 'False', reason: 'StartInPlaceUpdate' }],
      annotations: {
        'apps.kruise.io/inplace-update-state': JSON.stringify({
          revision: r2.metadata.name,
          updateTimestamp: minutesAgo(1),
          lastContainerStatuses: { main: { imageID: 'sha-nginx:1' } },
        }),
      },
    });
    const pods = [...podsAt([0, 1, 2, 3], old, gated), done];
    const p = run({ statefulSet: sts, pods, revisions });
    const writes = ofType(p.actions, 'setPodCondition').filter((a) => a.name === 'web-4');
    expect(writes).toEqual([
      expect.objectContaining({
        conditions: [expect.objectContaining({ type: InPlaceUpdateReadyCondition, status: 'True' })],
        metadata: expect.objectContaining({ labels: { [LifecycleStateLabel]: 'Normal' } }),
      }),
    ]);
    // web-4 is still unavailable in the cache: the window (1) is full.
    expect(inPlace(p.actions)).toEqual([]);
  });
});

describe('plan: claims', () => {
  const claimTemplate = {
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
  const withClaims = (policy?: object) =>
    statefulSet(
      parallel(
        {},
        {
          replicas: 2,
          volumeClaimTemplates: [claimTemplate],
          ...(policy ? { persistentVolumeClaimRetentionPolicy: policy } : {}),
        },
      ),
    );
  const claimObject = (name: string, ownerReferences: object[] = []) =>
    ({ metadata: { name, namespace: 'ns', ownerReferences }, spec: claimTemplate.spec }) as never;

  it('creates data-web-<ordinal> before its pod, mounted as the volume "data"; an existing claim is reused', () => {
    const sts = withClaims();
    const existing = new Map([['data-web-1', claimObject('data-web-1')]]);
    const p = run({ statefulSet: sts, revisions: [], claim: (n) => existing.get(n) });
    expect(
      p.actions
        .filter((a) => a.type === 'createPVC' || a.type === 'createPod')
        .map((a) => (a.type === 'createPVC' ? `pvc ${a.pvc.metadata.name}` : `pod ${a.pod.metadata.name}`)),
    ).toEqual(['pvc data-web-0', 'pod web-0', 'pod web-1']);
    const pvc = ofType(p.actions, 'createPVC')[0]!.pvc;
    expect(pvc.metadata).toMatchObject({ labels: { app: 'web' }, ownerReferences: [] });
    expect(ofType(p.actions, 'createPod')[1]!.pod.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-1', readOnly: false } },
    ]);
  });

  it('whenDeleted Delete: new claims are controlled by the set', () => {
    const p = run({
      statefulSet: withClaims({ whenDeleted: 'Delete', whenScaled: 'Retain' }),
      revisions: [],
    });
    expect(ofType(p.actions, 'createPVC')[0]!.pvc.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'StatefulSet', uid: 'sts-uid', controller: true }),
    ]);
  });

  it('whenScaled Delete: a scaled-down pod gets its claim before it is deleted', () => {
    const sts = withClaims({ whenDeleted: 'Retain', whenScaled: 'Delete' });
    const claims = new Map(['data-web-0', 'data-web-1', 'data-web-2'].map((n) => [n, claimObject(n)]));
    const p = run({ statefulSet: sts, pods: podsAt([0, 1, 2], r1), claim: (n) => claims.get(n) });
    expect(p.actions.filter((a) => a.type === 'updatePVCOwners' || a.type === 'deletePod')).toEqual([
      expect.objectContaining({
        type: 'updatePVCOwners',
        name: 'data-web-2',
        remove: [],
        add: [expect.objectContaining({ kind: 'Pod', name: 'web-2', uid: 'uid-web-2', controller: true })],
      }),
      expect.objectContaining({ type: 'deletePod', name: 'web-2', pvcs: [] }),
    ]);
  });

  it('waits while a claim still belongs to the earlier pod of the ordinal', () => {
    const sts = withClaims({ whenDeleted: 'Retain', whenScaled: 'Delete' });
    const stale = claimObject('data-web-1', [
      { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'gone', controller: true },
    ]);
    const p = run({
      statefulSet: sts,
      pods: podsAt([0], r1),
      claim: (n) => (n === 'data-web-1' ? stale : undefined),
    });
    expect(created(p.actions)).toEqual([]);
    expect(p.requeueAfterMs).toBe(1000);
  });
});

describe('plan: status', () => {
  it('counts replicas, ready, available, current and updated pods, and the revisions', () => {
    const { sts, old, r2, revisions } = updating(parallel({ maxUnavailable: 1 }, { replicas: 4 }));
    const pods = [...podsAt([0, 1], old), podAt(2, r2), podAt(3, r2, { ready: false })];
    const p = run({ statefulSet: sts, pods, revisions });
    expect(p.status).toMatchObject({
      observedGeneration: 2,
      replicas: 4,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 2,
      updatedReplicas: 2,
      updatedReadyReplicas: 1,
      updatedAvailableReplicas: 1,
      currentRevision: old.metadata.name,
      updateRevision: r2.metadata.name,
      collisionCount: 0,
      labelSelector: 'app=web',
    });
  });

  it('makes the update revision current once every pod is updated and ready', () => {
    const { sts, r2, revisions } = updating(parallel({}, { replicas: 3 }));
    const p = run({ statefulSet: sts, pods: podsAt([0, 1, 2], r2), revisions });
    expect(p.status).toMatchObject({
      currentRevision: r2.metadata.name,
      currentReplicas: 3,
      updatedReplicas: 3,
    });
  });

  it('does nothing but report while the set is being deleted', () => {
    const sts = {
      ...statefulSet(),
      metadata: { ...statefulSet().metadata, deletionTimestamp: NOW.toISOString() },
    };
    const p = run({ statefulSet: sts, pods: podsAt([0], r1) });
    expect(p.actions.filter((a) => a.type !== 'createRevision')).toEqual([]);
    expect(p.status.replicas).toBe(1);
  });

  it('releases a pod its selector no longer matches', () => {
    const pods: Pod[] = podsAt([0, 1], r1);
    pods[1]!.metadata.labels!.app = 'debug';
    const p = run({ statefulSet: statefulSet({ replicas: 2 }), pods });
    expect(ofType(p.actions, 'releasePod').map((a) => a.name)).toEqual(['web-1']);
  });
});
