import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { createClient, type KubeClient, type KubeConfig, loadKubeConfig } from '../runtime/client';
import {
  type KubeObject,
  Namespaces,
  Nodes,
  ValidatingAdmissionPolicies,
  ValidatingAdmissionPolicyBindings,
} from '../runtime/meta';
import type { ExtenderEntry } from '../scheduler/kubescheduler';
import { type Component, resolveBinDir } from './binaries';
import { writeKubeconfig } from './kubeconfig';
import { freePort, probe } from './net';
import { type FakeNodeSpec, fakeNode } from './nodes';
import { generateClusterPki, issueClientCert } from './pki';
import { installExitHooks, ManagedProcess } from './processes';
import { sleep, waitFor } from './wait';

export type SchedulerExtender = ExtenderEntry;

export interface LocalClusterOptions {
  /** kube-controller-manager with every controller that works without a cloud. Default true. */
  controllerManager?: boolean;
  /** kube-scheduler. Default true. */
  scheduler?: boolean;
  /** Extenders added to the KubeSchedulerConfiguration. */
  extenders?: SchedulerExtender[];
  /** Merged into the KubeSchedulerConfiguration, e.g. profiles with plugin weights. */
  schedulerConfig?: Record<string, unknown>;
  /** kwok with Outrigger's kubelet-like stages. Default true. */
  kwok?: boolean;
  /**
   * Pod stage transitions kwok plays at once (kwok's default is 4 for all nodes, where a real cluster
   * has a kubelet per node working in parallel). Default 16; benchmarks pass their node count.
   */
  kubeletParallelism?: number;
  /**
   * The node Lease duration kwok writes; it renews each Lease every quarter of it, as kubelet does. Default
   * 40 s (kubelet's): 500 nodes then cost ~50 Lease writes/s. Benchmarks pass more; kube-controller-manager's
   * grace period then grows with it, so nodes stay Ready.
   */
  nodeLeaseDurationSeconds?: number;
  /** Fake nodes to create (needs kwok); waits until each is Ready. */
  nodes?: FakeNodeSpec[];
  /** Lift the apiserver's and clients' rate limits, for benchmarks. */
  disableRateLimits?: boolean;
  /** Where logs, certificates and etcd data go. Default: a new temp dir. */
  workDir?: string;
  /**
   * Stop the cluster on SIGINT/SIGTERM/SIGHUP. Default true; programs that stop it themselves, in
   * order with their own processes, pass false. Exit always kills the components.
   */
  handleSignals?: boolean;
  /** Per-component readiness timeout. Default 90 s (2 cores, cold caches). */
  readyTimeoutMs?: number;
  /** An audit Policy (audit.k8s.io/v1): the apiserver then logs JSON events to `auditLogFile`. */
  auditPolicy?: Record<string, unknown>;
}

export interface LocalCluster {
  kubeconfigPath: string;
  /** The admin kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  workDir: string;
  logDir: string;
  /** An admin client (runtime/client). */
  client: KubeClient;
  createNodes(nodes: FakeNodeSpec[]): Promise<void>;
  /** Stop kube-apiserver and start it again on the same port and etcd (data survives). */
  restartApiServer(): Promise<void>;
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /**
   * A second kube-apiserver on the same etcd, certificates and flags but another port, so writes can
   * go on while the first one is stopped. Stopped with the cluster if not before.
   */
  startExtraApiServer(): Promise<ExtraApiServer>;
  /** Stop etcd and start it again on the same ports and data (the apiserver reconnects by itself). */
  restartEtcd(): Promise<void>;
  /**
   * Writes a kubeconfig for a user authenticated by a client certificate (CN=user, O=groups), for
   * `server` (default: the apiserver; e.g. a proxy in front of it). Returns its path.
   */
  writeUserKubeconfig(user: string, groups: string[], server?: string): Promise<string>;
  /** Where the apiserver writes audit events, when started with `auditPolicy`. */
  auditLogFile?: string;
  /** The log file of a component, for error messages and debugging. */
  logFile(component: Component): string;
  stop(): Promise<void>;
}

