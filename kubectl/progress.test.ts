import { ControllerRevisionHashLabel, type Pod } from '../apis';
import * as cs from '../controllers/cloneset/testing/fixtures';
import * as sts from '../controllers/statefulset/testing/fixtures';
import {
  broadcastJobProgress,
  cloneSetProgress,
  progressLine,
  statefulSetProgress,
  summary,
} from './progress';
import { planText } from './render';

const at = (p: Pod, rev: string, ready = true) => {
  p.metadata.labels = { ...p.metadata.labels, [ControllerRevisionHashLabel]: rev };
  if (!ready) p.status!.conditions = [{ type: 'Ready', status: 'False' }];
  return p;
};

describe('rollout progress', () => {
  it('a CloneSet mid-rollout: counts, the batch, the pods in flight and the maxUnavailable wait', () => {
    const c = cs.cloneSet({ replicas: 4, updateStrategy: { type: 'ReCreate', maxUnavailable: 1 } });
    const r1 = cs.revisionOf(c, 1);
    c.metadata!.generation = 2;
    c.status = {
      observedGeneration: 2,
      replicas: 4,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 2,
      updatedReadyReplicas: 1,
      updateRevision: 'web-new',
      currentRevision: r1.metadata.name,
    };
    const pods = [
      at(cs.pod('web-a', r1), 'web-new'),
      at(cs.pod('web-b', r1), 'web-new', false),
      cs.pod('web-c', r1),
      cs.pod('web-d', r1),
    ];
    const p = cloneSetProgress(c, pods, cs.NOW);
    expect(p).toMatchObject({ target: 4, updated: 2, updatedReady: 1, done: false, inFlight: ['web-b'] });
    expect(p.batch).toEqual({ index: 2, total: 4, size: 1 });
    expect(p.blockers).toEqual(['maxUnavailable 1 reached: waiting for web-b to become available']);
    expect(progressLine(p)).toBe(
      '[######..................] 2/4 updated  3/4 ready  3/4 available  batch 2/4  updating web-b',
    );
    expect(summary(p)).toBe(
      'Waiting for cloneset "web" rollout to finish: 1 of 4 updated pods are ready (maxUnavailable 1 reached: waiting for web-b to become available)',
    );
  });

  it('paused, partitioned and hooked pods are named as what holds the rollout', () => {
    const c = cs.cloneSet({
      replicas: 2,
      updateStrategy: { type: 'InPlaceIfPossible', paused: true, partition: 1 },
      lifecycle: { inPlaceUpdate: { finalizersHandler: ['example.com/drain'] } },
    });
    const r1 = cs.revisionOf(c, 1);
    c.status = {
      observedGeneration: 3,
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 0,
      updatedReadyReplicas: 0,
    };
    const hooked = cs.pod('web-a', r1, { state: 'PreparingUpdate' });
    hooked.metadata.finalizers = ['example.com/drain'];
    const p = cloneSetProgress(c, [hooked, cs.pod('web-b', r1)], cs.NOW);
    expect(p.blockers).toEqual([
      'paused: resume it to go on',
      'partition 1: 1 pods stay at the old revision',
      'pod web-a is stuck in its inPlaceUpdate lifecycle hook (example.com/drain)',
    ]);
  });

  it('a finished partitioned Advanced StatefulSet is done, and says so', () => {
    const s = sts.statefulSet({
      replicas: 3,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
    });
    const r1 = sts.revisionOf(s, 1);
    s.status = {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 2,
      updatedReadyReplicas: 2,
      updateRevision: 'web-new',
    } as never;
    const p = statefulSetProgress(s, sts.podsAt([0, 1, 2], r1), sts.NOW);
    expect(p.done).toBe(true);
    expect(summary(p)).toBe('statefulset "web" partitioned roll out complete: 2 of 3 pods updated');
  });

  it('a failed BroadcastJob cannot finish', () => {
    const p = broadcastJobProgress({
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'BroadcastJob',
      metadata: { name: 'warm' },
      spec: { template: { spec: { containers: [] } } },
      status: {
        desired: 3,
        succeeded: 1,
        failed: 2,
        phase: 'failed',
        conditions: [{ type: 'Failed', status: 'True', message: 'pods failed' }],
      },
    } as never);
    expect(summary(p)).toBe('broadcastjob "warm" cannot finish: Failed: pods failed');
  });
});

describe('plan text', () => {
  it('one row per pod, the created pods, the held ones and the assumption', () => {
    const text = planText({
      kind: 'CloneSet',
      name: 'web',
      currentRevision: 'web-1',
      updateRevision: 'web-2',
      batches: [
        { pods: [{ pod: 'web-a', how: 'in place', why: 'image app=nginx:2' }], created: 0 },
        {
          pods: [{ pod: 'web-b', how: 'recreate', why: 'cannot change in place: spec.volumes' }],
          created: 1,
        },
      ],
      held: [{ pod: 'web-c', why: 'partition 1' }],
      removed: [],
      notes: [],
    });
    expect(text).toBe(
      [
        'cloneset/web: web-1 -> web-2',
        'BATCH   POD      UPDATE     WHY',
        '1       web-a    in place   image app=nginx:2',
        '2       web-b    recreate   cannot change in place: spec.volumes',
        '2       +1 new   create     at the update revision',
        'Stay at their revision: web-c (partition 1)',
        '2 batches, assuming each batch becomes ready.',
        '',
      ].join('\n'),
    );
  });
});
