// The chaos suite (npm run test:chaos): each case runs an in-place CloneSet rollout driven by two manager
// replicas, breaks something in the middle, and then checks, with the rollout invariants watched at
// every pod event throughout: no pod lost or duplicated, maxUnavailable never exceeded, the status
// right, and, from the apiserver's audit log, no second in which both replicas wrote leader-only
// objects. The webhook case also checks every CR and pod admitted while a replica dies. A wall-clock
// jump on the leader is covered with a fake clock in runtime/leaderelection.test.ts.
import * as https from 'node:https';
import {
  ControllerRevisionHashLabel,
  SidecarSetHashAnnotation,
  SidecarSetInjectedListAnnotation,
} from '../../apis';
import { resourceOf } from '../../apis/install';
import { sleep, waitFor } from '../../cluster/wait';
import type { KubeClient } from '../../runtime/client';
import { ApiError, isAlreadyExists } from '../../runtime/errors';
import {
  type KubeObject,
  Namespaces,
  PersistentVolumeClaims,
  Pods,
  type ResourceType,
} from '../../runtime/meta';
import { RolloutTracker, type TrackedPod } from '../bench/rollout-tracker';
import {
  type AuditEvent,
  type ChaosEnv,
  CloneSets,
  cloneSetOf,
  IMAGE,
  type ManagerReplica,
  secondsWithTwoWriters,
  startChaosEnv,
} from './harness';

jest.setTimeout(6 * 60_000);

const REPLICAS = 8;
const LIMITS = { replicas: REPLICAS, maxUnavailable: 2, maxSurge: 0 };
const ControllerRevisions: ResourceType = {
  group: 'apps',
  version: 'v1',
  plural: 'controllerrevisions',
  kind: 'ControllerRevision',
  namespaced: true,
};

