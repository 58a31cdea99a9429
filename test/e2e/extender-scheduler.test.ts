// The resource-angle extender behind a real kube-scheduler, on a cluster of its own (the shared e2e
// cluster's scheduler has no extender): 200 kwok nodes in the openb trace's shapes, advertising whole GPUs,
// GPU shares and their GPU model, the scheduler configured as config/scheduler/kube-scheduler-config.yaml,
// the extender in this process on loopback.
import { request } from 'node:http';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { freePort } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import { GPU, podManifest, traceNodes, tracePods } from '../../scheduler/bench/kwok';
import { parseConfig } from '../../scheduler/config';
import { MAX_DEVICES } from '../../scheduler/extender/gpus';
import { type RunningExtender, runExtender } from '../../scheduler/extender/runnable';
import type { ExtenderArgs, HostPriority } from '../../scheduler/extender/wire';
import { schedulerSettings } from '../../scheduler/kubescheduler';
import { parsePolicy } from '../../scheduler/scoring/policies';
import { Scheduler } from '../../scheduler/sim/simulate';
import { SimState } from '../../scheduler/sim/state';
import { MAX_GPUS, MILLI } from '../../scheduler/sim/trace';
import type { Pod } from '../../scheduler/types';

const NODES = 200;
const NAMESPACE = 'angle';
const SHARING = { sharing: true };

type PodObject = KubeObject & Pod;

interface HttpReply {
  status: number;
  body: string;
}

