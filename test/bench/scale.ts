// npm run bench:scale [-- --kruise-manager PATH --kruise-crds DIR --pods 1000 --clonesets 100 --per-cloneset 100 --nodes 200
//                          --only compare|scale --heap-snapshot]
// Memory and scale of the manager, run as the image runs it (`node dist/cmd/manager.js`; build first).
//  1. compare: one CloneSet of --pods pods, created and then updated in place, with our manager and, when
//     --kruise-manager gives the path of a kruise-manager binary you built, with OpenKruise's, one after
//     the other on the same control plane (each sees only its own pods). kruise-manager v1.9 runs on its
//     own CRDs (--kruise-crds: config/crd/bases of the same source), all of its kinds as it is installed:
//     ours store SidecarSets and StatefulSets as v1beta1 through our conversion webhook, down while it runs.
//  2. scale: --clonesets CloneSets of --per-cloneset pods on --nodes kwok nodes: a cold start of the
//     manager with all of them in place (to caches synced), then a rolling update of all of them at
//     once until the work queue is empty again.
// One table: peak RSS and heap (V8 heap used / Go heap in use, from each manager's /metrics), CPU,
// cache sync time, reconciles per second and p99 reconcile time. The figures depend on the machine and
// what else runs on it: the table says how many CPUs and what load average the run had.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { applyDefaults } from '../../apis/defaults';
import { crdName } from '../../apis/gen-crds';
import { CustomResourceDefinitions, installCrds, resourceOf, waitEstablished } from '../../apis/install';
import { KIND_NAMES, KINDS } from '../../apis/kinds';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { freePort } from '../../cluster/net';
import { fakeNodes, KWOK_TOLERATION } from '../../cluster/nodes';
import { sleep, waitFor } from '../../cluster/wait';
import type { KubeClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import {
  type KubeObject,
  MutatingWebhookConfigurations,
  Namespaces,
  type ResourceType,
  ValidatingWebhookConfigurations,
} from '../../runtime/meta';
import { removePodWebhookConfiguration } from '../../webhooks/setup';
import { MANAGER_BINARY, MeasuredProcess, metricValue, startOurManager } from './manager-process';

const OUR_CRDS = KIND_NAMES.map((kind) => crdName(KINDS[kind]));
const IMAGE = (version: number) => `registry.example/app:v${version}`;
const TIMEOUT_MS = 40 * 60_000;
const MiB = 1024 * 1024;

interface CloneSetObject extends KubeObject {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReadyReplicas?: number;
    updateRevision?: string;
    currentRevision?: string;
  };
}

interface Row {
  phase: string;
  manager: string;
  pods: number;
  createSeconds?: number;
  updateSeconds?: number;
  syncSeconds?: number;
  peakRssMiB: number;
  peakHeapMiB?: number;
  cpuSeconds: number;
  reconcilesPerSecond?: number;
  p99ReconcileMs?: number;
  queueDepthAfter?: number;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      'kruise-manager': { type: 'string' },
      'kruise-crds': { type: 'string' },
      pods: { type: 'string', default: '1000' },
      clonesets: { type: 'string', default: '100' },
      'per-cloneset': { type: 'string', default: '100' },
      nodes: { type: 'string', default: '200' },
      only: { type: 'string' },
      'heap-snapshot': { type: 'boolean', default: false },
    },
  });
  const int = (name: 'pods' | 'clonesets' | 'per-cloneset' | 'nodes') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
    return n;
  };
  if (values.only && !['compare', 'scale'].includes(values.only))
    throw new Error('--only is compare or scale');
  const kruise = values['kruise-manager'];
  if (kruise && !fs.existsSync(kruise)) throw new Error(`--kruise-manager ${kruise} does not exist`);
  const kruiseCrds = values['kruise-crds'];
  if (kruise && !kruiseCrds)
    throw new Error('--kruise-manager needs --kruise-crds: config/crd/bases of the source it was built from');
  if (kruiseCrds && !fs.existsSync(kruiseCrds)) throw new Error(`--kruise-crds ${kruiseCrds} does not exist`);
  return {
    kruiseManager: kruise,
    kruiseCrds,
    pods: int('pods'),
    cloneSets: int('clonesets'),
    perCloneSet: int('per-cloneset'),
    nodes: int('nodes'),
    only: values.only as 'compare' | 'scale' | undefined,
    heapSnapshot: values['heap-snapshot'],
  };
}

/** Already defaulted (OpenKruise's SetDefaults), so both managers get the very same object. */
function cloneSet(namespace: string, name: string, replicas: number): CloneSetObject {
  return applyDefaults('CloneSet', {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'app', image: IMAGE(1) }],
          tolerations: [KWOK_TOLERATION],
          terminationGracePeriodSeconds: 1,
        },
      },
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: '20%' },
    },
  } as CloneSetObject) as CloneSetObject;
}

