// The chaos suite's world: its own local control plane (with an apiserver audit log), our CRDs, RBAC and
// webhook configurations as shipped, and two manager replicas run the way the image runs them
// (`node dist/cmd/manager.js`), each reaching the apiserver through its own fault proxy and serving
// webhooks behind a shared loopback "Service". Replicas that exit are restarted, as the kubelet would.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { installCrds, resourceOf } from '../../apis/install';
import { REPO_ROOT } from '../../cluster/binaries';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { CONTAINER_RESTART_DELAY_ANNOTATION } from '../../cluster/kwok/delays';
import { freePort } from '../../cluster/net';
import { fakeNodes, KWOK_TOLERATION } from '../../cluster/nodes';
import { logTail } from '../../cluster/processes';
import { waitFor } from '../../cluster/wait';
import type { KubeClient } from '../../runtime/client';
import {
  type KubeObject,
  MutatingWebhookConfigurations,
  Namespaces,
  type ResourceType,
  ValidatingWebhookConfigurations,
} from '../../runtime/meta';
import {
  buildMutatingWebhookConfiguration,
  buildPodWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  localEndpoint,
} from '../../webhooks/configurations';
import { TcpProxy } from './tcpproxy';

export const OPERATOR_NS = 'outrigger-system';
/** The group the replicas' client certificates carry; the shipped ClusterRole and Role are bound to it. */
const MANAGER_GROUP = 'outrigger:managers';
const MANAGER_BINARY = path.join(REPO_ROOT, 'dist', 'cmd', 'manager.js');
/** The kubelet restarts a crashed container after ~1 s the first time. */
const RESTART_DELAY_MS = 1_000;

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const RBAC_TYPES: Record<string, ResourceType> = {
  ClusterRole: rbac('clusterroles', 'ClusterRole', false),
  ClusterRoleBinding: rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  Role: rbac('roles', 'Role', true),
  RoleBinding: rbac('rolebindings', 'RoleBinding', true),
};
const Secrets: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
};

/** What the audit log keeps: every write of the managers' leader-only work, and nothing else. */
const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'Metadata',
      userGroups: [MANAGER_GROUP],
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
      resources: [
        { group: '', resources: ['pods', 'pods/status', 'pods/resize', 'persistentvolumeclaims', 'events'] },
        { group: 'apps', resources: ['controllerrevisions'] },
        {
          group: 'apps.kruise.io',
          resources: ['clonesets', 'clonesets/status', 'clonesets/scale', 'sidecarsets/status'],
        },
        { group: 'events.k8s.io', resources: ['events'] },
      ],
    },
    { level: 'None' },
  ],
};

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** One manager replica: its process (restarted when it exits), its network (a proxy) and its ports. */
export class ManagerReplica {
  child?: ChildProcess;
  /** Processes started so far; a lost lease makes the process exit, so this counts those too. */
  starts = 0;
  /** /readyz answered 200 at the last poll (what endpoints would say). */
  ready = false;
  /** The last /readyz answer, for a failure message. */
  private lastReadyz = 'not asked yet';
  /**
   * This process's ports. Chosen afresh at every start, as a rescheduled pod gets a new address: a port
   * someone else took between its choice and our bind then costs one restart, not the replica.
   */
  healthPort = 0;
  webhookPort = 0;
  private starting = false;
  private restarting = true;
  private readonly poller: NodeJS.Timeout;

