// npm run bench:broadcastjob [-- --nodes 500 --pod-start 2s --run-time 0s --only full,daemon,paced
//                                 --cpu-prof <dir>]
// One pod on every one of 500 kwok nodes, in the same cluster and run: a BroadcastJob at parallelism 100%
// (our manager, its own process) until every pod Succeeded, a DaemonSet of the same pod
// (kube-controller-manager) until every pod is Ready, and a BroadcastJob at parallelism 10%.
// Both kinds place pods through kube-scheduler with a node-name affinity. The simulated kubelet starts a
// pod in --pod-start; a BroadcastJob pod then runs --run-time before it succeeds. Goals: the BroadcastJob
// at 100% takes ≤ 1.2× the DaemonSet's time; at 10%, active pods never exceed 10% of the nodes (50 of 500).
// Every workload is timed the same way: from its create to the moment one pod watch sees the last of its
// pods done (the owner's status only says how many pods that is, so neither controller's status write
// counts). API writes are counted by the apiserver (mutating verbs, without Events, Leases and Nodes).
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BroadcastJobNameLabel } from '../../apis';
import { resourceOf } from '../../apis/install';
import { POD_COMPLETE_DELAY_ANNOTATION, POD_START_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { sleep } from '../../cluster/wait';
import type { KubeClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Pods, type ResourceType } from '../../runtime/meta';
import { apiserverCounters } from './apiserver-writes';
import { type MeasuredProcess, metricValue } from './manager-process';
import { checkDurations, printTable, runBench, waitNoPods, withBenchOperator } from './rollout-bench';

const NAMESPACE = 'bench';
const TIMEOUT_MS = 20 * 60_000;
const GOAL_RATIO = 1.2;
const DaemonSets: ResourceType = {
  group: 'apps',
  version: 'v1',
  plural: 'daemonsets',
  kind: 'DaemonSet',
  namespaced: true,
};

interface TrackedPod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** The steps of a pod's way, in order: the watch records when it first saw each pod at each. */
const STAGES = ['created', 'bound', 'started', 'done'] as const;
type Stage = (typeof STAGES)[number];

interface Measurement {
  workload: string;
  pods: number;
  wallSeconds: number;
  apiWrites: number;
  peakActive: number;
  /** The most active pods allowed, when the workload has a limit. */
  limit?: number;
  /** CPU seconds our manager used until the workload finished (webhooks for the DaemonSet's pods too). */
  managerCpu: number;
  /** BroadcastJob reconciles until the workload finished. */
  reconciles: number;
  /** Seconds from the create until the watch saw each pod at each stage, sorted. */
  stages: Record<Stage, number[]>;
}

/**
 * Follows one workload's pods through a watch (no polling LISTs to load the apiserver being measured):
 * the pods done (Succeeded, or Ready for a DaemonSet) and the peak of active pods (not ended, not deleted).
 */
class PodTracker {
  private readonly informer: Informer<TrackedPod>;
  private readonly stop = new AbortController();
  peakActive = 0;
  done = 0;
  /** When the watch first saw `n` pods done, by n (performance.now()). */
  private readonly reached: number[] = [];
  /** When the watch first saw each pod (by uid) at each stage (performance.now()). */
  private readonly seen = new Map<Stage, Map<string, number>>(STAGES.map((s) => [s, new Map()]));

  constructor(client: KubeClient, labelSelector: string, isDone: (pod: TrackedPod) => boolean) {
    this.informer = new Informer<TrackedPod>(client.resource<TrackedPod>(Pods), {
      namespace: NAMESPACE,
      labelSelector,
      logger: silentLogger(),
    });
    const stagesOf = (pod: TrackedPod): Stage[] => {
      const phase = pod.status?.phase;
      const started = phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
      return STAGES.filter(
        (s) =>
          s === 'created' ||
          (s === 'bound' && Boolean(pod.spec?.nodeName)) ||
          (s === 'started' && started) ||
          (s === 'done' && isDone(pod)),
      );
    };
    const recount = (changed: TrackedPod) => {
      const uid = changed.metadata?.uid ?? '';
      for (const stage of stagesOf(changed)) {
        const times = this.seen.get(stage) as Map<string, number>;
        if (!times.has(uid)) times.set(uid, performance.now());
      }
      const pods = this.informer.lister.list();
      const ended = (p: TrackedPod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
      const active = pods.filter((p) => !ended(p) && !p.metadata?.deletionTimestamp).length;
      this.peakActive = Math.max(this.peakActive, active);
      this.done = pods.filter(isDone).length;
      for (let n = this.reached.length; n <= this.done; n++) this.reached[n] = performance.now();
    };
    this.informer.addEventHandler({
      onAdd: recount,
      onUpdate: (_old, pod) => recount(pod),
      onDelete: recount,
    });
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await this.informer.waitForSync(this.stop.signal);
  }

  /** Seconds after `since` at which the watch first saw each pod at each stage, sorted. */
  stages(since: number): Record<Stage, number[]> {
    const of = (stage: Stage) =>
      [...(this.seen.get(stage) as Map<string, number>).values()]
        .map((t) => (t - since) / 1000)
        .sort((a, b) => a - b);
    return Object.fromEntries(STAGES.map((s) => [s, of(s)])) as Record<Stage, number[]>;
  }

  /** When the watch first saw `n` pods done; undefined if it has not yet. */
  reachedAt(n: number): number | undefined {
    return this.reached[n];
  }

  close(): void {
    this.stop.abort();
  }
}

const isSucceeded = (pod: TrackedPod) => pod.status?.phase === 'Succeeded';
const isReady = (pod: TrackedPod) =>
  !pod.metadata?.deletionTimestamp &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

interface KubeletTimes {
  podStart: string;
  runTime: string;
}

function podTemplate(app: string, restartPolicy: string, kubelet: KubeletTimes) {
  return {
    metadata: {
      labels: { app },
      annotations: {
        [POD_START_DELAY_ANNOTATION]: kubelet.podStart,
        [POD_COMPLETE_DELAY_ANNOTATION]: kubelet.runTime,
      },
    },
    spec: {
      restartPolicy,
      containers: [{ name: 'prepull', image: 'registry.example/app:v1' }],
      tolerations: [KWOK_TOLERATION],
      terminationGracePeriodSeconds: 1,
    },
  };
}

/**
 * The pods the workload wants, once its own status says every one of them is done (the BroadcastJob's
 * Complete condition; the DaemonSet's numberReady reaching desiredNumberScheduled); undefined before.
 * The number of eligible nodes can be below the node count: under load kwok may miss node heartbeats, and
 * kube-controller-manager then taints a node not-ready for a while.
 */
type Finished = (owner: Owner) => number | undefined;

interface Owner extends KubeObject {
  status?: {
    conditions?: { type: string; status: string }[];
    desired?: number;
    succeeded?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
  };
}

const jobFinished: Finished = (job) =>
  job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
    ? job.status.succeeded
    : undefined;
const daemonSetFinished: Finished = (ds) => {
  const desired = ds.status?.desiredNumberScheduled ?? 0;
  return desired > 0 && ds.status?.numberReady === desired ? desired : undefined;
};

/** Polls the owner's status (one GET every 250 ms, light next to the pods' writes). */
async function waitFinished(
  client: KubeClient,
  resource: ResourceType,
  name: string,
  finished: Finished,
  what: string,
) {
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    const owner = await client.resource<Owner>(resource).get({ namespace: NAMESPACE, name });
    const pods = finished(owner);
    if (pods !== undefined) return pods;
    await sleep(250);
  }
  throw new Error(`${what}: not finished after ${TIMEOUT_MS / 1000}s`);
}

/** What a measurement reads besides its pods: the apiserver's counters and our manager's. */
interface Bench {
  client: KubeClient;
  kubeconfig: string;
  manager: MeasuredProcess;
}

/** Reconciles our BroadcastJob controller has finished so far, from the manager's /metrics. */
async function reconciles(manager: MeasuredProcess): Promise<number> {
  const text = await manager.metrics();
  return metricValue(text, 'controller_runtime_reconcile_total', 'controller="broadcastjob"') ?? 0;
}

async function measure(
  { client, kubeconfig, manager }: Bench,
  workload: string,
  resource: ResourceType,
  obj: KubeObject,
  labelSelector: string,
  isDone: (pod: TrackedPod) => boolean,
  finished: Finished,
  limit?: number,
): Promise<Measurement> {
  const tracker = new PodTracker(client, labelSelector, isDone);
  await tracker.start();
  const name = obj.metadata?.name ?? '';
  try {
    const before = apiserverCounters(kubeconfig);
    const [reconcilesBefore, cpuBefore] = [await reconciles(manager), manager.cpuSeconds()];
    const started = performance.now();
    await client.resource(resource).create(obj);
    const pods = await waitFinished(client, resource, name, finished, workload);
    const apiWrites = apiserverCounters(kubeconfig).writes - before.writes;
    const managerCpu = manager.cpuSeconds() - cpuBefore;
    const reconciled = (await reconciles(manager)) - reconcilesBefore;
    // The watch may be a moment behind the status it is checked against.
    for (let i = 0; i < 40 && tracker.reachedAt(pods) === undefined; i++) await sleep(250);
    const doneAt = tracker.reachedAt(pods);
    if (doneAt === undefined) {
      throw new Error(`${workload}: finished with ${tracker.done} of ${pods} pods done`);
    }
    const wallSeconds = (doneAt - started) / 1000;
    process.stderr.write(`${workload}: ${pods} pods done in ${wallSeconds.toFixed(1)} s\n`);
    await client.resource(resource).delete({ namespace: NAMESPACE, name });
    const stages = tracker.stages(started);
    return {
      workload,
      pods,
      wallSeconds,
      apiWrites,
      peakActive: tracker.peakActive,
      limit,
      stages,
      managerCpu,
      reconciles: reconciled,
    };
  } finally {
    tracker.close();
  }
}

function broadcastJob(name: string, parallelism: string, kubelet: KubeletTimes): KubeObject {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'BroadcastJob',
    metadata: { name, namespace: NAMESPACE },
    spec: { parallelism, template: podTemplate(name, 'Never', kubelet) },
  } as KubeObject;
}

