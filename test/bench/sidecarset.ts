// npm run bench:sidecarset [-- --replicas N --nodes N --profile default|instant|both]
// Upgrading the mesh sidecar of 1000 pods, in the same cluster and run, two ways:
//   1. in place: a CloneSet's pods carry Envoy injected by a SidecarSet (maxUnavailable 20%), and the
//      SidecarSet's image changes: our SidecarSet controller restarts only the Envoy containers;
//   2. by recreation: a CloneSet (updateStrategy ReCreate, maxUnavailable 20%) with Envoy in its template,
//      whose Envoy image changes: every pod is deleted and created again, app included.
// The default kubelet profile is realistic: a new pod takes 30 s (scheduling, sandbox, IP, image pull), an
// in-place restart of a pre-pulled image 1 s; kwok's instant profile starts pods at once and restarts in
// 200 ms. Printed per row: wall time, API writes (counted by the apiserver: mutating requests except
// Events, Leases and Nodes), writes per pod, pods recreated, app container restarts (must be 0 in place:
// a recreated pod's app starts again, so recreation counts one per pod), and the ratio to in place.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resourceOf } from '../../apis/install';
import type { LocalCluster } from '../../cluster/cluster';
import { CONTAINER_RESTART_DELAY_ANNOTATION, POD_START_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import type { KubeObject } from '../../runtime/meta';
import { apiserverCounters, runBench, waitNoPods, waitSettled, withBenchOperator } from './rollout-bench';
import { RolloutTracker, type TrackedPod } from './rollout-tracker';

const NAMESPACE = 'bench';
const MAX_UNAVAILABLE = '20%';
const ENVOY_V1 = 'registry.example/envoy:1.30';
const ENVOY_V2 = 'registry.example/envoy:1.31';
const APP_IMAGE = 'registry.example/app:v1';
const ROLLOUT_TIMEOUT_MS = 20 * 60_000;

interface Profile {
  name: string;
  podStart?: string;
  containerRestart?: string;
}
const PROFILES: Record<'default' | 'instant', Profile> = {
  default: { name: 'default (realistic)', podStart: '30s', containerRestart: '1s' },
  instant: { name: "kwok's instant" },
};

interface Measurement {
  how: string;
  wallSeconds: number;
  apiWrites: number;
  recreated: number;
  appRestarts: number;
  violations: string[];
}

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function podTemplate(app: string, profile: Profile, envoy: boolean) {
  const annotations: Record<string, string> = {};
  if (profile.podStart) annotations[POD_START_DELAY_ANNOTATION] = profile.podStart;
  if (profile.containerRestart) annotations[CONTAINER_RESTART_DELAY_ANNOTATION] = profile.containerRestart;
  const containers = [{ name: 'app', image: APP_IMAGE }];
  // Envoy first, as the SidecarSet injects it (BeforeAppContainer): the tracker follows containers[0].
  if (envoy) containers.unshift({ name: 'envoy', image: ENVOY_V1 });
  return {
    metadata: { labels: { app }, annotations },
    spec: { containers, tolerations: [KWOK_TOLERATION], terminationGracePeriodSeconds: 1 },
  };
}

const cloneSet = (name: string, replicas: number, profile: Profile, recreate: boolean): Obj => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name, namespace: NAMESPACE },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: podTemplate(name, profile, recreate),
    updateStrategy: { type: 'ReCreate', maxUnavailable: MAX_UNAVAILABLE },
  },
});

const sidecarSet = (app: string): Obj => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'SidecarSet',
  metadata: { name: app },
  spec: {
    selector: { matchLabels: { app } },
    namespace: NAMESPACE,
    containers: [{ name: 'envoy', image: ENVOY_V1, podInjectPolicy: 'BeforeAppContainer' }],
    updateStrategy: { maxUnavailable: MAX_UNAVAILABLE },
  },
});

const appRestarts = (pods: TrackedPod[]) =>
  pods.reduce((sum, p) => {
    const statuses = (p.status?.containerStatuses ?? []) as { name?: string; restartCount?: number }[];
    return sum + (statuses.find((s) => s.name === 'app')?.restartCount ?? 0);
  }, 0);

/** Brings the pods up at Envoy v1, moves them to v2 by `upgrade`, and measures that. */
async function measure(
  cluster: LocalCluster,
  how: string,
  app: string,
  replicas: number,
  create: () => Promise<void>,
  upgrade: () => Promise<void>,
  cleanup: () => Promise<void>,
): Promise<Measurement> {
  const tracker = new RolloutTracker(cluster.client, NAMESPACE, app);
  await tracker.start();
  try {
    await create();
    await waitSettled(tracker, how, ROLLOUT_TIMEOUT_MS, replicas, ENVOY_V1);
    process.stderr.write(`${how}: ${replicas} pods ready; upgrading Envoy\n`);
    const before = new Set(tracker.current().map((p) => p.metadata?.uid));
    const maxUnavailable = Math.floor((replicas * Number.parseInt(MAX_UNAVAILABLE, 10)) / 100);
    tracker.checkLimits({ replicas, maxUnavailable, maxSurge: 0 });
    const writes = apiserverCounters(cluster.kubeconfigPath).writes;
    const started = performance.now();
    await upgrade();
    await waitSettled(tracker, how, ROLLOUT_TIMEOUT_MS, replicas, ENVOY_V2);
    const wallSeconds = (performance.now() - started) / 1000;
    const written = apiserverCounters(cluster.kubeconfigPath).writes - writes;
    const after = tracker.current();
    const recreated = after.filter((p) => !before.has(p.metadata?.uid)).length;
    // Cleaning up makes the pods unavailable: that is not part of the upgrade.
    tracker.close();
    await cleanup();
    return {
      how,
      wallSeconds,
      apiWrites: written,
      recreated,
      // A recreated pod's app container starts again: one app restart per recreated pod.
      appRestarts: appRestarts(after) + recreated,
      violations: [...tracker.violations],
    };
  } finally {
    tracker.close();
  }
}