export interface ExtraApiServer {
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const STAGES_FILE = path.join(__dirname, 'kwok', 'stages.yaml');

/** Starts etcd, kube-apiserver and optionally kube-controller-manager, kube-scheduler and kwok on loopback. */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const binDir = resolveBinDir();
  installExitHooks(options.handleSignals !== false);
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-cluster-'));
  const logDir = path.join(workDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const started: ManagedProcess[] = [];
  const component = (name: Component, args: string[]) => {
    const p = new ManagedProcess(name, path.join(binDir, name), args, path.join(logDir, `${name}.log`));
    started.push(p);
    return p;
  };
  const stopAll = async () => {
    for (const p of [...started].reverse()) await p.stop();
  };

  try {
    const pki = await generateClusterPki();
    const files = writePkiFiles(workDir, pki);
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = path.join(workDir, 'admin.kubeconfig');
    const credentials = { server, caPem: pki.servingCa.certPem, ...pairOf(pki.admin), user: 'admin' };
    writeKubeconfig(kubeconfigPath, credentials);

    const etcd = component('etcd', etcdArgs(workDir, etcdPort, peerPort));
    const startEtcd = () => startAndWait(etcd, `http://127.0.0.1:${etcdPort}/health`, timeoutMs);
    await startEtcd();

    const audit = options.auditPolicy ? writeAuditPolicy(workDir, logDir, options.auditPolicy) : undefined;
    const apiServer = component('kube-apiserver', [
      ...apiServerArgs(files, etcdPort, apiPort, options),
      ...(audit?.args ?? []),
    ]);
    const startApiServer = () =>
      startAndWait(apiServer, `${server}/readyz`, timeoutMs, pki.servingCa.certPem);
    await startApiServer();
    const client = createClient(kubeconfigPath);
    await waitFor(
      'the default namespace',
      () => client.resource(Namespaces).get({ name: 'default' }),
      timeoutMs,
    );

    if (options.controllerManager !== false) {
      const port = await freePort();
      const kcm = component(
        'kube-controller-manager',
        controllerManagerArgs(files, kubeconfigPath, port, options),
      );
      await startAndWait(kcm, `https://127.0.0.1:${port}/healthz`, timeoutMs);
    }
    if (options.scheduler !== false) {
      const port = await freePort();
      const configFile = writeSchedulerConfig(workDir, kubeconfigPath, options);
      const scheduler = component('kube-scheduler', [
        '--config',
        configFile,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
      ]);
      await startAndWait(scheduler, `https://127.0.0.1:${port}/healthz`, timeoutMs);
    }
    let kwok: ManagedProcess | undefined;
    if (options.kwok !== false) {
      const kwokKubeconfig = path.join(workDir, 'kwok.kubeconfig');
      const kwokCert = await issueClientCert(pki.clientCa, KWOK_USER, ['system:masters']);
      writeKubeconfig(kwokKubeconfig, { ...credentials, ...kwokCert, user: KWOK_USER });
      await client.resource(ValidatingAdmissionPolicies).apply(kwokDeletesOnlyTerminatingPods.policy, {
        fieldManager: 'outrigger-cluster',
      });
      await client.resource(ValidatingAdmissionPolicyBindings).apply(kwokDeletesOnlyTerminatingPods.binding, {
        fieldManager: 'outrigger-cluster',
      });
      kwok = component('kwok', kwokArgs(kwokKubeconfig, writeKwokConfig(workDir, options), options));
      kwok.start();
    }

    const createNodes = async (nodes: FakeNodeSpec[]) => {
      if (!kwok) throw new Error('createNodes: this cluster was started without kwok');
      await createFakeNodes(client, nodes, kwok, timeoutMs);
    };
    // Without explicit nodes, one probe node shows that kwok works.
    const initialNodes = options.nodes ?? (kwok ? [{ name: 'kwok-probe-node' }] : []);
    if (initialNodes.length > 0) await createNodes(initialNodes);

    return {
      kubeconfigPath,
      kubeConfig: loadKubeConfig(kubeconfigPath),
      server,
      workDir,
      logDir,
      client,
      createNodes,
      stopApiServer: () => apiServer.stop(),
      startApiServer,
      restartApiServer: async () => {
        await apiServer.stop();
        await startApiServer();
      },
      startExtraApiServer: async () => {
        const port = await freePort();
        const extraServer = `https://127.0.0.1:${port}`;
        const extraKubeconfig = path.join(workDir, `admin-${port}.kubeconfig`);
        writeKubeconfig(extraKubeconfig, { ...credentials, server: extraServer });
        const name = `kube-apiserver-${port}`;
        const args = apiServerArgs(files, etcdPort, port, options, apiPort);
        const p = new ManagedProcess(name, apiServer.binary, args, path.join(logDir, `${name}.log`));
        started.push(p);
        await startAndWait(p, `${extraServer}/readyz`, timeoutMs, pki.servingCa.certPem);
        return { server: extraServer, kubeconfigPath: extraKubeconfig, stop: () => p.stop() };
      },
      restartEtcd: async () => {
        await etcd.stop();
        await startEtcd();
      },
      writeUserKubeconfig: async (user, groups, userServer = server) => {
        const { certPem, keyPem } = await issueClientCert(pki.clientCa, user, groups);
        const file = path.join(workDir, `${user}-${Date.now()}.kubeconfig`);
        writeKubeconfig(file, { ...credentials, server: userServer, certPem, keyPem, user });
        return file;
      },
      auditLogFile: audit?.logFile,
      logFile: (name) => path.join(logDir, `${name}.log`),
      stop: async () => {
        await stopAll();
        client.close();
        if (!options.workDir && process.env.OUTRIGGER_KEEP_CLUSTER_DIR !== '1') {
          fs.rmSync(workDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await stopAll();
    throw new Error(
      `local cluster failed to start: ${(err as Error).message}\n(component logs are kept in ${logDir})`,
    );
  }
}

async function startAndWait(p: ManagedProcess, url: string, timeoutMs: number, ca?: string): Promise<void> {
  p.start();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!p.alive) {
      throw new Error(`${p.name} exited during start-up; see ${p.logFile}:\n${p.tail(15)}`);
    }
    if ((await probe(url, ca)) === 200) return;
    await sleep(200);
  }
  throw new Error(
    `${p.name} was not ready at ${url} within ${timeoutMs / 1000}s; see ${p.logFile}:\n${p.tail(15)}`,
  );
}

async function createFakeNodes(
  client: KubeClient,
  nodes: FakeNodeSpec[],
  kwok: ManagedProcess,
  timeoutMs: number,
) {
  const nodeClient = client.resource<NodeObject>(Nodes);
  const pending = new Set(nodes.map((n) => n.name));
  const batch = 20;
  for (let i = 0; i < nodes.length; i += batch) {
    await Promise.all(
      nodes
        .slice(i, i + batch)
        .map((n) => nodeClient.apply(fakeNode(n), { fieldManager: 'outrigger-harness', force: true })),
    );
  }
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    if (!kwok.alive) throw new Error(`kwok exited; see ${kwok.logFile}:\n${kwok.tail(15)}`);
    if (Date.now() > deadline) {
      throw new Error(
        `kwok did not make ${pending.size} node(s) Ready within ${timeoutMs / 1000}s ` +
          `(e.g. ${[...pending][0]}); see ${kwok.logFile}:\n${kwok.tail(15)}`,
      );
    }
    const list = await nodeClient.list({ labelSelector: 'type=kwok' });
    for (const node of list.items) {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready && node.metadata?.name) pending.delete(node.metadata.name);
    }
    if (pending.size > 0) await sleep(250);
  }
}

interface NodeObject extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

interface PkiFiles {
  dir: string;
  servingCaCert: string;
  servingCert: string;
  servingKey: string;
  clientCaCert: string;
  saPublicKey: string;
  saPrivateKey: string;
}

function writePkiFiles(workDir: string, pki: Awaited<ReturnType<typeof generateClusterPki>>): PkiFiles {
  const dir = path.join(workDir, 'pki');
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  return {
    dir,
    servingCaCert: write('serving-ca.crt', pki.servingCa.certPem),
    servingCert: write('apiserver.crt', pki.apiServer.certPem),
    servingKey: write('apiserver.key', pki.apiServer.keyPem),
    clientCaCert: write('client-ca.crt', pki.clientCa.certPem),
    saPublicKey: write('sa.pub', pki.serviceAccount.publicKeyPem),
    saPrivateKey: write('sa.key', pki.serviceAccount.privateKeyPem),
  };
}

const pairOf = (kp: { certPem: string; keyPem: string }) => ({ certPem: kp.certPem, keyPem: kp.keyPem });

function writeAuditPolicy(workDir: string, logDir: string, policy: Record<string, unknown>) {
  const policyFile = path.join(workDir, 'audit-policy.yaml');
  fs.writeFileSync(policyFile, stringify(policy));
  const logFile = path.join(logDir, 'audit.log');
  const args = [
    `--audit-policy-file=${policyFile}`,
    `--audit-log-path=${logFile}`,
    '--audit-log-format=json',
    // Written as requests complete, so a test reads every event of a request it saw answered.
    '--audit-log-mode=blocking',
  ];
  return { logFile, args };
}

function etcdArgs(workDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=node0',
    `--data-dir=${path.join(workDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=node0=${peer}`,
    '--unsafe-no-fsync=true',
    '--auto-compaction-retention=1',
    '--quota-backend-bytes=8589934592',
  ];
}

