// npm run bench:webhook [-- --sidecarsets 100 --pods 600 --rounds 3 --concurrency 32 --rate 200 --seconds 10]
// The pod injection webhook with 100 SidecarSets (each pod is matched by 3 of them: a mesh, a log agent and
// a metrics agent), in one run:
//   1. the handler in-process (AdmissionRequest → patch), p50/p99;
//   2. the webhook server (in its own process, as the operator) over keep-alive HTTPS at a fixed rate:
//      round trip and handler time;
//   3. pod creation through the real apiserver: as fast as `concurrency` clients go, into a namespace the
//      webhook sees and one it does not (opted out), alternating rounds; then at the fixed rate, with the
//      handler time measured in the server.
//   4. where the CPU goes per pod create (kube-apiserver, etcd, the webhook server, the client), also for
//      pods sent already carrying the sidecars without the webhook: on a machine the pod creates saturate,
//      throughput is inversely proportional to it.
// Goals (issue 14): handler p99 ≤ 5 ms at 200 pod creates/s; throughput with the webhook ≥ 90% of without.
import { fork } from 'node:child_process';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ControllerRevision, Pod } from '../../apis/core-objects';
import { applyDefaults } from '../../apis/defaults';
import { installCrds, resourceOf } from '../../apis/install';
import type { SidecarSet } from '../../apis/sidecarset';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { cpuSecondsOf, descendantPids } from '../../cluster/processes';
import { waitFor } from '../../cluster/wait';
import { withHashes } from '../../controllers/sidecarset/revisions';
import { createClient, type KubeClient } from '../../runtime/client';
import { type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import type { AdmissionHandler, AdmissionRequest } from '../../webhooks/admission';
import { caBundlePem, WEBHOOK_CERT_SECRET } from '../../webhooks/certs';
import { INJECTION_OPT_OUT_LABEL, POD_MUTATE_PATH } from '../../webhooks/configurations';
import { SecretCertStore } from '../../webhooks/kube';
import { type PodInjectionSources, podInjectionHandler } from '../../webhooks/pod';
import type { ClientMessage, ServerMessage } from './webhook-server';

const OPERATOR_NS = 'outrigger-system';

/** 100 SidecarSets: teams' agents selecting their own apps, and the three every bench pod gets. */
function sidecarSets(count: number): SidecarSet[] {
  const set = (
    name: string,
    selector: Record<string, string>,
    container: string,
    extra = {},
  ): SidecarSet => ({
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: selector },
      containers: [
        {
          name: container,
          image: `registry.example/${container}:1.0`,
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { requests: { cpu: '10m', memory: '32Mi' } },
        },
      ],
      ...extra,
    },
  });
  const common = [
    set('mesh', { mesh: 'on' }, 'envoy', {
      initContainers: [{ name: 'mesh-init', image: 'registry.example/proxy:1.0', args: ['iptables'] }],
      volumes: [{ name: 'envoy-data', emptyDir: {} }],
    }),
    set('logs', { logs: 'on' }, 'log-agent', {}),
    set('metrics', { metrics: 'on' }, 'metrics-agent', {}),
  ];
  common[1]!.spec!.containers![0]!.shareVolumePolicy = { type: 'enabled' };
  common[1]!.spec!.containers![0]!.podInjectPolicy = 'AfterAppContainer';
  common[0]!.spec!.containers![0]!.volumeMounts = [{ name: 'envoy-data', mountPath: '/var/lib/envoy' }];
  const teams = Array.from({ length: count - common.length }, (_, i) =>
    set(`team-${i}`, { team: `t${i}`, tier: 'backend' }, `agent-${i}`, {
      namespaceSelector: { matchLabels: { team: `t${i}` } },
    }),
  );
  return [...common, ...teams];
}

function benchPod(namespace: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace,
      labels: { app: 'web', mesh: 'on', logs: 'on', metrics: 'on', 'pod-template-hash': 'abc123' },
    },
    spec: {
      schedulerName: 'none', // nothing schedules them: the bench measures admission and storage only
      containers: [
        {
          name: 'app',
          image: 'registry.example/web:1.2.3',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'TZ', value: 'UTC' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
          volumeMounts: [{ name: 'logs', mountPath: '/var/log/web' }],
        },
      ],
      volumes: [{ name: 'logs', emptyDir: {} }],
    },
  } as Pod;
}

