import { BroadcastJobControllerUidLabel, BroadcastJobNameLabel, type Pod } from '../../apis';
import { nodeFitChanged } from './controller';
import { podNameFor } from './new-pod';
import { podState, RESOURCE_RECHECK_MS } from './plan';
import {
  created,
  deleted,
  job,
  jobPod,
  KWOK_TOLERATION,
  node,
  nodes,
  run,
  secondsAgo,
} from './testing/fixtures';

const noSchedule = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
const noExecute = { key: 'maintenance', effect: 'NoExecute' };
const template = (spec: Record<string, unknown>, restartPolicy = 'Never') => ({
  metadata: { labels: { app: 'warm' } },
  spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox' }], ...spec },
});

describe('BroadcastJob plan: eligible nodes', () => {
  it('creates one pod per node, pinned by node affinity, labelled and owned by the job', () => {
    const j = job();
    const p = run({ job: j, nodes: nodes('n2', 'n1', 'n3') });
    expect(created(p)).toEqual(['n1', 'n2', 'n3']);
    const pod = (p.actions[0] as Extract<(typeof p.actions)[0], { type: 'createPod' }>).pod;
    expect(pod.metadata).toMatchObject({
      name: podNameFor(j, 'n1'),
      namespace: 'ns',
      labels: { app: 'warm', [BroadcastJobNameLabel]: 'warm', [BroadcastJobControllerUidLabel]: 'job-uid' },
      ownerReferences: [{ kind: 'BroadcastJob', name: 'warm', uid: 'job-uid', controller: true }],
    });
    expect(pod.spec.nodeName).toBeUndefined();
    expect(p.status).toMatchObject({ desired: 3, active: 0, succeeded: 0, failed: 0, phase: 'running' });
    expect(p.status.startTime).toBe('2026-01-01T12:00:00Z');
  });

  type Case = [string, Record<string, unknown>, ReturnType<typeof node>[], string[]];
  it.each<Case>([
    [
      'nodeSelector picks a subset',
      { nodeSelector: { pool: 'gpu' } },
      [node('a', { labels: { pool: 'gpu' } }), node('b')],
      ['a'],
    ],
    [
      'required node affinity picks a subset',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'pool', operator: 'NotIn', values: ['gpu'] }] },
              ],
            },
          },
        },
      },
      [node('a', { labels: { pool: 'gpu' } }), node('b')],
      ['b'],
    ],
    [
      'an untolerated NoSchedule taint skips the node',
      {},
      [node('a', { taints: [noSchedule] }), node('b')],
      ['b'],
    ],
    [
      'an untolerated NoExecute taint skips the node',
      {},
      [node('a', { taints: [noExecute] }), node('b')],
      ['b'],
    ],
    [
      'tolerated taints include the node',
      {
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'db' },
          { operator: 'Exists', effect: 'NoExecute' },
        ],
      },
      [node('a', { taints: [noSchedule, noExecute] }), node('b')],
      ['a', 'b'],
    ],
    [
      'a PreferNoSchedule taint does not skip',
      {},
      [node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })],
      ['a'],
    ],
    ['a cordoned node is skipped', {}, [node('a', { unschedulable: true }), node('b')], ['b']],
    [
      'a cordoned node is taken when the pod tolerates node.kubernetes.io/unschedulable',
      { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] },
      [node('a', { unschedulable: true }), node('b')],
      ['a', 'b'],
    ],
    [
      'a node without the free resources is skipped',
      { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '3' } } }] },
      [node('a', { allocatable: { cpu: '2' } }), node('b')],
      ['b'],
    ],
    ['template nodeName limits the job to that node', { nodeName: 'b' }, nodes('a', 'b'), ['b']],
  ])('%s', (_name, spec, nodeList, expected) => {
    const p = run({ job: job({ template: template(spec) }), nodes: nodeList });
    expect(created(p)).toEqual(expected);
    expect(p.status.desired).toBe(expected.length);
  });

  it('counts what other pods on the node request, and looks again later when resources are short', () => {
    const big = template({
      containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '2' } } }],
    });
    const others = (name: string) =>
      name === 'a'
        ? [
            {
              metadata: { name: 'x' },
              spec: { containers: [{ name: 'c', resources: { requests: { cpu: '3' } } }] },
            } as Pod,
          ]
        : [];
    const p = run({ job: job({ template: big }), nodes: nodes('a', 'b'), podsOnNode: others });
    expect(created(p)).toEqual(['b']);
    expect(p.requeueAfterMs).toBe(RESOURCE_RECHECK_MS);
    const finished = { ...others('a')[0]!, status: { phase: 'Succeeded' } } as Pod;
    expect(
      created(run({ job: job({ template: big }), nodes: nodes('a'), podsOnNode: () => [finished] })),
    ).toEqual(['a']);
  });

  it('a node whose taint is removed later gets its pod (OpenKruise #1199)', () => {
    const j = job();
    const tainted = node('a', { taints: [noSchedule] });
    expect(created(run({ job: j, nodes: [tainted] }))).toEqual([]);
    expect(created(run({ job: j, nodes: [node('a')] }))).toEqual(['a']);
    // The controller hears of it: node updates pass when what node fit reads changes, not on heartbeats.
    const update = (old: object, obj: object) => nodeFitChanged({ type: 'update', old, obj } as never);
    expect(update(tainted, node('a'))).toBe(true);
    expect(update(node('a'), node('a', { unschedulable: true }))).toBe(true);
    expect(update(node('a'), node('a', { labels: { pool: 'x' } }))).toBe(true);
    expect(
      update(node('a'), { ...node('a'), status: { ...node('a').status, conditions: [{ type: 'Ready' }] } }),
    ).toBe(false);
  });
});