function apiServerArgs(
  files: PkiFiles,
  etcdPort: number,
  port: number,
  options: LocalClusterOptions,
  // Every apiserver of one cluster must issue and accept the same service-account tokens.
  issuerPort = port,
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    `--client-ca-file=${files.clientCaCert}`,
    `--service-account-issuer=https://127.0.0.1:${issuerPort}`,
    `--service-account-key-file=${files.saPublicKey}`,
    `--service-account-signing-key-file=${files.saPrivateKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // 1.37 rejects a loopback advertise address; with the 'none' endpoint reconciler this
    // TEST-NET-1 address is never dialled, it only has to be valid.
    '--advertise-address=192.0.2.1',
    '--endpoint-reconciler-type=none',
    // As envtest: pods in a brand-new namespace must not wait for the default ServiceAccount.
    '--disable-admission-plugins=ServiceAccount',
    '--profiling=false',
    ...(options.disableRateLimits
      ? [
          '--max-requests-inflight=0',
          '--max-mutating-requests-inflight=0',
          '--enable-priority-and-fairness=false',
        ]
      : []),
  ];
}

function controllerManagerArgs(
  files: PkiFiles,
  kubeconfig: string,
  port: number,
  options: LocalClusterOptions,
) {
  const qps = options.disableRateLimits
    ? ['--kube-api-qps=1000', '--kube-api-burst=2000']
    : ['--kube-api-qps=100', '--kube-api-burst=200'];
  return [
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--root-ca-file=${files.servingCaCert}`,
    `--service-account-private-key-file=${files.saPrivateKey}`,
    '--use-service-account-credentials=false',
    // Every controller that runs without a cloud; those needing unset flags (node-ipam, csr signing) skip themselves.
    '--controllers=*',
    ...qps,
    // Longer than a Lease, so a node is NotReady only once its Lease has expired (default 50 s for 40 s).
    `--node-monitor-grace-period=${leaseDuration(options) + 10}s`,
  ];
}