const request = (pod: Pod, uid: string): AdmissionRequest => ({
  uid,
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  namespace: pod.metadata.namespace,
  operation: 'CREATE',
  object: JSON.parse(JSON.stringify(pod)),
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

/** Sources over fixed arrays, as the informers would hold them. */
function staticSources(sets: SidecarSet[]): PodInjectionSources {
  const prepared = sets.map((s) => withHashes(applyDefaults('SidecarSet', structuredClone(s)) as SidecarSet));
  return {
    waitForSync: async () => true,
    sidecarSets: () => prepared,
    namespaceLabels: async () => ({}),
    revisions: async (): Promise<ControllerRevision[]> => [],
  };
}

async function inProcess(handler: AdmissionHandler, iterations: number) {
  const signal = new AbortController().signal;
  const times: number[] = [];
  for (let i = 0; i < iterations + 500; i++) {
    const req = request(benchPod('bench', i), `u${i}`);
    const started = performance.now();
    const result = await handler(req, signal);
    if (i >= 500) times.push(performance.now() - started);
    if (result.type !== 'patch') throw new Error(`expected a patch, got ${JSON.stringify(result)}`);
  }
  return summary(times);
}

/**
 * Sends AdmissionReviews to the webhook server at `port` at `rate`/s for `seconds` over keep-alive HTTPS
 * (at most `maxInFlight` outstanding); the client-side latency per request.
 */
async function overHttps(
  port: number,
  ca: string,
  options: { rate: number; seconds: number; maxInFlight: number },
) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: options.maxInFlight, ca });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: POD_MUTATE_PATH,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const times: number[] = [];
  const rate = await paced(options, async (i) => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: request(benchPod('with-webhook', i), `h${i}`),
    };
    const body = JSON.stringify(review);
    const sent = performance.now();
    await post(body);
    times.push(performance.now() - sent);
  });
  agent.destroy();
  return { ...summary(times), rate };
}

/**
 * Runs `send(i)` at `rate`/s for `seconds`, with at most `maxInFlight` outstanding (a machine that cannot
 * keep up then sees a lower rate instead of an ever-growing queue); returns the rate achieved.
 */
async function paced(
  options: { rate: number; seconds: number; maxInFlight: number },
  send: (i: number) => Promise<void>,
): Promise<number> {
  const inflight = new Set<Promise<void>>();
  const total = options.rate * options.seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / options.rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inflight.size >= options.maxInFlight) await Promise.race(inflight);
    const done: Promise<void> = send(i).then(() => void inflight.delete(done));
    inflight.add(done);
  }
  await Promise.all(inflight);
  return total / ((performance.now() - started) / 1000);
}

/** Creates `count` pods made by `pod(offset + i)` with `concurrency` parallel clients; pods per second. */
async function createPods(
  client: KubeClient,
  pod: (i: number) => Pod,
  count: number,
  concurrency: number,
  offset: number,
) {
  const pods = client.resource<Pod & KubeObject>(Pods);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await pods.create(pod(offset + i));
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** `pod` as the apiserver stored it, minus what the server assigns: the same object sent anew. */
function resendable(pod: Pod, namespace: string) {
  const { uid, resourceVersion, creationTimestamp, managedFields, generation, ...metadata } =
    pod.metadata as Record<string, unknown>;
  const spec = structuredClone(pod.spec);
  return (i: number): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, name: `web-${i}`, namespace }, spec }) as Pod;
}

const COMPONENTS = ['kube-apiserver', 'etcd', 'webhook server', 'client'] as const;
type Component = (typeof COMPONENTS)[number];
type CpuSeconds = Record<Component, number>;
const zeroCpu = (): CpuSeconds => ({ 'kube-apiserver': 0, etcd: 0, 'webhook server': 0, client: 0 });