function post(port: number, path: string, body: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('resource-angle extender with kube-scheduler', () => {
  let cluster: LocalCluster;
  let extender: RunningExtender;
  let port: number;
  const config = parseConfig('');
  const trace = traceNodes(NODES, SHARING);
  // The last prioritize reply per pod name, as the scheduler received it.
  const replies = new Map<string, HostPriority[]>();

  const pods = () => cluster.client.resource<PodObject>(Pods);

  /** Starts the extender on `port` and waits until its cache holds every node. */
  async function startExtender(): Promise<void> {
    extender = runExtender(cluster.client, config, silentLogger());
    const { extender: ext } = extender.runnable;
    const prioritize = ext.prioritize.bind(ext);
    ext.prioritize = (args: ExtenderArgs) => {
      const reply = prioritize(args);
      replies.set(args.Pod.metadata?.name ?? '', reply);
      return reply;
    };
    await waitFor(
      'the extender cache to sync',
      () => extender.runnable.ready() && extender.runnable.state.nodeCount === NODES,
    );
  }

  /** Creates a pod and returns it once the scheduler bound it and the extender's cache counts it there. */
  async function schedule(manifest: Record<string, unknown>, name: string): Promise<PodObject> {
    await pods().create(manifest as PodObject);
    const bound = await waitFor(`pod ${name} to be bound`, async () => {
      const pod = await pods().get({ namespace: NAMESPACE, name });
      return pod.spec?.nodeName ? pod : undefined;
    });
    await waitFor(`the extender to see ${name} on ${bound.spec?.nodeName}`, () => {
      const placement = extender.runnable.state.placementOf(bound);
      return placement?.node === bound.spec?.nodeName && !placement?.assumed;
    });
    return pods().get({ namespace: NAMESPACE, name });
  }

  beforeAll(async () => {
    port = await freePort();
    config.server.host = '127.0.0.1';
    config.server.port = port;
    // kube-controller-manager stays on: its node lifecycle controller lifts the not-ready taint that
    // admission puts on every new node.
    cluster = await startLocalCluster({
      nodes: trace.specs,
      ...schedulerSettings(`http://127.0.0.1:${port}${config.server.prefix}`),
    });
    await cluster.client.resource(Namespaces).create({ metadata: { name: NAMESPACE } });
    await startExtender();
  }, 600_000);

  afterAll(async () => {
    await extender?.stop();
    await cluster?.stop();
  }, 120_000);

  it('places a GPU-sharing trace slice as the simulator does, devices included, and rebuilds them after a restart', async () => {
    // The simulator follows kube-scheduler step by step: the node it bound must be one the simulator
    // scores highest for the same cluster state, and the devices the extender recorded must be the ones the
    // simulator gives the pod there. A quarter of the GPU pods of this list name GPU models.
    const state = new SimState(trace.cluster);
    const scheduler = new Scheduler(state, parsePolicy('shipped'), []);
    const index = new Map(trace.cluster.nodes.map((n, i) => [n.name, i]));
    // Pods some node here can take (a GPU model outside these 200 nodes would leave a pod pending).
    const slice = tracePods(40, 'gpuspec25', () => true).filter((p) =>
      trace.cluster.nodes.some((_, i) => state.fits(p, i)),
    );
    expect(slice.some((p) => p.gpus === 0)).toBe(true);
    expect(slice.some((p) => p.gpus === 1 && p.gpuMilli < MILLI)).toBe(true);
    expect(slice.some((p) => p.gpuMilli === MILLI)).toBe(true);
    expect(slice.some((p) => p.models !== 0)).toBe(true);
    let decisive = 0;
    for (const [n, p] of slice.entries()) {
      const name = `share-${n}`;
      const k = scheduler.evaluate(p);
      const pod = await schedule(podManifest(p, name, NAMESPACE, SHARING, trace.cluster.models), name);
      const node = index.get(pod.spec!.nodeName!)!;
      let best = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) best = Math.max(best, scheduler.totalOf(j));
      const top = Array.from({ length: k }, (_, j) => j).filter(
        (j) => k === 1 || scheduler.totalOf(j) === best,
      );
      expect(top.map((j) => trace.cluster.nodes[scheduler.feasibleNode(j)]!.name)).toContain(
        pod.spec!.nodeName,
      );
      if (top.length < k) decisive++;
      const idle = idleDevices(state, node);
      const gpu = scheduler.place(p, node);
      const recorded = pod.metadata?.annotations?.[GPU.deviceAnnotation];
      // Sharing pods: the best-fit device; whole GPUs: the first idle ones.
      const expected = p.gpus === 0 ? undefined : gpu >= 0 ? String(gpu) : idle.slice(0, p.gpus).join(',');
      expect([name, recorded]).toEqual([name, expected]);
    }
    expect(decisive).toBeGreaterThan(slice.length / 2);

    // A new extender rebuilds every device's free share from the pods' annotations.
    await extender.stop();
    await startExtender();
    await waitFor(
      'the restarted cache to count the slice',
      () => extender.runnable.state.podCount >= slice.length,
    );
    const snap = extender.runnable.state.snapshot();
    for (const [i, n] of trace.cluster.nodes.entries()) {
      const at = snap.index.get(n.name)!;
      const cached = Array.from(snap.devFree.subarray(at * MAX_DEVICES, at * MAX_DEVICES + n.gpus));
      expect([n.name, cached]).toEqual([
        n.name,
        Array.from(state.gpuLeft.subarray(i * MAX_GPUS, i * MAX_GPUS + n.gpus)),
      ]);
    }
  }, 900_000);

  it('places each pod on a node the extender scored highest', async () => {
    const list = tracePods(24);
    let decisive = 0;
    for (const [i, p] of list.entries()) {
      const name = `placed-${i}`;
      const pod = await schedule(podManifest(p, name, NAMESPACE), name);
      const reply = replies.get(name);
      expect(reply).toBeDefined();
      const best = Math.max(...reply!.map((h) => h.Score));
      const top = reply!.filter((h) => h.Score === best).map((h) => h.Host);
      // Every other score plugin ties for these plain pods, so the extender's score decides.
      expect(top).toContain(pod.spec?.nodeName);
      if (top.length < reply!.length) decisive++;
    }
    // The check has teeth only if the scores told nodes apart.
    expect(decisive).toBeGreaterThan(list.length / 2);
  }, 600_000);

  it('answers malformed requests with HTTP 400 and a message', async () => {
    const notJson = await post(port, `${config.server.prefix}/prioritize`, '{"Pod": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatch(/invalid JSON/);
    const badShape = await post(port, `${config.server.prefix}/filter`, '{"Pod": 5, "NodeNames": []}');
    expect(badShape.status).toBe(400);
    expect(badShape.body).toMatch(/Pod must be an object/);
    const badQuantity = await post(
      port,
      `${config.server.prefix}/prioritize`,
      JSON.stringify({
        Pod: { spec: { containers: [{ resources: { requests: { cpu: 'lots' } } }] } },
        NodeNames: [],
      }),
    );
    expect(badQuantity.status).toBe(400);
    expect(badQuantity.body.length).toBeGreaterThan(0);
    // Still serving afterwards.
    const ok = await post(port, `${config.server.prefix}/prioritize`, '{"Pod": {}, "NodeNames": []}');
    expect(ok).toEqual({ status: 200, body: '[]' });
  });

  it('schedules CPU pods while the extender is down (ignorable); GPU pods wait for it and then get devices', async () => {
    await extender.stop();
    await expect(post(port, `${config.server.prefix}/prioritize`, '{}')).rejects.toThrow(/ECONNREFUSED/);
    const [gpuPod] = tracePods(1, 'default', (p) => p.gpus === 1 && p.gpuMilli < MILLI);
    await pods().create(podManifest(gpuPod!, 'down-gpu', NAMESPACE, SHARING) as PodObject);
    const cpuPods = tracePods(4, 'default', (p) => p.gpus === 0);
    for (const [i, p] of cpuPods.entries()) {
      await pods().create(podManifest(p, `down-${i}`, NAMESPACE) as PodObject);
    }
    for (const i of cpuPods.keys()) {
      await waitFor(`pod down-${i} to be bound without the extender`, async () => {
        const pod = await pods().get({ namespace: NAMESPACE, name: `down-${i}` });
        return pod.spec?.nodeName;
      });
    }
    // The GPU pod's bind belongs to the extender, which is not ignorable for it.
    expect((await pods().get({ namespace: NAMESPACE, name: 'down-gpu' })).spec?.nodeName).toBeUndefined();
    await startExtender();
    const bound = await waitFor(
      'the GPU pod to be bound once the extender is back',
      async () => {
        const pod = await pods().get({ namespace: NAMESPACE, name: 'down-gpu' });
        return pod.spec?.nodeName ? pod : undefined;
      },
      180_000,
    );
    expect(bound.metadata?.annotations?.[GPU.deviceAnnotation]).toMatch(/^\d+$/);
  }, 600_000);
});

/** Node `node`'s fully idle devices in the simulator, in index order. */
function idleDevices(state: SimState, node: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < state.gpuCount[node]!; g++)
    if (state.gpuLeft[node * MAX_GPUS + g] === MILLI) out.push(g);
  return out;
}