/** Waits until every CloneSet in `namespace` reports all its pods ready at its update revision. */
async function waitRolledOut(client: KubeClient, namespace: string, what: string): Promise<void> {
  const cloneSets = client.resource<CloneSetObject>(resourceOf('CloneSet'));
  await waitFor(
    what,
    async () => {
      const { items } = await cloneSets.list({ namespace });
      return (
        items.length > 0 &&
        items.every((cs) => {
          const s = cs.status ?? {};
          const replicas = cs.spec?.replicas ?? 0;
          return (
            s.observedGeneration === cs.metadata?.generation &&
            s.readyReplicas === replicas &&
            s.updatedReadyReplicas === replicas &&
            s.currentRevision === s.updateRevision
          );
        })
      );
    },
    TIMEOUT_MS,
    1000,
  );
}

async function updateAll(client: KubeClient, namespace: string, image: string): Promise<void> {
  const cloneSets = client.resource<CloneSetObject>(resourceOf('CloneSet'));
  const { items } = await cloneSets.list({ namespace });
  // Only the image changes (a merge patch would replace the container list and drop its defaults).
  const patch = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }];
  for (let i = 0; i < items.length; i += 20) {
    await Promise.all(
      items
        .slice(i, i + 20)
        .map((cs) => cloneSets.patch({ namespace, name: cs.metadata?.name ?? '' }, patch, { type: 'json' })),
    );
  }
}

async function createAll(client: KubeClient, namespace: string, objects: CloneSetObject[]): Promise<void> {
  await client.resource(Namespaces).create({ metadata: { name: namespace } });
  const cloneSets = client.resource<CloneSetObject>(resourceOf('CloneSet'));
  for (let i = 0; i < objects.length; i += 20)
    await Promise.all(objects.slice(i, i + 20).map((o) => cloneSets.create(o)));
}

async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.resource(Namespaces).delete({ name });
  await waitGone(client, Namespaces, name, TIMEOUT_MS, 1000);
}