/** Creates pods at the paced rate; the client-side create latencies. */
async function createPodsPaced(
  client: KubeClient,
  namespace: string,
  options: { rate: number; seconds: number; maxInFlight: number },
  offset: number,
) {
  const pods = client.resource<Pod & KubeObject>(Pods);
  const times: number[] = [];
  const rate = await paced(options, async (i) => {
    const sent = performance.now();
    await pods.create(benchPod(namespace, offset + i));
    times.push(performance.now() - sent);
  });
  return { ...summary(times), rate };
}

const MODES = [
  'without the webhook',
  'pods already carrying the sidecars, without the webhook',
  'with the webhook',
] as const;
type Mode = (typeof MODES)[number];

interface Results {
  withWebhook: number[];
  withoutWebhook: number[];
  preInjected: number[];
  /** CPU seconds per component over all rounds of a mode, and the pods created. */
  cpu: Record<Mode, { seconds: CpuSeconds; pods: number; wallSeconds: number }>;
  https: { n: number; p50: number; p99: number; rate: number };
  handlerOverHttps: { n: number; p50: number; p99: number };
  paced: { n: number; p50: number; p99: number; rate: number };
  handlerAtRate: { n: number; p50: number; p99: number };
  injected: boolean;
}

/** The operator side (test/bench/webhook-server.ts) in its own process, driven over IPC. */
async function forkWebhookServer(kubeconfig: string) {
  const child = fork(path.join(__dirname, 'webhook-server.ts'), [kubeconfig, OPERATOR_NS], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends ServerMessage['type']>(type: T) =>
    new Promise<Extract<ServerMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (m: ServerMessage) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as Extract<ServerMessage, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`webhook server exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const send = (m: ClientMessage) => child.send(m);
  const { port } = await next('ready');
  return {
    port,
    pid: child.pid ?? 0,
    /** The handler latencies since the last call. */
    times: async () => {
      const reply = next('times');
      send({ type: 'times' });
      return (await reply).times;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      send({ type: 'stop' });
      await exited;
    },
  };
}

async function measure(
  sets: SidecarSet[],
  options: { pods: number; rounds: number; concurrency: number; rate: number; seconds: number },
): Promise<Results> {
  process.stderr.write('starting a local control plane (etcd, kube-apiserver)…\n');
  const cluster: LocalCluster = await startLocalCluster({
    controllerManager: false,
    scheduler: false,
    kwok: false,
    disableRateLimits: true,
  });
  const client = createClient(cluster.kubeconfigPath);
  let server: Awaited<ReturnType<typeof forkWebhookServer>> | undefined;
  try {
    await installCrds(cluster.client);
    const namespaces = cluster.client.resource(Namespaces);
    await namespaces.create({ metadata: { name: 'with-webhook' } });
    for (const name of ['without-webhook', 'pre-injected']) {
      await namespaces.create({ metadata: { name, labels: { [INJECTION_OPT_OUT_LABEL]: 'disabled' } } });
    }
    server = await forkWebhookServer(cluster.kubeconfigPath);
    const sidecarSetClient = cluster.client.resource(resourceOf('SidecarSet'));
    for (const s of sets) await sidecarSetClient.create(s as KubeObject);

    // Warm up both paths (the SidecarSet cache included), then check the pods really are injected.
    const pods = client.resource<Pod & KubeObject>(Pods);
    await waitFor('a pod injected with the 3 sidecars', async () => {
      await pods.delete({ namespace: 'with-webhook', name: 'web-0' }).catch(() => undefined);
      return (await pods.create(benchPod('with-webhook', 0))).spec.containers.length === 4;
    });
    await createPods(client, (i) => benchPod('with-webhook', i), 50, 8, 1);
    await createPods(client, (i) => benchPod('without-webhook', i), 50, 8, 1);
    const injectedPod = await pods.get({ namespace: 'with-webhook', name: 'web-50' });
    const injected = injectedPod.spec.containers.length === 4;
    const preInjectedPod = resendable(injectedPod, 'pre-injected');
    await createPods(client, preInjectedPod, 50, 8, 1);

    const apiserverPids = descendantPids(process.pid, 'kube-apiserver');
    const etcdPids = descendantPids(process.pid, 'etcd');
    if (apiserverPids.length === 0 || etcdPids.length === 0)
      throw new Error(
        'kube-apiserver or etcd not found among this process’s children: cannot measure their CPU',
      );
    const webhookPid = server.pid;
    const sum = (pids: number[]) => pids.reduce((total, pid) => total + cpuSecondsOf(pid), 0);
    const cpuNow = (): CpuSeconds => {
      const own = process.cpuUsage();
      return {
        'kube-apiserver': sum(apiserverPids),
        etcd: sum(etcdPids),
        'webhook server': cpuSecondsOf(webhookPid),
        client: (own.user + own.system) / 1e6,
      };
    };
    const cpu = Object.fromEntries(
      MODES.map((m) => [m, { seconds: zeroCpu(), pods: 0, wallSeconds: 0 }]),
    ) as Results['cpu'];
    /** Creates the pods of one round in `mode`, adding up the CPU each component spent. */
    const round = async (mode: Mode, pod: (i: number) => Pod, offset: number) => {
      const before = cpuNow();
      const started = performance.now();
      const rate = await createPods(client, pod, options.pods, options.concurrency, offset);
      const after = cpuNow();
      for (const c of COMPONENTS) cpu[mode].seconds[c] += after[c] - before[c];
      cpu[mode].pods += options.pods;
      cpu[mode].wallSeconds += (performance.now() - started) / 1000;
      return rate;
    };

    const pace = { rate: options.rate, seconds: options.seconds, maxInFlight: options.concurrency };
    const stored = await new SecretCertStore(client, OPERATOR_NS, WEBHOOK_CERT_SECRET).read();
    if (!stored?.bundle) throw new Error('the webhook certificate Secret holds no certificate');
    process.stderr.write(`HTTPS to the webhook server at ${options.rate}/s…\n`);
    await server.times();
    const https = await overHttps(server.port, caBundlePem(stored.bundle), pace);
    const handlerOverHttps = summary(await server.times());

    const withWebhook: number[] = [];
    const withoutWebhook: number[] = [];
    const preInjected: number[] = [];
    let offset = 1000;
    for (let r = 0; r < options.rounds; r++) {
      process.stderr.write(`round ${r + 1}/${options.rounds}: ${options.pods} pods each way…\n`);
      withoutWebhook.push(await round(MODES[0], (i) => benchPod('without-webhook', i), offset));
      preInjected.push(await round(MODES[1], preInjectedPod, offset));
      withWebhook.push(await round(MODES[2], (i) => benchPod('with-webhook', i), offset));
      process.stderr.write(
        `  without ${withoutWebhook.at(-1)?.toFixed(0)}/s, already injected ${preInjected.at(-1)?.toFixed(0)}/s, ` +
          `with ${withWebhook.at(-1)?.toFixed(0)}/s\n`,
      );
      offset += options.pods;
    }
    process.stderr.write(`pod creates at ${options.rate}/s through the apiserver and the webhook…\n`);
    await server.times();
    const paced = await createPodsPaced(client, 'with-webhook', pace, offset);
    const handlerAtRate = summary(await server.times());
    return {
      withWebhook,
      withoutWebhook,
      preInjected,
      cpu,
      https,
      handlerOverHttps,
      paced,
      handlerAtRate,
      injected,
    };
  } finally {
    await server?.stop();
    client.close();
    await cluster.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (v: number) => `${v.toFixed(2)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sidecarsets: { type: 'string', default: '100' },
      pods: { type: 'string', default: '600' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '32' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      iterations: { type: 'string', default: '5000' },
    },
  });
  const n = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`--${name} must be a positive integer, not ${values[name]}`);
    return v;
  };
  const options = {
    pods: n('pods'),
    rounds: n('rounds'),
    concurrency: n('concurrency'),
    rate: n('rate'),
    seconds: n('seconds'),
  };
  const sets = sidecarSets(Math.max(3, n('sidecarsets')));
  const loadBefore = os.loadavg()[0]!;
  const handler = podInjectionHandler(staticSources(sets), { operatorNamespace: OPERATOR_NS });
  process.stderr.write('in-process handler…\n');
  const local = await inProcess(handler, n('iterations'));
  const r = await measure(sets, options);
  const loadAfter = os.loadavg()[0]!;

  const ratio = median(r.withWebhook) / median(r.withoutWebhook);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const cores = os.cpus().length;
  const loaded = Math.max(loadBefore, loadAfter) > cores;
  out('');
  out(
    `bench:webhook: ${sets.length} SidecarSets, each pod matched by 3 (a mesh with an init container, a log agent, a metrics agent)`,
  );
  out(
    `conditions: ${cores} cores, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}` +
      `${loaded ? ' (LOADED: other work competes for the CPU; rerun on a quiet machine for final numbers)' : ''}; ` +
      `Node ${process.version}; webhook server in its own process; apiserver without rate limits; ` +
      'no scheduler or kubelet (pods stay Pending); at most ' +
      `${options.concurrency} requests in flight`,
  );
  out('');
  const row = (a: string, b: string, c = '') =>
    out(`| ${a.padEnd(48)} | ${b.padEnd(34)} | ${c.padEnd(12)} |`);
  row('measurement', 'value', 'goal');
  row('-'.repeat(48), '-'.repeat(34), '-'.repeat(12));
  row(`handler in-process (${local.n} pods)`, `p50 ${ms(local.p50)}, p99 ${ms(local.p99)}`);
  row(
    `HTTPS round trip at ${r.https.rate.toFixed(0)}/s (${r.https.n})`,
    `p50 ${ms(r.https.p50)}, p99 ${ms(r.https.p99)}`,
  );
  row(
    '  handler time in the server',
    `p50 ${ms(r.handlerOverHttps.p50)}, p99 ${ms(r.handlerOverHttps.p99)}`,
    'p99 ≤ 5 ms',
  );
  row(
    `pod creates at ${r.paced.rate.toFixed(0)}/s through the apiserver (${r.paced.n})`,
    `p50 ${ms(r.paced.p50)}, p99 ${ms(r.paced.p99)}`,
  );
  row(
    '  handler time in the server',
    `p50 ${ms(r.handlerAtRate.p50)}, p99 ${ms(r.handlerAtRate.p99)}`,
    'p99 ≤ 5 ms',
  );
  const list = (v: number[]) => `${median(v).toFixed(0)} (rounds: ${v.map((x) => x.toFixed(0)).join(', ')})`;
  row(`pod creates/s without the webhook`, list(r.withoutWebhook));
  row(`pod creates/s, pods already carrying the sidecars`, list(r.preInjected));
  row(`pod creates/s with the webhook`, list(r.withWebhook));
  row('with / without (medians)', `${(ratio * 100).toFixed(0)} %`, '≥ 90 %');
  out('');
  out(`pods created through the webhook carry the 3 injected sidecars: ${r.injected ? 'yes' : 'NO'}`);
  out('');
  out('CPU per pod create, all rounds (ms), and the cores the bench processes kept busy:');
  out('');
  const cpuRow = (cells: string[]) =>
    out(`| ${cells.map((c, i) => c.padEnd(i === 0 ? 56 : 14)).join(' | ')} |`);
  cpuRow(['pods created', ...COMPONENTS, 'total', 'cores busy']);
  cpuRow(['-'.repeat(56), ...Array(COMPONENTS.length + 2).fill('-'.repeat(14))]);
  const totalMs = (m: Mode) =>
    (COMPONENTS.reduce((t, c) => t + r.cpu[m].seconds[c], 0) / r.cpu[m].pods) * 1000;
  for (const m of MODES) {
    const { seconds, pods, wallSeconds } = r.cpu[m];
    cpuRow([
      m,
      ...COMPONENTS.map((c) => ((seconds[c] / pods) * 1000).toFixed(2)),
      totalMs(m).toFixed(2),
      ((totalMs(m) * pods) / 1000 / wallSeconds).toFixed(2),
    ]);
  }
  out('');
  out(
    `with / without as the CPU per pod predicts when the cores are the limit: ` +
      `${((totalMs(MODES[0]) / totalMs(MODES[2])) * 100).toFixed(0)} %; ` +
      `without any cost of the webhook call (pods already carrying the sidecars): ` +
      `${((totalMs(MODES[0]) / totalMs(MODES[1])) * 100).toFixed(0)} %`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench:webhook: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