  constructor(
    readonly name: string,
    readonly apiProxy: TcpProxy,
    private readonly kubeconfig: string,
    private readonly logFile: string,
    private readonly webhookServiceUrl: string,
  ) {
    this.poller = setInterval(() => void this.pollReady(), 300);
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.starting || this.alive) return;
    this.starting = true;
    try {
      this.healthPort = await freePort();
      this.webhookPort = await freePort();
      // Paused or stopped meanwhile: no process may outlive that.
      if (this.restarting) this.spawn();
    } finally {
      this.starting = false;
    }
  }

  private spawn(): void {
    const args = [
      MANAGER_BINARY,
      `--kubeconfig=${this.kubeconfig}`,
      `--health-addr=127.0.0.1:${this.healthPort}`,
      `--leader-election-namespace=${OPERATOR_NS}`,
      '--webhook=cluster',
      '--webhook-host=127.0.0.1',
      `--webhook-port=${this.webhookPort}`,
      // Where the apiserver reaches us: the CRDs' conversion (SidecarSets are stored as v1beta1) too.
      `--webhook-service-url=${this.webhookServiceUrl}`,
      `--namespace=${OPERATOR_NS}`,
    ];
    fs.appendFileSync(this.logFile, `\n=== ${new Date().toISOString()} start #${this.starts + 1}\n`);
    const log = fs.openSync(this.logFile, 'a');
    // OUTRIGGER_EXIT_WITH_PARENT: should jest die, the replicas stop on their own.
    const child = spawn(process.execPath, args, {
      env: { ...process.env, OUTRIGGER_EXIT_WITH_PARENT: '1' },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    this.starts++;
    child.once('exit', () => {
      this.ready = false;
      if (!this.restarting) return;
      setTimeout(() => {
        if (this.restarting) void this.start();
      }, RESTART_DELAY_MS);
    });
  }

  /** SIGKILL (a crash) or SIGTERM (a pod deletion); the supervisor restarts it unless paused. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    return exited;
  }

  pauseRestarts(): void {
    this.restarting = false;
  }

  resumeRestarts(): void {
    this.restarting = true;
    void this.start();
  }

  /** GET on the health port; undefined while nothing answers. */
  get(urlPath: string): Promise<{ status: number; body: string } | undefined> {
    return new Promise((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port: this.healthPort, path: urlPath, timeout: 2000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', () => resolve(undefined));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
    });
  }

  /** leader_election_master_status from /metrics; false when the process does not answer. */
  async leading(): Promise<boolean> {
    const metrics = await this.get('/metrics');
    return /^leader_election_master_status\{[^}]*\} 1$/m.test(metrics?.body ?? '');
  }

  /** Each informer's last event (or list) time, from /metrics, in ms since the epoch. */
  async informerEventTimes(): Promise<Map<string, number>> {
    const body = (await this.get('/metrics'))?.body ?? '';
    const times = new Map<string, number>();
    for (const match of body.matchAll(
      /^outrigger_informer_last_event_timestamp_seconds\{resource="([^"]+)"\} (\S+)$/gm,
    )) {
      times.set(match[1]!, Number(match[2]) * 1000);
    }
    return times;
  }

  async stop(): Promise<void> {
    this.restarting = false;
    clearInterval(this.poller);
    await this.kill('SIGTERM');
    await this.apiProxy.close();
  }

  /** Its starts, its state, its last /readyz answer and its log's last lines: why it is not ready. */
  describe(): string {
    const state = this.alive ? `running (pid ${this.child?.pid})` : 'not running';
    return `replica ${this.name}: ${this.starts} start(s), ${state}, health port ${this.healthPort}, webhook port ${this.webhookPort}\n/readyz: ${this.lastReadyz.trim()}\nlog (${this.logFile}), last lines:\n${logTail(this.logFile)}`;
  }

  private async pollReady(): Promise<void> {
    const answer = this.alive ? await this.get('/readyz') : undefined;
    this.lastReadyz = answer ? `${answer.status} ${answer.body}` : 'no answer';
    this.ready = this.alive && answer?.status === 200;
  }
}

export interface ChaosEnv {
  cluster: LocalCluster;
  /** An admin client, not behind any fault proxy. */
  client: KubeClient;
  replicas: [ManagerReplica, ManagerReplica];
  /** The webhook "Service": round-robin over the replicas that are ready. */
  webhookService: TcpProxy;
  /** The replica whose /metrics says it leads (waits for one). */
  leader(timeoutMs?: number): Promise<ManagerReplica>;
  auditEvents(): AuditEvent[];
  stop(): Promise<void>;
}

