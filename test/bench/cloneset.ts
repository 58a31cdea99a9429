// npm run bench:cloneset [-- --replicas N --nodes N --profile default|instant|both
//                            --only cloneset|deployment --details --pod-start 30s --container-restart 1s]
// One image update of 1000 pods on 50 kwok nodes, in the same cluster and run, under each simulated
// kubelet profile: a CloneSet (InPlaceIfPossible, maxUnavailable 20%) driven by our controller in-process,
// and a native Deployment (maxUnavailable 20%) with its default maxSurge 25% and with maxSurge 0, driven by
// kube-controller-manager. The default profile is realistic: a new pod takes 30 s (scheduling, sandbox,
// IP, image pull), an in-place restart of a pre-pulled image 1 s; kwok's instant profile starts pods at
// once and restarts in 200 ms. Goal at the default profile: the CloneSet ≥ 8× faster than the Deployment,
// 0 pods recreated, ≤ 5 API writes per updated pod. API writes are counted by the apiserver
// (apiserver_request_total, mutating verbs, without Events, Leases and Nodes: every writer counts).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resourceOf } from '../../apis/install';
import type { LocalCluster } from '../../cluster/cluster';
import { CONTAINER_RESTART_DELAY_ANNOTATION, POD_START_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { Deployments, type KubeObject } from '../../runtime/meta';
import type { MeasuredProcess } from './manager-process';
import {
  apiserverCounters,
  checkDurations,
  difference,
  machine,
  printTable,
  ratio,
  runBench,
  seconds,
  waitNoPods,
  waitSettled,
  withBenchOperator,
} from './rollout-bench';
import { RolloutTracker } from './rollout-tracker';

const NAMESPACE = 'bench';
const ROLLOUT_TIMEOUT_MS = 20 * 60_000;
const MAX_UNAVAILABLE = '20%';
/** A Deployment's default maxSurge. */
const DEFAULT_SURGE = '25%';
const GOAL_SPEEDUP = 8;
const GOAL_WRITES_PER_POD = 5;
const IMAGE_V1 = 'registry.example/app:v1';
const IMAGE_V2 = 'registry.example/app:v2';

interface Workload extends KubeObject {
  spec?: { replicas?: number };
  status?: Record<string, unknown> & { observedGeneration?: number };
}

interface Measurement {
  workload: string;
  type: 'CloneSet' | 'Deployment';
  replicas: number;
  maxSurge: number;
  wallSeconds: number;
  podsRecreated: number;
  /** Pods there before the update that were deleted (the CloneSet must delete none). */
  oldPodsDeleted: number;
  podsRescheduled: number;
  apiWrites: number;
  /** Most unready pods (of the desired replicas) seen at any pod event during the rollout. */
  peakUnavailable: number;
  /** Invariant violations seen at pod events: over maxUnavailable, over replicas + maxSurge. */
  violations: string[];
  /** Writes and their mean apiserver latency per "VERB resource[/subresource]", for --details. */
  writesByKind: Map<string, { count: number; seconds: number }>;
  /** Progress samples taken while the rollout ran, for --details. */
  timeline: string[];
}

/** How long the simulated kubelet takes (Go durations); unset: kwok's stage defaults, 0 and 200 ms. */
interface KubeletTimes {
  /** A new pod: sandbox, network, volumes, image pull, start. */
  podStart?: string;
  /** An in-place container restart: stop, image pull, start. */
  containerRestart?: string;
}

interface Profile extends KubeletTimes {
  name: string;
}

const PROFILES: Record<'default' | 'instant', Profile> = {
  default: { name: 'default (realistic)', podStart: '30s', containerRestart: '1s' },
  instant: { name: "kwok's instant" },
};

function template(app: string, kubelet: KubeletTimes) {
  const annotations: Record<string, string> = {};
  if (kubelet.podStart) annotations[POD_START_DELAY_ANNOTATION] = kubelet.podStart;
  if (kubelet.containerRestart) annotations[CONTAINER_RESTART_DELAY_ANNOTATION] = kubelet.containerRestart;
  return {
    metadata: { labels: { app }, annotations },
    spec: {
      containers: [{ name: 'app', image: IMAGE_V1 }],
      tolerations: [KWOK_TOLERATION],
      terminationGracePeriodSeconds: 1,
    },
  };
}

function cloneSet(replicas: number, kubelet: KubeletTimes): Workload {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name: 'bench-cloneset', namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'bench-cloneset' } },
      template: template('bench-cloneset', kubelet),
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: MAX_UNAVAILABLE },
    },
  } as Workload;
}

function deployment(replicas: number, kubelet: KubeletTimes, maxSurge: string): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench-deployment', namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'bench-deployment' } },
      template: template('bench-deployment', kubelet),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: MAX_UNAVAILABLE, maxSurge } },
    },
  } as Workload;
}