interface CloneSetObject extends KubeObject {
  spec?: Record<string, unknown> & {
    revisionHistoryLimit?: number;
    updateStrategy?: Record<string, unknown>;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

interface Fault {
  namespace: string;
  leader: ManagerReplica;
  standby: ManagerReplica;
}

let env: ChaosEnv;
const SidecarSets = resourceOf('SidecarSet');

beforeAll(async () => {
  env = await startChaosEnv();
}, 6 * 60_000);

afterAll(async () => {
  await env?.stop();
});

const cloneSets = () => env.client.resource<CloneSetObject>(CloneSets);
const uidsOf = (pods: TrackedPod[]) => pods.map((p) => p.metadata?.uid ?? '').sort();

function rolledOut(cs: CloneSetObject): boolean {
  const s = cs.status ?? {};
  return (
    s.observedGeneration === cs.metadata?.generation &&
    [s.replicas, s.readyReplicas, s.availableReplicas, s.updatedReplicas, s.updatedReadyReplicas].every(
      (n) => n === REPLICAS,
    ) &&
    s.currentRevision === s.updateRevision
  );
}

/**
 * Rolls `web` from v1 to v2 in a fresh namespace, runs `fault` once the rollout is under way, and
 * checks everything the issue asks of every case. Returns the audited manager writes of the rollout.
 */
async function rolloutThrough(name: string, fault: (f: Fault) => Promise<void>): Promise<AuditEvent[]> {
  const namespace = `chaos-${name}`;
  await env.client.resource(Namespaces).create({ metadata: { name: namespace } });
  await createAdmitted(env.client, CloneSets, cloneSetOf(namespace, 'web', REPLICAS, IMAGE(1)));
  const tracker = new RolloutTracker(env.client, namespace, 'web');
  await tracker.start();
  try {
    await within(tracker.settled(REPLICAS, IMAGE(1)), 180_000, 'the v1 pods to be ready');
    const before = uidsOf(tracker.current());
    const leader = await env.leader();
    const standby = env.replicas.find((r) => r !== leader) as ManagerReplica;
    tracker.checkLimits(LIMITS);
    const start = Date.now();
    await cloneSets().patch(
      { namespace, name: 'web' },
      { spec: { template: { spec: { containers: [{ name: 'app', image: IMAGE(2) }] } } } },
      { type: 'merge' },
    );
    await waitFor(
      'the rollout to be under way',
      () => tracker.progress(IMAGE(2)).newSpec >= 1 && tracker.progress(IMAGE(2)).newReady < REPLICAS,
      60_000,
      50,
    );
    await fault({ namespace, leader, standby });
    await within(tracker.settled(REPLICAS, IMAGE(2)), 240_000, 'the rollout to finish');
    const cs = await waitFor(
      'the status to show the finished rollout',
      async () => {
        const current = await cloneSets().get({ namespace, name: 'web' });
        return rolledOut(current) ? current : undefined;
      },
      60_000,
    );
    const end = Date.now() + 1000;
    await sleep(1000); // writes still in flight at the end are in the window too

    expect(tracker.violations).toEqual([]);
    expect(tracker.events).toBeGreaterThan(REPLICAS);
    // In place: the very same pods, none deleted, none added.
    expect(uidsOf(tracker.current())).toEqual(before);
    expect([...tracker.deletedUids]).toEqual([]);
    const revisions = new Set(
      tracker.current().map((p) => p.metadata?.labels?.[ControllerRevisionHashLabel]),
    );
    expect([...revisions]).toEqual([cs.status?.updateRevision]);

    const writes = env
      .auditEvents()
      .filter(
        (e) =>
          Date.parse(e.requestReceivedTimestamp) >= start && Date.parse(e.requestReceivedTimestamp) <= end,
      );
    const ours = writes.filter((e) => e.objectRef?.namespace === namespace);
    expect(ours.length).toBeGreaterThan(REPLICAS); // the audit log did see the rollout
    const podChurn = ours.filter(
      (e) =>
        e.objectRef?.resource === 'pods' && !e.objectRef.subresource && ['create', 'delete'].includes(e.verb),
    );
    expect(podChurn).toEqual([]);
    expect(secondsWithTwoWriters(writes)).toEqual([]);
    return ours;
  } finally {
    tracker.close();
  }
}

describe('chaos: a CloneSet rollout survives', () => {
  it('the leader SIGKILLed mid-rollout: the standby finishes it', async () => {
    let finisher: ManagerReplica | undefined;
    const writes = await rolloutThrough('leader-killed', async ({ leader, standby }) => {
      leader.pauseRestarts(); // its node is gone: the pod comes back only later
      await leader.kill('SIGKILL');
      await waitFor('the standby to take over', () => standby.leading(), 60_000);
      finisher = standby;
      leader.resumeRestarts();
    });
    expect(await finisher?.leading()).toBe(true);
    const users = new Set(writes.map((e) => e.user.username));
    expect(users).toEqual(new Set(env.replicas.map((r) => `manager-${r.name}`)));
  });

  it('the apiserver restarted mid-rollout: every replica watches again within 10 s', async () => {
    let recoveryMs = Number.POSITIVE_INFINITY;
    await rolloutThrough('apiserver-restart', async ({ namespace }) => {
      await env.cluster.restartApiServer();
      const back = Date.now();
      await createProbes(namespace);
      const recovered = await waitFor(
        "every replica's informers to deliver events again",
        async () => {
          // Only the probed resources: an informer on a kind with no objects (SidecarSets here) sees
          // nothing new until the apiserver's next bookmark, about a minute later.
          const times = await Promise.all(env.replicas.map((r) => r.informerEventTimes()));
          const fresh = times.every((t) => PROBED.every((resource) => (t.get(resource) ?? 0) >= back));
          return fresh ? Date.now() : undefined;
        },
        90_000,
        200,
      );
      recoveryMs = recovered - back;
    });
    process.stdout.write(`chaos: informers recovered ${recoveryMs} ms after the apiserver was back\n`);
    expect(recoveryMs).toBeLessThanOrEqual(10_000);
  });

  it('the etcd member restarted mid-rollout', async () => {
    await rolloutThrough('etcd-restart', async () => {
      await env.cluster.restartEtcd();
    });
  });

  it("the leader's network to the apiserver cut for 30 s, then restored", async () => {
    let exitedOnLostLease = false;
    await rolloutThrough('network-cut', async ({ leader, standby }) => {
      const startsBefore = leader.starts;
      const cutAt = Date.now();
      leader.apiProxy.cut();
      try {
        await waitFor('the standby to take over', () => standby.leading(), 30_000);
        // The partition lasts 30 s whatever happens inside it: that duration is the case.
        await sleep(Math.max(0, 30_000 - (Date.now() - cutAt)));
      } finally {
        leader.apiProxy.restore();
      }
      // The cut-off leader gave up its lease by exiting; the kubelet (here the harness) restarted it.
      exitedOnLostLease = leader.starts > startsBefore;
    });
    expect(exitedOnLostLease).toBe(true);
  });

  it('a webhook replica SIGKILLed while pods and CRs are created: none is admitted without defaults, validation or injection', async () => {
    const attempts = { valid: 0, invalid: 0, failed: 0, pods: 0, podsRefused: 0 };
    await rolloutThrough('webhook-killed', async ({ namespace, standby }) => {
      const sidecarSet = `${namespace}-proxy`;
      await createAdmitted(env.client, SidecarSets, proxySidecarSet(sidecarSet, namespace));
      // A pod admitted before a replica has heard of the SidecarSet is the informer race OpenKruise has
      // too, not this fault: the traffic starts once each replica's injector, asked directly, injects.
      await waitFor(
        "both replicas' injectors to have the SidecarSet",
        async () => (await Promise.all(env.replicas.map((r) => injects(r, namespace)))).every(Boolean),
        60_000,
        200,
      );
      let creating = true;
      const created: string[] = [];
      const podsCreated: string[] = [];
      const crTraffic = (async () => {
        for (let i = 0; creating; i++) {
          const valid = i % 2 === 0;
          const name = `${valid ? 'valid' : 'invalid'}-${i}`;
          try {
            await cloneSets().create(bareCloneSet(namespace, name, valid));
            created.push(name);
          } catch (err) {
            const code = err instanceof ApiError ? err.code : 0;
            // 422: denied by validation, as every invalid one must be. 500: the webhook call failed
            // (failurePolicy Fail) and nothing was stored; the caller would retry.
            if (code === 500) attempts.failed++;
            else if (code !== 422 || valid) throw err;
          }
          if (valid) attempts.valid++;
          else attempts.invalid++;
        }
      })();
      const podTraffic = (async () => {
        for (let i = 0; creating; i++) {
          const name = `pod-${i}`;
          try {
            await env.client.resource(Pods).create(injectablePod(namespace, name));
            podsCreated.push(name);
          } catch (err) {
            const code = err instanceof ApiError ? err.code : 0;
            // 500: no replica answered (failurePolicy Fail); 503: the replica's SidecarSet cache was not
            // synced yet. Either way nothing was stored.
            if (code !== 500 && code !== 503) throw err;
            attempts.podsRefused++;
          }
          attempts.pods++;
        }
      })();
      const traffic = Promise.all([crTraffic, podTraffic]);
      try {
        await waitFor(
          'pods and CRs to go through the webhooks',
          () => created.length >= 5 && podsCreated.length >= 5,
          60_000,
        );
        const startsBefore = standby.starts;
        await standby.kill('SIGKILL');
        const atKill = { crs: created.length, pods: podsCreated.length };
        await waitFor(
          'creations to go on after the kill',
          () => created.length >= atKill.crs + 10 && podsCreated.length >= atKill.pods + 10,
          60_000,
        );
        // The restarted replica must serve too, from its first request on.
        await waitFor(
          'the killed replica to serve again',
          () => standby.starts > startsBefore && standby.ready,
          120_000,
        );
        const atReady = { crs: created.length, pods: podsCreated.length };
        await waitFor(
          'creations to go on with both replicas back',
          () => created.length >= atReady.crs + 10 && podsCreated.length >= atReady.pods + 10,
          60_000,
        );
      } finally {
        creating = false;
        await traffic;
      }
      const stored = (await cloneSets().list({ namespace })).items.filter(
        (cs) => cs.metadata?.name !== 'web',
      );
      expect(stored.map((cs) => cs.metadata?.name).sort()).toEqual(created.sort());
      for (const cs of stored) {
        expect(cs.metadata?.name).toMatch(/^valid-/);
        // Defaults only our mutating webhook sets (the CRD has none).
        expect(cs.spec?.revisionHistoryLimit).toBe(10);
        expect(cs.spec?.updateStrategy).toMatchObject({
          type: 'ReCreate',
          maxUnavailable: '20%',
          maxSurge: 0,
        });
      }
      const pods = (await env.client.resource<PodObject>(Pods).list({ namespace, labelSelector: INJECTABLE }))
        .items;
      expect(pods.map((p) => p.metadata?.name).sort()).toEqual(podsCreated.sort());
      for (const pod of pods) {
        const annotations = pod.metadata?.annotations ?? {};
        // The pod's name in each expectation, so a failure says which pod went without.
        const containers = (pod.spec?.containers ?? []).map((c) => c.name).sort();
        expect({ pod: pod.metadata?.name, containers }).toEqual({
          pod: pod.metadata?.name,
          containers: ['app', 'proxy'],
        });
        expect({ pod: pod.metadata?.name, list: annotations[SidecarSetInjectedListAnnotation] }).toEqual({
          pod: pod.metadata?.name,
          list: sidecarSet,
        });
        const hash = JSON.parse(annotations[SidecarSetHashAnnotation] ?? '{}')[sidecarSet]?.hash;
        expect({ pod: pod.metadata?.name, hash }).toEqual({
          pod: pod.metadata?.name,
          hash: expect.stringMatching(/\w/),
        });
      }
    });
    expect(attempts.valid).toBeGreaterThan(10);
    expect(attempts.invalid).toBeGreaterThan(10);
    expect(attempts.pods - attempts.podsRefused).toBeGreaterThan(20);
    process.stdout.write(`chaos: webhook traffic ${JSON.stringify(attempts)}\n`);
  });
});

const INJECTABLE = 'chaos-sidecar=proxy';

interface PodObject extends KubeObject {
  spec?: { containers?: { name: string; image?: string }[] };
}

/** Injects a proxy container into the pods labelled INJECTABLE in `namespace` only. */
function proxySidecarSet(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name },
    spec: {
      namespace,
      selector: { matchLabels: { 'chaos-sidecar': 'proxy' } },
      containers: [{ name: 'proxy', image: 'registry.example/proxy:v1' }],
    },
  } as KubeObject;
}