/** Our manager as the image runs it; local webhooks, no leader election (one replica). */
function startOurs(cluster: LocalCluster, label: string, heapSnapshotDir?: string) {
  const nodeFlags = heapSnapshotDir
    ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapSnapshotDir}`]
    : [];
  return startOurManager(cluster, { label, nodeFlags, logName: 'manager-bench.log' });
}

/**
 * A kruise-manager binary you built from OpenKruise's source, run the way its docs run it outside a
 * cluster: webhook certificates on disk for 127.0.0.1 (WEBHOOK_HOST), no leader election, metrics and
 * probes on loopback. Its webhook configurations must exist for it to become ready; they are created
 * empty, so the CloneSets are created already defaulted (the same object for both managers).
 */
async function startKruise(cluster: LocalCluster, binary: string) {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  // Our pod injector's configuration outlives our manager by design (it fails closed): kruise's pods
  // must not wait on it.
  await removePodWebhookConfiguration(cluster.client);
  const configurations = [
    [MutatingWebhookConfigurations, 'kruise-mutating-webhook-configuration'],
    [ValidatingWebhookConfigurations, 'kruise-validating-webhook-configuration'],
  ] as const;
  for (const [type, name] of configurations) {
    await cluster.client.resource(type).apply(
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: type.kind, metadata: { name } },
      {
        fieldManager: 'bench-scale',
      },
    );
  }
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kruise-webhook-certs-'));
  const manager = new MeasuredProcess(
    'kruise-manager',
    binary,
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--enable-leader-election=false',
      '--enable-pprof=false',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      `--health-probe-addr=127.0.0.1:${healthPort}`,
    ],
    path.join(cluster.logDir, 'kruise-manager.log'),
    metricsPort,
    {
      ...process.env,
      POD_NAMESPACE: 'kruise-system',
      WEBHOOK_HOST: '127.0.0.1',
      WEBHOOK_PORT: String(await freePort()),
      WEBHOOK_CERT_DIR: certDir,
    },
  );
  // Its configurations fail closed on pods and CRs: with nothing serving them they would block the
  // namespace's deletion and every later run.
  const cleanup = async () => {
    for (const [type, name] of configurations) await deleteIfPresent(cluster.client, type, name);
  };
  return { manager, port: healthPort, cleanup };
}

async function deleteIfPresent(client: KubeClient, type: ResourceType, name: string): Promise<void> {
  try {
    await client.resource(type).delete({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Waits until the cluster-scoped object `name` of `type` is gone (its finalizers done). */
async function waitGone(
  client: KubeClient,
  type: ResourceType,
  name: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<void> {
  await waitFor(
    `${type.kind} ${name} to be gone`,
    async () => {
      try {
        await client.resource(type).get({ name });
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
    timeoutMs,
    intervalMs,
  );
}

/** The CRDs in `dir` (kruise's config/crd/bases), instead of ours of the same names. */
function crdsIn(dir: string): KubeObject[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter((o): o is KubeObject => o?.kind === 'CustomResourceDefinition');
}

/**
 * Deletes the CRDs named in `remove` and creates `install` (none when only removing). A delete and
 * create rather than an update: the two sets disagree on the storage version.
 */
async function replaceCrds(client: KubeClient, remove: string[], install: KubeObject[]): Promise<void> {
  const crds = client.resource<KubeObject>(CustomResourceDefinitions);
  for (const name of remove) await deleteIfPresent(client, CustomResourceDefinitions, name);
  for (const name of remove) await waitGone(client, CustomResourceDefinitions, name, 120_000, 200);
  for (const crd of install) await crds.create(crd);
  await waitEstablished(
    client,
    install.map((crd) => crd.metadata?.name ?? ''),
    60_000,
  );
}

/** Phase 1: one CloneSet of `pods`, created and then updated in place, under `manager`. */
async function compare(
  cluster: LocalCluster,
  label: string,
  start: () => Promise<{ manager: MeasuredProcess; port: number; cleanup?: () => Promise<void> }>,
  pods: number,
  afterRollout?: (manager: MeasuredProcess) => Promise<void>,
): Promise<Row> {
  const namespace = `compare-${label.replace(/[^a-z0-9]/g, '')}`;
  const { manager, port, cleanup } = await start();
  try {
    await manager.readyAfterSeconds(port);
    manager.resetPeaks();
    const cpuBefore = manager.cpuSeconds();
    let t = performance.now();
    await createAll(cluster.client, namespace, [cloneSet(namespace, 'web', pods)]);
    await waitRolledOut(cluster.client, namespace, `${label}: ${pods} pods ready`);
    const createSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await updateAll(cluster.client, namespace, IMAGE(2));
    await sleep(1000); // the status must move on to the new revision before "rolled out" means anything
    await waitRolledOut(cluster.client, namespace, `${label}: ${pods} pods updated`);
    const updateSeconds = (performance.now() - t) / 1000;
    await afterRollout?.(manager);
    return {
      phase: `${pods} pods, 1 CloneSet`,
      manager: label,
      pods,
      createSeconds,
      updateSeconds,
      peakRssMiB: manager.peakRssBytes / MiB,
      peakHeapMiB: manager.peakHeapBytes ? manager.peakHeapBytes / MiB : undefined,
      cpuSeconds: manager.cpuSeconds() - cpuBefore,
    };
  } finally {
    // While the manager still serves: the namespace controller reads our CloneSets at v1beta1, through
    // our conversion webhook.
    await deleteNamespace(cluster.client, namespace);
    await manager.stop();
    await cleanup?.();
  }
}

/** The snapshot file in `dir` once V8 has finished writing it (it ends with the strings table). */
function finishedSnapshot(dir: string): string | undefined {
  const name = fs.readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
  if (!name) return undefined;
  const file = path.join(dir, name);
  const size = fs.statSync(file).size;
  if (size < 2) return undefined;
  const tail = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, tail, 0, 2, size - 2);
  fs.closeSync(fd);
  return tail.toString().includes(']}') || tail.toString().endsWith('}') ? file : undefined;
}

/** Reconcile count and the duration histogram's cumulative buckets, from /metrics. */
function reconcileStats(text: string) {
  const controller = 'controller="cloneset"';
  const total = metricValue(text, 'controller_runtime_reconcile_total', controller) ?? 0;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('controller_runtime_reconcile_time_seconds_bucket{') || !line.includes(controller))
      continue;
    const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
    buckets.set(
      le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
      Number(line.slice(line.lastIndexOf(' ') + 1)),
    );
  }
  return { total, buckets };
}

/** p99 from the difference of two cumulative histograms: the upper bound of the bucket it falls in. */
function p99Seconds(before: Map<number, number>, after: Map<number, number>): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (count <= 0) return undefined;
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.99 * count) return le;
  }
  return undefined;
}

/** Phase 2: many CloneSets: cold start with all pods in place, then all updated at once. */
async function scale(cluster: LocalCluster, count: number, perCloneSet: number): Promise<Row> {
  const namespace = 'scale';
  const pods = count * perCloneSet;
  let { manager, port } = await startOurs(cluster, 'outrigger');
  try {
    await manager.readyAfterSeconds(port);
    const objects = Array.from({ length: count }, (_, i) => cloneSet(namespace, `web-${i}`, perCloneSet));
    await createAll(cluster.client, namespace, objects);
    await waitRolledOut(cluster.client, namespace, `${pods} pods in ${count} CloneSets ready`);
    await manager.stop();

    ({ manager, port } = await startOurs(cluster, 'outrigger'));
    const syncSeconds = await manager.readyAfterSeconds(port);
    const cpuBefore = manager.cpuSeconds();
    const before = reconcileStats(await manager.metrics());
    const t = performance.now();
    await updateAll(cluster.client, namespace, IMAGE(2));
    await sleep(1000);
    await waitRolledOut(cluster.client, namespace, `${pods} pods in ${count} CloneSets updated`);
    const updateSeconds = (performance.now() - t) / 1000;
    const depth = await waitFor(
      'the work queue to drain',
      async () => {
        const value = metricValue(await manager.metrics(), 'workqueue_depth', 'name="cloneset"');
        return value === 0 ? value : undefined;
      },
      120_000,
      500,
    );
    const after = reconcileStats(await manager.metrics());
    const p99 = p99Seconds(before.buckets, after.buckets);
    return {
      phase: `${pods} pods, ${count} CloneSets`,
      manager: 'outrigger',
      pods,
      syncSeconds,
      updateSeconds,
      peakRssMiB: manager.peakRssBytes / MiB,
      peakHeapMiB: manager.peakHeapBytes / MiB,
      cpuSeconds: manager.cpuSeconds() - cpuBefore,
      reconcilesPerSecond: (after.total - before.total) / updateSeconds,
      p99ReconcileMs: p99 === undefined ? undefined : p99 * 1000,
      queueDepthAfter: depth,
    };
  } finally {
    await manager.stop();
  }
}

function printTable(rows: Row[], nodes: number, load: number[]): void {
  const f = (value: number | undefined, digits = 1) => (value === undefined ? '—' : value.toFixed(digits));
  const header = [
    'phase',
    'manager',
    'create s',
    'update s',
    'cold start→synced s',
    'peak RSS MiB',
    'peak heap MiB',
    'CPU s',
    'reconciles/s',
    'p99 reconcile ms',
    'queue depth after',
  ];
  const lines = rows.map((r) => [
    r.phase,
    r.manager,
    f(r.createSeconds),
    f(r.updateSeconds),
    f(r.syncSeconds),
    f(r.peakRssMiB, 0),
    f(r.peakHeapMiB, 0),
    f(r.cpuSeconds),
    f(r.reconcilesPerSecond, 0),
    f(r.p99ReconcileMs, 0),
    r.queueDepthAfter === undefined ? '—' : String(r.queueDepthAfter),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(
    [
      '',
      `bench:scale on ${os.cpus().length} CPUs, load average ${load.map((l) => l.toFixed(1)).join(' ')} at start; ` +
        `${nodes} kwok nodes; kwok plays pod start and in-place restart at its defaults (at once, 200 ms); ` +
        'managers run one at a time on the same control plane (node dist/cmd/manager.js; kruise-manager as built)',
      row(header),
      row(widths.map((w) => '-'.repeat(w))),
      ...lines.map(row),
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (!fs.existsSync(MANAGER_BINARY))
    throw new Error(`${MANAGER_BINARY} is missing: run 'npm run build' first`);
  const load = os.loadavg();
  const cluster = await startLocalCluster({
    nodes: fakeNodes(options.nodes, { capacity: { pods: '250' }, kwokTaint: true }),
    disableRateLimits: true,
    kubeletParallelism: 64,
  });
  const rows: Row[] = [];
  try {
    await installCrds(cluster.client);
    if (options.only !== 'scale') {
      const snapshotDir = options.heapSnapshot
        ? fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-heap-'))
        : undefined;
      rows.push(
        await compare(
          cluster,
          'outrigger',
          () => startOurs(cluster, 'outrigger', snapshotDir),
          options.pods,
          snapshotDir
            ? async (m) => {
                m.child.kill('SIGUSR2');
                const file = await waitFor(
                  'the heap snapshot',
                  () => finishedSnapshot(snapshotDir),
                  300_000,
                  1000,
                );
                process.stderr.write(`bench:scale: heap snapshot of our manager: ${file}\n`);
              }
            : undefined,
        ),
      );
      if (options.kruiseManager && options.kruiseCrds) {
        const binary = options.kruiseManager;
        const kruiseCrds = crdsIn(options.kruiseCrds);
        const kruiseNames = kruiseCrds.map((c) => c.metadata?.name ?? '');
        await replaceCrds(cluster.client, OUR_CRDS, kruiseCrds);
        rows.push(await compare(cluster, 'kruise-manager', () => startKruise(cluster, binary), options.pods));
        await replaceCrds(cluster.client, kruiseNames, []);
        await installCrds(cluster.client);
      }
    }
    if (options.only !== 'compare') rows.push(await scale(cluster, options.cloneSets, options.perCloneSet));
  } finally {
    printTable(rows, options.nodes, load);
    await cluster.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:scale: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