/** Brings the workload up, updates its image once and measures the rollout. */
async function measure(
  cluster: LocalCluster,
  type: 'CloneSet' | 'Deployment',
  obj: Workload,
  surge = '0%',
): Promise<Measurement> {
  const { client, kubeconfigPath } = cluster;
  const app = obj.metadata?.name ?? '';
  const replicas = obj.spec?.replicas ?? 0;
  const resource = client.resource<Workload>(type === 'CloneSet' ? resourceOf('CloneSet') : Deployments);
  const tracker = new RolloutTracker(client, NAMESPACE, app);
  await tracker.start();
  try {
    await resource.create(obj);
    await waitSettled(tracker, type, ROLLOUT_TIMEOUT_MS, replicas, IMAGE_V1);
    process.stderr.write(`${type}: ${replicas} pods ready; updating the image\n`);
    const before = new Set(tracker.current().map((p) => p.metadata?.uid));
    const maxSurge = Math.ceil((replicas * parseFloat(surge)) / 100);
    tracker.checkLimits({ replicas, maxUnavailable: percentOf(replicas, MAX_UNAVAILABLE), maxSurge });
    const counters = apiserverCounters(kubeconfigPath);
    const started = performance.now();
    const patch = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: IMAGE_V2 }];
    await resource.patch({ namespace: NAMESPACE, name: app }, patch, { type: 'json' });
    const timeline: string[] = [];
    await waitSettled(tracker, type, ROLLOUT_TIMEOUT_MS, replicas, IMAGE_V2, timeline);
    const wallSeconds = (performance.now() - started) / 1000;
    const counted = apiserverCounters(kubeconfigPath);
    const after = tracker.current();
    // Deleting the workload makes its pods unavailable: that is not part of the rollout.
    tracker.close();
    await resource.delete({ namespace: NAMESPACE, name: app });
    return {
      workload:
        type === 'CloneSet'
          ? `CloneSet InPlaceIfPossible maxUnavailable ${MAX_UNAVAILABLE}`
          : `Deployment maxUnavailable ${MAX_UNAVAILABLE} maxSurge ${surge}`,
      type,
      replicas,
      maxSurge,
      wallSeconds,
      podsRecreated: after.filter((p) => !before.has(p.metadata?.uid)).length,
      oldPodsDeleted: [...before].filter((uid) => uid && tracker.deletedUids.has(uid)).length,
      podsRescheduled: counted.bindings - counters.bindings,
      apiWrites: counted.writes - counters.writes,
      peakUnavailable: tracker.peakUnavailable,
      violations: tracker.violations,
      writesByKind: difference(counted.byKind, counters.byKind),
      timeline,
    };
  } finally {
    tracker.close();
  }
}

const percentOf = (replicas: number, percent: string) => Math.floor((replicas * parseInt(percent, 10)) / 100);

/**
 * The rollout time if only the kubelet took time: a Deployment replaces maxUnavailable + maxSurge pods per
 * round of one pod start, the CloneSet restarts maxUnavailable pods per round of one container restart.
 */
function idealSeconds(r: Measurement, kubelet: KubeletTimes): number {
  const unavailable = percentOf(r.replicas, MAX_UNAVAILABLE);
  if (r.type === 'CloneSet') return (r.replicas / unavailable) * seconds(kubelet.containerRestart, 0.2);
  return (r.replicas / (unavailable + r.maxSurge)) * seconds(kubelet.podStart, 0);
}

/** Our controller's reconciles (by result) and time spent in them, over the whole run. */
async function printControllerMetrics(manager: MeasuredProcess): Promise<void> {
  const wanted = [
    'controller_runtime_reconcile_total',
    'controller_runtime_reconcile_time_seconds_sum',
    'controller_runtime_reconcile_time_seconds_count',
  ];
  const text = await manager.metrics();
  process.stdout.write('\nCloneSet controller (whole run)\n');
  for (const line of text.split('\n'))
    if (wanted.some((name) => line.startsWith(`${name}{`))) process.stdout.write(`  ${line}\n`);
}