/** Whether `replica`'s /mutate-pod, called as the apiserver would, adds the proxy to a new pod. */
async function injects(replica: ManagerReplica, namespace: string): Promise<boolean> {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'probe',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace,
      userInfo: { username: 'chaos' },
      object: injectablePod(namespace, 'probe'),
    },
  };
  const body = await new Promise<string | undefined>((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: replica.webhookPort,
        path: '/mutate-pod',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        rejectUnauthorized: false, // the replica's own CA; only what it answers matters here
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(JSON.stringify(review));
  });
  const patch = body ? (JSON.parse(body).response?.patch as string | undefined) : undefined;
  return patch !== undefined && Buffer.from(patch, 'base64').toString().includes('"proxy"');
}

function injectablePod(namespace: string, name: string): KubeObject {
  return {
    metadata: { name, namespace, labels: { 'chaos-sidecar': 'proxy' } },
    spec: { containers: [{ name: 'app', image: IMAGE(1) }] },
  } as KubeObject;
}

/** A CloneSet of 0 replicas without any defaults; the invalid one's selector misses its template. */
function bareCloneSet(namespace: string, name: string, valid: boolean): CloneSetObject {
  return {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'CloneSet',
    metadata: { name, namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: valid ? name : 'something-else' } },
        spec: { containers: [{ name: 'app', image: IMAGE(1) }] },
      },
    },
  };
}