export async function startChaosEnv(): Promise<ChaosEnv> {
  if (!fs.existsSync(MANAGER_BINARY)) {
    throw new Error(`${MANAGER_BINARY} is missing: run 'npm run build' first (npm run test:chaos does)`);
  }
  const cluster = await startLocalCluster({
    nodes: fakeNodes(4, { kwokTaint: true }),
    auditPolicy: AUDIT_POLICY,
  });
  const client = cluster.client;
  try {
    await installCrds(client);
    await installOperatorAccess(client);
    const replicas: ManagerReplica[] = [];
    const webhookService = new TcpProxy(() =>
      replicas.filter((r) => r.ready).map((r) => ({ host: '127.0.0.1', port: r.webhookPort })),
    );
    const servicePort = await webhookService.listen();
    await installWebhookConfigurations(client, servicePort);
    const apiPort = Number(new URL(cluster.server).port);
    for (const name of ['a', 'b']) {
      const apiProxy = new TcpProxy(() => [{ host: '127.0.0.1', port: apiPort }]);
      const server = `https://127.0.0.1:${await apiProxy.listen()}`;
      const kubeconfig = await cluster.writeUserKubeconfig(`manager-${name}`, [MANAGER_GROUP], server);
      const logFile = path.join(cluster.logDir, `manager-${name}.log`);
      const replica = new ManagerReplica(
        name,
        apiProxy,
        kubeconfig,
        logFile,
        `https://127.0.0.1:${servicePort}`,
      );
      replicas.push(replica);
      await replica.start();
    }
    await waitFor('both manager replicas to be ready', () => replicas.every((r) => r.ready), 180_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${replicas.map((r) => r.describe()).join('\n\n')}`);
      },
    );
    const env: ChaosEnv = {
      cluster,
      client,
      replicas: replicas as [ManagerReplica, ManagerReplica],
      webhookService,
      leader: async (timeoutMs = 120_000) =>
        waitFor(
          'a leader',
          async () => {
            const leading = await Promise.all(replicas.map((r) => r.leading()));
            return leading.filter(Boolean).length === 1 ? replicas[leading.indexOf(true)] : undefined;
          },
          timeoutMs,
        ),
      auditEvents: () => readAudit(cluster.auditLogFile ?? ''),
      stop: async () => {
        await Promise.all(replicas.map((r) => r.stop()));
        await webhookService.close();
        await cluster.stop();
      },
    };
    return env;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** The shipped ClusterRole and Role, bound to the replicas' group; the shipped (empty) cert Secret. */
async function installOperatorAccess(client: KubeClient): Promise<void> {
  const apply = { fieldManager: 'outrigger-chaos', force: true };
  await client
    .resource(Namespaces)
    .apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NS } }, apply);
  for (const object of yamlObjects('config/manager/rbac.yaml')) {
    if (object.kind === 'ClusterRole' || object.kind === 'Role')
      await client.resource(RBAC_TYPES[object.kind]!).apply(object, apply);
  }
  const subjects = [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: MANAGER_GROUP }];
  const roleRef = (kind: string) => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name: 'outrigger-manager',
  });
  await client.resource(RBAC_TYPES.ClusterRoleBinding!).apply(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'outrigger-manager-chaos' },
      roleRef: roleRef('ClusterRole'),
      subjects,
    } as KubeObject,
    apply,
  );
  await client.resource(RBAC_TYPES.RoleBinding!).apply(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'outrigger-manager-chaos', namespace: OPERATOR_NS },
      roleRef: roleRef('Role'),
      subjects,
    } as KubeObject,
    apply,
  );
  for (const object of yamlObjects('config/webhook/secret.yaml'))
    await client.resource(Secrets).apply(object, apply);
}

/**
 * Our three configurations as config/webhook has them (the pod injector failing closed too), but
 * reaching the replicas through the loopback Service.
 */
async function installWebhookConfigurations(client: KubeClient, servicePort: number): Promise<void> {
  const options = { endpoint: localEndpoint(servicePort), operatorNamespace: OPERATOR_NS };
  const apply = { fieldManager: 'outrigger-chaos', force: true };
  const mutating = client.resource(MutatingWebhookConfigurations);
  await mutating.apply(buildMutatingWebhookConfiguration(options) as unknown as KubeObject, apply);
  await mutating.apply(buildPodWebhookConfiguration(options) as unknown as KubeObject, apply);
  await client
    .resource(ValidatingWebhookConfigurations)
    .apply(buildValidatingWebhookConfiguration(options) as unknown as KubeObject, apply);
}

function yamlObjects(file: string): KubeObject[] {
  return parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function readAudit(file: string): AuditEvent[] {
  if (!file || !fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as AuditEvent);
}

/** Seconds (by the apiserver's clock) in which writes of more than one replica arrived. */
export function secondsWithTwoWriters(events: AuditEvent[]): string[] {
  const writers = new Map<string, Set<string>>();
  for (const event of events) {
    const second = event.requestReceivedTimestamp.slice(0, 19);
    writers.set(second, (writers.get(second) ?? new Set()).add(event.user.username));
  }
  return [...writers]
    .filter(([, users]) => users.size > 1)
    .map(([second, users]) => `${second}: ${[...users]}`);
}

export const IMAGE = (version: number) => `registry.example/web:v${version}`;

/** A CloneSet updated in place, kwok taking `restartDelay` per container restart. */
export function cloneSetOf(namespace: string, name: string, replicas: number, image: string): KubeObject {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      minReadySeconds: 1,
      selector: { matchLabels: { app: name } },
      updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2 },
      template: {
        metadata: { labels: { app: name }, annotations: { [CONTAINER_RESTART_DELAY_ANNOTATION]: '3s' } },
        spec: {
          containers: [{ name: 'app', image }],
          tolerations: [KWOK_TOLERATION],
          terminationGracePeriodSeconds: 1,
        },
      },
    },
  } as KubeObject;
}

export const CloneSets = resourceOf('CloneSet');