function report(
  profile: Profile,
  results: Measurement[],
  replicas: number,
  nodes: number,
  details: boolean,
  conditions: string,
): void {
  const maxUnavailable = percentOf(replicas, MAX_UNAVAILABLE);
  process.stdout.write(
    `\nSimulated kubelet, ${profile.name} profile: new pod starts in ${profile.podStart ?? '0s'}, ` +
      `in-place container restart ${profile.containerRestart ?? '200ms'}\n` +
      `One image update of ${replicas} pods on ${nodes} kwok nodes (maxUnavailable ${maxUnavailable}); ${conditions}\n`,
  );
  const cloneset = results.find((r) => r.type === 'CloneSet');
  const header = [
    'workload',
    'wall s',
    'ideal s',
    'wall ÷ CloneSet',
    'ideal ÷ CloneSet',
    'recreated',
    'rescheduled',
    'old pods deleted',
    'API writes',
    'writes/pod',
    'peak unavailable',
    'invariants',
  ];
  const rows = results.map((r) => [
    r.workload,
    r.wallSeconds.toFixed(1),
    idealSeconds(r, profile).toFixed(1),
    ratio(r.wallSeconds, cloneset?.wallSeconds),
    ratio(idealSeconds(r, profile), cloneset && idealSeconds(cloneset, profile)),
    String(r.podsRecreated),
    String(r.podsRescheduled),
    String(r.oldPodsDeleted),
    String(r.apiWrites),
    (r.apiWrites / r.replicas).toFixed(2),
    String(r.peakUnavailable),
    r.violations.length === 0 ? 'held' : `${r.violations.length} violations`,
  ]);
  printTable(header, rows);
  for (const r of results)
    for (const v of r.violations.slice(0, 5)) process.stdout.write(`  ${r.workload}: ${v}\n`);
  if (details) for (const r of results) printDetails(r);
  const surged = results.find((r) => r.type === 'Deployment' && r.maxSurge > 0);
  if (profile !== PROFILES.default || !cloneset || !surged) return;
  const speedup = surged.wallSeconds / cloneset.wallSeconds;
  const writes = cloneset.apiWrites / cloneset.replicas;
  const met = speedup >= GOAL_SPEEDUP && cloneset.podsRecreated === 0 && writes <= GOAL_WRITES_PER_POD;
  process.stdout.write(
    `  goal (${profile.name}): CloneSet ≥ ${GOAL_SPEEDUP}× faster than the Deployment with surge, 0 recreated, ` +
      `≤ ${GOAL_WRITES_PER_POD} writes per updated pod: ${speedup.toFixed(1)}×, ${cloneset.podsRecreated} recreated, ` +
      `${writes.toFixed(2)} writes/pod → ${met ? 'met' : 'NOT met'}\n`,
  );
}

function printDetails(r: Measurement): void {
  process.stdout.write(`\n${r.workload}: API writes by request (count, mean apiserver latency)\n`);
  for (const [kind, { count, seconds }] of [...r.writesByKind].sort((a, b) => b[1].count - a[1].count)) {
    const meanMs = ((seconds / count) * 1000).toFixed(1);
    process.stdout.write(`  ${String(count).padStart(6)}  ${meanMs.padStart(7)} ms  ${kind}\n`);
  }
  process.stdout.write(`${r.workload}: progress\n`);
  for (const line of r.timeline) process.stdout.write(`  ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '1000' },
      nodes: { type: 'string', default: '50' },
      /** cloneset, deployment or both */
      only: { type: 'string', default: 'both' },
      /** default (30 s pod start, 1 s restart), instant (kwok's own) or both. */
      profile: { type: 'string', default: 'both' },
      /** Print writes per request type and a progress timeline. */
      details: { type: 'boolean', default: false },
      /** A profile of your own instead: time to start a new pod, e.g. 10s. */
      'pod-start': { type: 'string' },
      /** … and to restart a container in place, e.g. 2s. */
      'container-restart': { type: 'string' },
    },
  });
  const custom = values['pod-start'] !== undefined || values['container-restart'] !== undefined;
  const profiles: Profile[] = custom
    ? [{ name: 'custom', podStart: values['pod-start'], containerRestart: values['container-restart'] }]
    : values.profile === 'both'
      ? [PROFILES.default, PROFILES.instant]
      : [PROFILES[values.profile as 'default' | 'instant']].filter(Boolean);
  if (profiles.length === 0)
    throw new Error(`--profile must be default, instant or both, not ${values.profile}`);
  checkDurations({ '--pod-start': values['pod-start'], '--container-restart': values['container-restart'] });
  if (!['cloneset', 'deployment', 'both'].includes(values.only)) {
    throw new Error(`--only must be cloneset, deployment or both, not ${values.only}`);
  }
  const replicas = Number(values.replicas);
  const nodes = Number(values.nodes);
  await withBenchOperator(
    { nodes, namespace: NAMESPACE, controllers: 'cloneset' },
    async (cluster, manager) => {
      const reports: (() => void)[] = [];
      for (const kubelet of profiles) {
        process.stderr.write(`profile ${kubelet.name}\n`);
        const results: Measurement[] = [];
        if (values.only !== 'deployment') {
          results.push(await measure(cluster, 'CloneSet', cloneSet(replicas, kubelet)));
          await waitNoPods(cluster.client, NAMESPACE);
        }
        if (values.only !== 'cloneset') {
          for (const surge of [DEFAULT_SURGE, '0%']) {
            results.push(await measure(cluster, 'Deployment', deployment(replicas, kubelet, surge), surge));
            await waitNoPods(cluster.client, NAMESPACE);
          }
        }
        // Each table is printed as soon as its profile is done, and again together at the end.
        const conditions = machine();
        report(kubelet, results, replicas, nodes, values.details, conditions);
        reports.push(() => report(kubelet, results, replicas, nodes, false, conditions));
      }
      if (reports.length > 1) {
        process.stdout.write('\n==== all profiles ====\n');
        for (const print of reports) print();
      }
      if (values.details) await printControllerMetrics(manager);
    },
  );
}

runBench('bench:cloneset', main);