/** One new object of every kind the managers watch, so each informer has an event to deliver. */
/** The informers createProbes gives an event, by their metric's resource label. */
const PROBED = ['clonesets.apps.kruise.io', 'pods', 'persistentvolumeclaims', 'controllerrevisions.apps'];

async function createProbes(namespace: string): Promise<void> {
  const meta = { name: 'probe', namespace };
  await createAdmitted(env.client, CloneSets, {
    ...bareCloneSet(namespace, 'probe', true),
    metadata: meta,
  });
  await env.client
    .resource(Pods)
    .create({ metadata: meta, spec: { containers: [{ name: 'c', image: 'probe' }] } } as KubeObject);
  await env.client.resource(PersistentVolumeClaims).create({
    metadata: meta,
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  } as KubeObject);
  await env.client
    .resource(ControllerRevisions)
    .create({ metadata: meta, data: {}, revision: 1 } as KubeObject);
}

/** Creates through our webhooks, retrying while no replica can answer (failurePolicy Fail). */
async function createAdmitted(client: KubeClient, type: ResourceType, object: KubeObject): Promise<void> {
  await waitFor(
    `${object.metadata?.name} to be admitted`,
    async () => {
      try {
        await client.resource(type).create(object);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return true;
    },
    120_000,
    500,
  );
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