describe('BroadcastJob plan: pods already there', () => {
  it('keeps one pod per node and creates none where a pod is, whatever its state', () => {
    const j = job();
    const pods = [
      jobPod(j, 'a'),
      jobPod(j, 'b', { phase: 'Succeeded' }),
      jobPod(j, 'c', { phase: 'Pending' }),
      jobPod(j, 'd', { deleting: true }),
    ];
    const p = run({ job: j, nodes: nodes('a', 'b', 'c', 'd', 'e'), pods });
    expect(created(p)).toEqual(['e']);
    expect(p.status).toMatchObject({ desired: 5, active: 2, succeeded: 1, failed: 0 });
  });

  it('deletes a running pod only for what evicts it: NoExecute, affinity, a node that is gone', () => {
    const j = job({ template: template({ nodeSelector: { pool: 'x' } }) });
    const x = { labels: { pool: 'x' } };
    const pods = ['a', 'b', 'c', 'd', 'e', 'gone'].map((n) => jobPod(j, n));
    const nodeList = [
      node('a', { ...x, taints: [noSchedule] }),
      node('b', { ...x, unschedulable: true }),
      node('c', { ...x, taints: [noExecute] }),
      node('d'),
      node('e', { ...x, allocatable: { cpu: '0' } }),
    ];
    const p = run({ job: j, nodes: nodeList, pods });
    expect(deleted(p)).toEqual([podNameFor(j, 'c'), podNameFor(j, 'd'), podNameFor(j, 'gone')]);
    expect(p.events.filter((e) => e.reason === 'NodeNotEligible').map((e) => e.message)).toEqual([
      `pod ${podNameFor(j, 'c')} no longer fits node c: node(s) had untolerated taint {maintenance} (NoExecute)`,
      `pod ${podNameFor(j, 'd')} no longer fits node d: node(s) didn't match Pod's node affinity/selector`,
      `pod ${podNameFor(j, 'gone')} is on node gone, which no longer exists`,
    ]);
    expect(p.status).toMatchObject({ desired: 3, active: 3 });
  });

  it('keeps a running pod on a node gone NotReady: its own tolerations leave that to the taint manager', () => {
    const j = job();
    const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    const withDefaults = jobPod(j, 'a');
    // What the DefaultTolerationSeconds admission plugin adds to every pod.
    withDefaults.spec.tolerations = [
      ...(withDefaults.spec.tolerations ?? []),
      { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ];
    const without = jobPod(j, 'b');
    const p = run({
      job: j,
      nodes: [node('a', { taints: [unreachable] }), node('b', { taints: [unreachable] })],
      pods: [withDefaults, without],
    });
    expect(deleted(p)).toEqual([podNameFor(j, 'b')]);
    expect(p.status).toMatchObject({ desired: 1, active: 1 });
  });

  it('deletes a pod not yet bound whose node no longer takes new pods, and keeps finished ones', () => {
    const j = job();
    const pods = [jobPod(j, 'a', { phase: 'Pending' }), jobPod(j, 'b', { phase: 'Succeeded' })];
    const p = run({
      job: j,
      nodes: [node('a', { taints: [noSchedule] }), node('b', { taints: [noExecute] })],
      pods,
    });
    expect(deleted(p)).toEqual([podNameFor(j, 'a')]);
    expect(p.status).toMatchObject({ desired: 0, active: 0, succeeded: 1 });
  });

  it('waits for a terminating pod to go before its node gets another', () => {
    const j = job();
    const p = run({ job: j, nodes: nodes('a'), pods: [jobPod(j, 'a', { deleting: true })] });
    expect(p.actions).toEqual([]);
    expect(p.status.phase).toBe('running');
  });

  it('reports a second pod on one node and counts the node once', () => {
    const j = job();
    const twin = { ...jobPod(j, 'a'), metadata: { ...jobPod(j, 'a').metadata, name: 'twin', uid: 'twin' } };
    const p = run({ job: j, nodes: nodes('a'), pods: [jobPod(j, 'a'), twin] });
    expect(p.events.map((e) => e.reason)).toEqual(['DuplicatePodCreatedOnSameNode']);
    expect(p.status.desired).toBe(1);
  });
});

describe('BroadcastJob plan: parallelism', () => {
  it.each<[string, number | string | undefined, number, number]>([
    ['unlimited by default', undefined, 0, 8],
    ['an integer', 2, 0, 2],
    ['an integer, less what is active', 3, 2, 1],
    ['a percentage of desired, rounded up', '30%', 0, 3],
    ['a percentage, less what is active', '50%', 2, 2],
  ])('%s', (_name, parallelism, active, creates) => {
    const j = job({ parallelism });
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const pods = names.slice(0, active).map((n) => jobPod(j, n));
    const p = run({ job: j, nodes: nodes(...names), pods });
    expect(created(p)).toHaveLength(Math.min(creates, names.length - active));
  });

  it('counts only the pods it sees as active: a failed create never inflates status.active (OpenKruise #2414)', () => {
    const j = job({ parallelism: 2 });
    const p = run({ job: j, nodes: nodes('a', 'b', 'c'), pods: [jobPod(j, 'a', { phase: 'Succeeded' })] });
    expect(created(p)).toEqual(['b', 'c']);
    expect(p.status.active).toBe(0);
  });

  it('warns and creates nothing when more pods are active than parallelism allows', () => {
    const j = job({ parallelism: 1 });
    const p = run({ job: j, nodes: nodes('a', 'b', 'c'), pods: [jobPod(j, 'a'), jobPod(j, 'b')] });
    expect(created(p)).toEqual([]);
    expect(p.events.map((e) => e.reason)).toEqual(['TooManyActivePods']);
  });

  it('creates nothing while the job is being deleted', () => {
    const j = job();
    j.metadata!.deletionTimestamp = secondsAgo(1);
    expect(created(run({ job: j, nodes: nodes('a') }))).toEqual([]);
  });
});

describe('BroadcastJob plan: completion', () => {
  it('completes when every eligible node has a finished pod, and asks to come back at the TTL', () => {
    const j = job({ completionPolicy: { type: 'Always', ttlSecondsAfterFinished: 30 } });
    const pods = [jobPod(j, 'a', { phase: 'Succeeded' }), jobPod(j, 'b', { phase: 'Succeeded' })];
    const p = run({ job: j, nodes: nodes('a', 'b'), pods });
    expect(p.status).toMatchObject({
      phase: 'completed',
      completionTime: '2026-01-01T12:00:00Z',
      succeeded: 2,
      conditions: [
        {
          type: 'Complete',
          status: 'True',
          reason: 'Complete',
          message: 'Job completed, 2 pods succeeded, 0 pods failed',
        },
      ],
    });
    expect(p.events).toEqual([
      {
        type: 'Normal',
        reason: 'JobComplete',
        message: 'Job ns/warm is completed, 2 pods succeeded, 0 pods failed',
      },
    ]);
    expect(p.requeueAfterMs).toBe(30_000);
  });

  it('does not complete while a node has no pod or a pod still runs, nor with no eligible node', () => {
    const j = job();
    expect(
      run({ job: j, nodes: nodes('a', 'b'), pods: [jobPod(j, 'a', { phase: 'Succeeded' })] }).status.phase,
    ).toBe('running');
    expect(run({ job: j, nodes: nodes('a'), pods: [jobPod(j, 'a')] }).status.phase).toBe('running');
    expect(run({ job: j, nodes: [node('a', { taints: [noSchedule] })] }).status).toMatchObject({
      phase: 'running',
      desired: 0,
    });
  });

  it('completionPolicy Never never completes and follows nodes that join later', () => {
    const j = job({ completionPolicy: { type: 'Never' } });
    const pods = [jobPod(j, 'a', { phase: 'Succeeded' })];
    const p = run({ job: j, nodes: nodes('a', 'new'), pods });
    expect(created(p)).toEqual(['new']);
    expect(run({ job: j, nodes: nodes('a'), pods }).status.phase).toBe('running');
  });

  it('a finished job deletes itself once the TTL is up, and until then waits for it', () => {
    const done = { type: 'Complete', status: 'True' };
    const status = (ago: number) => ({
      conditions: [done],
      completionTime: secondsAgo(ago),
      phase: 'completed',
    });
    const policy = { completionPolicy: { type: 'Always' as const, ttlSecondsAfterFinished: 60 } };
    const waiting = run({ job: job(policy, status(20)), nodes: nodes('a') });
    expect(waiting.actions).toEqual([]);
    expect(waiting.requeueAfterMs).toBe(40_000);
    const expired = run({ job: job(policy, status(60)), nodes: nodes('a') });
    expect(expired.actions).toEqual([{ type: 'deleteOwner', reason: 'TTLExpired' }]);
    // No TTL: the job stays, and its status is left as it is.
    const kept = run({ job: job({}, status(3600)), nodes: nodes('a', 'b') });
    expect(kept).toMatchObject({ actions: [], status: status(3600) });
    expect(kept.requeueAfterMs).toBeUndefined();
  });
});

describe('BroadcastJob plan: failures', () => {
  it('activeDeadlineSeconds fails the job, deletes the active pods and counts them failed', () => {
    const j = job(
      { completionPolicy: { type: 'Always', activeDeadlineSeconds: 60 } },
      { startTime: secondsAgo(61) },
    );
    const pods = [jobPod(j, 'a'), jobPod(j, 'b', { phase: 'Succeeded' })];
    const p = run({ job: j, nodes: nodes('a', 'b', 'c'), pods });
    expect(deleted(p)).toEqual([podNameFor(j, 'a')]);
    expect(created(p)).toEqual([]);
    expect(p.status).toMatchObject({ phase: 'failed', active: 0, failed: 1, succeeded: 1 });
    expect(p.status.conditions).toEqual([expect.objectContaining({ type: 'Failed', status: 'True' })]);
    expect(p.events[0]).toMatchObject({ type: 'Warning', reason: 'DeadlineExceeded' });
  });

  it('before the deadline, asks to come back at it', () => {
    const j = job(
      { completionPolicy: { type: 'Always', activeDeadlineSeconds: 60 } },
      { startTime: secondsAgo(45) },
    );
    expect(run({ job: j, nodes: nodes('a'), pods: [jobPod(j, 'a')] }).requeueAfterMs).toBe(15_000);
  });

  it('FailFast fails the job on a failed pod', () => {
    const j = job();
    const p = run({
      job: j,
      nodes: nodes('a', 'b', 'c'),
      pods: [jobPod(j, 'a', { phase: 'Failed' }), jobPod(j, 'b')],
    });
    expect(deleted(p)).toEqual([podNameFor(j, 'b')]);
    expect(created(p)).toEqual([]);
    expect(p.status).toMatchObject({ phase: 'failed', failed: 2, active: 0 });
    expect(p.events[0]).toMatchObject({ type: 'Warning', reason: 'PodFailed' });
  });

  it('Continue keeps going and completes with the failures counted', () => {
    const j = job({ failurePolicy: { type: 'Continue' } });
    const failed = jobPod(j, 'a', { phase: 'Failed' });
    expect(created(run({ job: j, nodes: nodes('a', 'b'), pods: [failed] }))).toEqual(['b']);
    const p = run({ job: j, nodes: nodes('a', 'b'), pods: [failed, jobPod(j, 'b', { phase: 'Succeeded' })] });
    expect(p.status).toMatchObject({ phase: 'completed', failed: 1, succeeded: 1 });
  });

  it('Pause pauses on a failed pod (one Event) and resumes once no pod has failed', () => {
    const j = job({ failurePolicy: { type: 'Pause' } });
    const failed = jobPod(j, 'a', { phase: 'Failed' });
    const p = run({ job: j, nodes: nodes('a', 'b'), pods: [failed] });
    expect(created(p)).toEqual([]);
    expect(p.status.phase).toBe('paused');
    expect(p.events).toEqual([
      { type: 'Warning', reason: 'Paused', message: 'job is paused, due to failed pod' },
    ]);
    const again = run({ job: { ...j, status: p.status }, nodes: nodes('a', 'b'), pods: [failed] });
    expect(again.events).toEqual([]);
    // The failed pod deleted (by its user): the job continues, and node a gets a new pod.
    const resumed = run({ job: { ...j, status: p.status }, nodes: nodes('a', 'b') });
    expect(resumed.status.phase).toBe('running');
    expect(resumed.events.map((e) => e.reason)).toEqual(['Continue']);
    expect(created(resumed)).toEqual(['a', 'b']);
  });

  it('restartLimit: an OnFailure pod restarted more often than the limit has failed', () => {
    const j = job({
      template: template({}, 'OnFailure'),
      failurePolicy: { type: 'Continue', restartLimit: 2 },
    });
    expect(podState(jobPod(j, 'a', { restarts: 2 }), 2)).toBe('active');
    expect(podState(jobPod(j, 'a', { restarts: 3 }), 2)).toBe('failed');
    const initRestarts = jobPod(j, 'a', { restarts: 2 });
    initRestarts.status!.initContainerStatuses = [{ name: 'init', restartCount: 1 }];
    expect(podState(initRestarts, 2)).toBe('failed');
    const never = job();
    expect(podState(jobPod(never, 'a', { restarts: 9 }), 0)).toBe('active');
    // The over-limit pod still runs but is done for the job: it frees its parallelism slot and completes the node.
    const p = run({ job: j, nodes: nodes('a'), pods: [jobPod(j, 'a', { restarts: 3 })] });
    expect(p.status).toMatchObject({ phase: 'completed', failed: 1, active: 0 });
    expect(deleted(p)).toEqual([podNameFor(j, 'a')]);
  });

  it('a failed job deletes pods that were left running', () => {
    const status = { conditions: [{ type: 'Failed', status: 'True' }], phase: 'failed' };
    const j = job({}, status);
    const p = run({
      job: j,
      nodes: nodes('a', 'b'),
      pods: [jobPod(j, 'a'), jobPod(j, 'b', { phase: 'Succeeded' })],
    });
    expect(deleted(p)).toEqual([podNameFor(j, 'a')]);
    expect(p.status).toEqual(status);
  });
});

describe('BroadcastJob plan: paused', () => {
  it('creates nothing while paused, says so once, and continues when unpaused', () => {
    const j = job({ paused: true });
    const p = run({ job: j, nodes: nodes('a', 'b') });
    expect(created(p)).toEqual([]);
    expect(p.status).toMatchObject({ phase: 'paused', desired: 2 });
    expect(p.events.map((e) => e.reason)).toEqual(['Paused']);
    expect(run({ job: job({ paused: true }, p.status), nodes: nodes('a') }).events).toEqual([]);
    const resumed = run({ job: job({ paused: false }, p.status), nodes: nodes('a', 'b') });
    expect(resumed.status.phase).toBe('running');
    expect(resumed.events.map((e) => e.reason)).toEqual(['Continue']);
    expect(created(resumed)).toEqual(['a', 'b']);
  });
});

describe('BroadcastJob plan: the kwok toleration', () => {
  it('tolerates the kwok taint when the template says so', () => {
    const kwok = node('k', { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] });
    expect(created(run({ job: job(), nodes: [kwok] }))).toEqual([]);
    expect(
      created(run({ job: job({ template: template({ tolerations: [KWOK_TOLERATION] }) }), nodes: [kwok] })),
    ).toEqual(['k']);
  });
});