function writeSchedulerConfig(workDir: string, kubeconfig: string, options: LocalClusterOptions): string {
  const qps = options.disableRateLimits ? { qps: 1000, burst: 2000 } : { qps: 100, burst: 200 };
  const config = {
    apiVersion: 'kubescheduler.config.k8s.io/v1',
    kind: 'KubeSchedulerConfiguration',
    clientConnection: { kubeconfig, ...qps },
    leaderElection: { leaderElect: false },
    profiles: [{ schedulerName: 'default-scheduler' }],
    ...(options.extenders?.length ? { extenders: options.extenders } : {}),
    ...options.schedulerConfig,
  };
  const file = path.join(workDir, 'kube-scheduler.yaml');
  fs.writeFileSync(file, stringify(config));
  return file;
}

function writeKwokConfig(workDir: string, options: LocalClusterOptions): string {
  const config = {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokConfiguration',
    // A config file's options are not defaulted field by field: kwok's defaults are restated.
    options: {
      podPlayStageParallelism: options.kubeletParallelism ?? 16,
      nodePlayStageParallelism: 4,
      nodeLeaseParallelism: 4,
      podsOnNodeSyncParallelism: 1,
    },
  };
  const file = path.join(workDir, 'kwok.yaml');
  fs.writeFileSync(file, stringify(config));
  return file;
}

const KWOK_USER = 'kwok';

/**
 * kwok finishes a pod's deletion by name, without the UID precondition a real kubelet sends. Run twice
 * (its pod-delete stage did that until it learnt to ignore kwok's own final update, see stages.yaml), that
 * step deletes a new pod of the same name (a StatefulSet's replacement) that nobody asked to delete. This
 * policy gives kwok the kubelet's rule: it may only delete pods that are already terminating.
 */
const kwokDeletesOnlyTerminatingPods = {
  policy: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'outrigger-kwok-deletes-only-terminating-pods' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['pods'] },
        ],
      },
      matchConditions: [{ name: 'from-kwok', expression: `request.userInfo.username == '${KWOK_USER}'` }],
      validations: [
        {
          expression: 'has(oldObject.metadata.deletionTimestamp)',
          message: 'the simulated kubelet only finishes the deletion of terminating pods',
        },
      ],
    },
  } as KubeObject,
  binding: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'outrigger-kwok-deletes-only-terminating-pods' },
    spec: {
      policyName: 'outrigger-kwok-deletes-only-terminating-pods',
      validationActions: ['Deny'],
    },
  } as KubeObject,
};

const leaseDuration = (options: LocalClusterOptions) => options.nodeLeaseDurationSeconds ?? 40;

function kwokArgs(kubeconfig: string, configFile: string, options: LocalClusterOptions): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--config=${STAGES_FILE}`,
    `--config=${configFile}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    // Fake addresses written into status only; nothing ever dials them.
    '--cidr=10.244.0.0/16',
    '--node-ip=10.0.0.1',
    `--node-lease-duration-seconds=${leaseDuration(options)}`,
  ];
}