function report(profile: Profile, results: Measurement[], replicas: number, nodes: number): void {
  process.stdout.write(
    `\nSimulated kubelet, ${profile.name} profile: new pod starts in ${profile.podStart ?? '0s'}, ` +
      `in-place container restart ${profile.containerRestart ?? '200ms'}\n` +
      `Envoy upgrade of ${replicas} pods on ${nodes} kwok nodes, maxUnavailable ${MAX_UNAVAILABLE}; machine: ` +
      `${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (1, 5, 15 min) when the profile finished\n`,
  );
  const inPlace = results[0];
  const header = [
    'how',
    'wall s',
    'wall ÷ in place',
    'API writes',
    'writes/pod',
    'recreated',
    'app restarts',
    'invariants',
  ];
  const rows = results.map((r) => [
    r.how,
    r.wallSeconds.toFixed(1),
    inPlace ? `${(r.wallSeconds / inPlace.wallSeconds).toFixed(1)}×` : '–',
    String(r.apiWrites),
    (r.apiWrites / replicas).toFixed(2),
    String(r.recreated),
    String(r.appRestarts),
    r.violations.length === 0 ? 'held' : `${r.violations.length} violations`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}\n`;
  process.stdout.write(line(header));
  for (const row of rows) process.stdout.write(line(row));
  for (const r of results)
    for (const v of r.violations.slice(0, 5)) process.stdout.write(`  ${r.how}: ${v}\n`);
  if (inPlace) {
    process.stdout.write(
      `  in place: ${inPlace.appRestarts} app container restarts (must be 0) → ${inPlace.appRestarts === 0 ? 'held' : 'NOT held'}\n`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '1000' },
      nodes: { type: 'string', default: '50' },
      profile: { type: 'string', default: 'default' },
    },
  });
  const profiles =
    values.profile === 'both'
      ? [PROFILES.default, PROFILES.instant]
      : [PROFILES[values.profile as 'default' | 'instant']].filter(Boolean);
  if (profiles.length === 0)
    throw new Error(`--profile must be default, instant or both, not ${values.profile}`);
  const replicas = Number(values.replicas);
  const nodes = Number(values.nodes);
  await withBenchOperator(
    { nodes, namespace: NAMESPACE, controllers: 'sidecarset,cloneset' },
    async (cluster) => {
      const cloneSets = cluster.client.resource<Obj>(resourceOf('CloneSet'));
      const sidecarSets = cluster.client.resource<Obj>(resourceOf('SidecarSet'));
      const envoyV2 = [{ name: 'envoy', image: ENVOY_V2, podInjectPolicy: 'BeforeAppContainer' }];
      for (const profile of profiles) {
        process.stderr.write(`profile ${profile.name}\n`);
        const results: Measurement[] = [];
        results.push(
          await measure(
            cluster,
            'SidecarSet in place',
            'mesh-inplace',
            replicas,
            async () => {
              await sidecarSets.create(sidecarSet('mesh-inplace'));
              await cloneSets.create(cloneSet('mesh-inplace', replicas, profile, false));
            },
            async () =>
              void (await sidecarSets.patch(
                { name: 'mesh-inplace' },
                { spec: { containers: envoyV2 } },
                { type: 'merge' },
              )),
            async () => {
              await cloneSets.delete({ namespace: NAMESPACE, name: 'mesh-inplace' });
              await sidecarSets.delete({ name: 'mesh-inplace' });
            },
          ),
        );
        await waitNoPods(cluster.client, NAMESPACE);
        results.push(
          await measure(
            cluster,
            'CloneSet ReCreate',
            'mesh-recreate',
            replicas,
            async () => void (await cloneSets.create(cloneSet('mesh-recreate', replicas, profile, true))),
            async () => {
              const patch = [
                { op: 'replace', path: '/spec/template/spec/containers/0/image', value: ENVOY_V2 },
              ];
              await cloneSets.patch({ namespace: NAMESPACE, name: 'mesh-recreate' }, patch, { type: 'json' });
            },
            async () => void (await cloneSets.delete({ namespace: NAMESPACE, name: 'mesh-recreate' })),
          ),
        );
        await waitNoPods(cluster.client, NAMESPACE);
        report(profile, results, replicas, nodes);
      }
    },
  );
}

runBench('bench:sidecarset', main);