function daemonSet(name: string, kubelet: KubeletTimes): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, 'Always', kubelet),
    },
  } as KubeObject;
}

function report(results: Measurement[], nodes: number, kubelet: KubeletTimes): void {
  process.stdout.write(
    `\n${nodes} kwok nodes, one pod each; simulated kubelet: pod start ${kubelet.podStart}, ` +
      `BroadcastJob pod run time ${kubelet.runTime}\n` +
      `each timed by a pod watch until every pod Succeeded (BroadcastJob) or Ready (DaemonSet), ` +
      `against the DaemonSet of the same round; ` +
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (1, 5, 15 min) at the end\n`,
  );
  // The n-th run of a row is compared with the n-th DaemonSet run (--only may repeat rows).
  const daemons = results.filter((r) => r.workload === 'DaemonSet');
  const daemonOf = (r: Measurement) => {
    const round = results.filter((o) => o.workload === r.workload).indexOf(r);
    return daemons[Math.min(round, daemons.length - 1)];
  };
  const header = [
    'workload',
    'pods',
    'wall s',
    'wall ÷ DaemonSet',
    'API writes',
    'writes/pod',
    'peak active',
    'reconciles',
    'manager CPU s',
  ];
  const rows = results.map((r) => [
    r.workload,
    r.pods === nodes ? String(r.pods) : `${r.pods} of ${nodes}`,
    r.wallSeconds.toFixed(1),
    daemonOf(r) ? `${(r.wallSeconds / (daemonOf(r) as Measurement).wallSeconds).toFixed(2)}×` : '–',
    String(r.apiWrites),
    (r.apiWrites / r.pods).toFixed(2),
    r.limit === undefined ? String(r.peakActive) : `${r.peakActive} (limit ${r.limit})`,
    String(r.reconciles),
    r.managerCpu.toFixed(1),
  ]);
  printTable(header, rows);
  process.stdout.write(
    '\n  seconds from the create until the watch saw 50% / 90% / every pod created, bound, started, done:\n',
  );
  const quantile = (times: number[], q: number) =>
    times.length === 0 ? '–' : (times[Math.ceil(q * times.length) - 1] as number).toFixed(1);
  const stageRows = results.map((r) => [
    r.workload,
    ...STAGES.map((st) => [0.5, 0.9, 1].map((q) => quantile(r.stages[st], q)).join(' / ')),
  ]);
  printTable(['workload', ...STAGES], stageRows);
  process.stdout.write('\n');
  for (const full of results.filter((r) => r.workload.includes('100%'))) {
    const daemon = daemonOf(full);
    if (!daemon) continue;
    const ratio = full.wallSeconds / daemon.wallSeconds;
    process.stdout.write(
      `  goal: BroadcastJob 100% ≤ ${GOAL_RATIO}× the DaemonSet's time: ${ratio.toFixed(2)}× → ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'}\n`,
    );
  }
  for (const paced of results.filter((r) => r.limit !== undefined)) {
    if (paced.limit === undefined) continue;
    const met = paced.peakActive <= paced.limit;
    process.stdout.write(
      `  goal: BroadcastJob 10% never more than ${paced.limit} active pods: peak ${paced.peakActive} → ${met ? 'met' : 'NOT met'}\n`,
    );
  }
}

type Row = 'full' | 'daemon' | 'paced';
const ROWS: readonly Row[] = ['full', 'daemon', 'paced'];

/** --only: the rows to run, in order; a row may repeat (e.g. full,daemon,full,daemon to see the spread). */
function selectedRows(only: string): Row[] {
  const rows = only.split(',').map((r) => r.trim());
  const unknown = rows.filter((r) => !ROWS.includes(r as Row));
  if (unknown.length > 0 || rows.length === 0)
    throw new Error(`--only takes rows among ${ROWS.join(', ')}, not ${unknown.join(', ') || only}`);
  return rows as Row[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '500' },
      'pod-start': { type: 'string', default: '2s' },
      'run-time': { type: 'string', default: '0s' },
      only: { type: 'string', default: ROWS.join(',') },
      // Writes the manager's CPU profile (node --cpu-prof) into this directory when it stops.
      'cpu-prof': { type: 'string' },
    },
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`--nodes must be a whole number ≥ 1, not ${values.nodes}`);
  checkDurations({ '--pod-start': values['pod-start'], '--run-time': values['run-time'] });
  const kubelet = { podStart: values['pod-start'], runTime: values['run-time'] };
  const rows = selectedRows(values.only);
  await withBenchOperator(
    {
      nodes,
      namespace: NAMESPACE,
      controllers: 'broadcastjob',
      nodeFlags: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
    },
    async ({ client, kubeconfigPath }, manager) => {
      const bench = { client, kubeconfig: kubeconfigPath, manager };
      const jobPods = (name: string) => `${BroadcastJobNameLabel}=${name}`;
      const job = (name: string, parallelism: string, workload: string, limit?: number) =>
        measure(
          bench,
          workload,
          resourceOf('BroadcastJob'),
          broadcastJob(name, parallelism, kubelet),
          jobPods(name),
          isSucceeded,
          jobFinished,
          limit,
        );
      const run: Record<Row, () => Promise<Measurement>> = {
        full: () => job('bench-full', '100%', 'BroadcastJob parallelism 100%'),
        daemon: () =>
          measure(
            bench,
            'DaemonSet',
            DaemonSets,
            daemonSet('bench-daemon', kubelet),
            'app=bench-daemon',
            isReady,
            daemonSetFinished,
          ),
        paced: () => job('bench-paced', '10%', 'BroadcastJob parallelism 10%', Math.ceil(nodes / 10)),
      };
      const results: Measurement[] = [];
      for (const row of rows) {
        results.push(await run[row]());
        await waitNoPods(client, NAMESPACE);
      }
      report(results, nodes, kubelet);
    },
  );
}

runBench('bench:broadcastjob', main);
