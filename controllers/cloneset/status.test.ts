import { InPlaceUpdateReadyCondition, resolvePartition } from '../../apis';
import { computeStatus } from './status';
import { cloneSet, minutesAgo, NOW, pod, revisionOf, withImage } from './testing/fixtures';

const v1 = cloneSet();
const r1 = revisionOf(v1);
const r2 = revisionOf(withImage(v1, 'nginx:2'), 2);
const input = (cs: typeof v1, pods: ReturnType<typeof pod>[], now = NOW) => ({
  cs,
  pods,
  currentRevision: r1.metadata.name!,
  updateRevision: r2.metadata.name!,
  collisionCount: 0,
  partition: resolvePartition(cs.spec?.updateStrategy?.partition, cs.spec?.replicas),
  now,
});

describe('computeStatus', () => {
  it('counts replicas, ready, available and updated pods', () => {
    const pods = [
      pod('web-a', r1),
      pod('web-b', r2),
      pod('web-c', r2, { ready: false }),
      pod('web-d', r2, { state: 'Updating' }),
      pod('web-e', r2, { conditions: [{ type: InPlaceUpdateReadyCondition, status: 'False' }] }),
      pod('web-f', r2, { readyMinutesAgo: 0.1 }),
    ];
    const { status } = computeStatus(
      input(cloneSet({ replicas: 6, minReadySeconds: 30, updateStrategy: { partition: '20%' } }), pods),
    );
    expect(status).toMatchObject({
      observedGeneration: 3,
      replicas: 6,
      readyReplicas: 4,
      availableReplicas: 2,
      updatedReplicas: 5,
      updatedReadyReplicas: 3,
      updatedAvailableReplicas: 1,
      expectedUpdatedReplicas: 4,
      currentRevision: r1.metadata.name,
      updateRevision: r2.metadata.name,
      collisionCount: 0,
      labelSelector: 'app=web',
    });
  });

  it('makes the update revision current once every pod is at it, ready or not', () => {
    const pods = [pod('web-a', r2, { ready: false }), pod('web-b', r2), pod('web-c', r2), pod('web-d', r2)];
    expect(computeStatus(input(v1, pods)).status.currentRevision).toBe(r2.metadata.name);
    expect(computeStatus(input(v1, pods.slice(1))).status.currentRevision).toBe(r1.metadata.name);
  });

  it('asks to look again after minReadySeconds while pods are ready but not yet available', () => {
    const pods = [pod('web-a', r2, { readyMinutesAgo: 0.1 })];
    expect(computeStatus(input(cloneSet({ replicas: 1, minReadySeconds: 30 }), pods)).requeueAfterMs).toBe(
      30_000,
    );
  });
});

describe('Progressing condition', () => {
  const all = (rev: typeof r1, o = {}) => ['a', 'b', 'c', 'd'].map((n) => pod(`web-${n}`, rev, o));
  const cases = [
    { name: 'no progressDeadlineSeconds: no condition', spec: {}, pods: all(r1), want: undefined },
    {
      name: 'available',
      spec: { progressDeadlineSeconds: 600 },
      pods: all(r2),
      want: ['True', 'CloneSetAvailable'],
    },
    {
      name: 'paused',
      spec: { progressDeadlineSeconds: 600, updateStrategy: { paused: true } },
      pods: all(r1),
      want: ['True', 'CloneSetPaused'],
    },
    {
      name: 'partition reached and available',
      spec: { progressDeadlineSeconds: 600, updateStrategy: { partition: 2 } },
      pods: [...all(r1).slice(0, 2), pod('web-x', r2), pod('web-y', r2)],
      want: ['True', 'ProgressPartitionAvailable'],
    },
    {
      name: 'rolling out',
      spec: { progressDeadlineSeconds: 600 },
      pods: all(r1),
      want: ['True', 'CloneSetUpdated'],
    },
  ];
  it.each(cases)('$name', ({ spec, pods, want }) => {
    const { status } = computeStatus(input(cloneSet(spec), pods));
    const cond = status.conditions?.find((c) => c.type === 'Progressing');
    expect(cond && [cond.status, cond.reason]).toEqual(want);
  });

  it('times out after progressDeadlineSeconds of progressing, and says when to look again before', () => {
    const progressingSince = (m: number) =>
      cloneSet({ progressDeadlineSeconds: 600 }, 'nginx:1') && {
        ...cloneSet({ progressDeadlineSeconds: 600 }),
        status: {
          replicas: 4,
          readyReplicas: 4,
          availableReplicas: 4,
          updatedReplicas: 0,
          updatedReadyReplicas: 0,
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'CloneSetUpdated',
              lastUpdateTime: minutesAgo(m),
              lastTransitionTime: minutesAgo(m),
            },
          ],
        },
      };
    const early = computeStatus(input(progressingSince(5), all(r1)));
    expect(early.status.conditions?.[0]?.reason).toBe('CloneSetUpdated');
    expect(early.requeueAfterMs).toBe(5 * 60_000 + 1000);
    const late = computeStatus(input(progressingSince(11), all(r1)));
    expect(late.status.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
  });

  it('starts a fresh clock when a new rollout follows an old Available condition', () => {
    const cs = {
      ...cloneSet({ progressDeadlineSeconds: 600 }),
      status: {
        replicas: 4,
        readyReplicas: 4,
        availableReplicas: 4,
        updatedReplicas: 4,
        updatedReadyReplicas: 4,
        conditions: [
          {
            type: 'Progressing',
            status: 'True',
            reason: 'CloneSetAvailable',
            lastUpdateTime: minutesAgo(600),
          },
        ],
      },
    };
    const cond = computeStatus(input(cs, all(r1))).status.conditions?.[0];
    expect(cond).toMatchObject({
      status: 'True',
      reason: 'CloneSetUpdated',
      lastUpdateTime: NOW.toISOString(),
    });
  });
});
