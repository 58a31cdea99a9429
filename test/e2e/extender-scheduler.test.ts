// The resource-angle extender behind a real kube-scheduler, on a cluster of its own (the shared e2e
// cluster's scheduler has no extender): ~200 kwok nodes in the openb trace's shapes, the scheduler
// configured as config/scheduler/kube-scheduler-config.yaml, the extender in this process on loopback.
import { request } from 'node:http';
import { type LocalCluster, startLocalCluster } from '../../cluster/cluster';
import { freePort } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Namespaces, Pods } from '../../runtime/meta';
import { podManifest, traceNodeSpecs, tracePods } from '../../scheduler/bench/kwok';
import { parseConfig } from '../../scheduler/config';
import { type RunningExtender, runExtender } from '../../scheduler/extender/runnable';
import type { ExtenderArgs, HostPriority } from '../../scheduler/extender/wire';
import { schedulerSettings } from '../../scheduler/kubescheduler';
import type { Pod } from '../../scheduler/types';

const NODES = 200;
const NAMESPACE = 'angle';

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
  // The last prioritize reply per pod name, as the scheduler received it.
  const replies = new Map<string, HostPriority[]>();

  const pods = () => cluster.client.resource<PodObject>(Pods);

  /** Creates a pod and returns its node once the scheduler bound it and the extender's cache counts it there. */
  async function schedule(manifest: Record<string, unknown>, name: string): Promise<string> {
    await pods().create(manifest as PodObject);
    const bound = await waitFor(`pod ${name} to be bound`, async () => {
      const pod = await pods().get({ namespace: NAMESPACE, name });
      return pod.spec?.nodeName ? pod : undefined;
    });
    await waitFor(`the extender to see ${name} on ${bound.spec?.nodeName}`, () => {
      const placement = extender.runnable.state.placementOf(bound);
      return placement?.node === bound.spec?.nodeName && !placement?.assumed;
    });
    return bound.spec?.nodeName ?? '';
  }

  beforeAll(async () => {
    port = await freePort();
    config.server.host = '127.0.0.1';
    config.server.port = port;
    // kube-controller-manager stays on: its node lifecycle controller lifts the not-ready taint that
    // admission puts on every new node.
    cluster = await startLocalCluster({
      nodes: traceNodeSpecs(NODES),
      ...schedulerSettings(`http://127.0.0.1:${port}${config.server.prefix}`),
    });
    await cluster.client.resource(Namespaces).create({ metadata: { name: NAMESPACE } });
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
  }, 600_000);

  afterAll(async () => {
    await extender?.stop();
    await cluster?.stop();
  }, 120_000);

  it('places each pod on a node the extender scored highest', async () => {
    const trace = tracePods(24);
    let decisive = 0;
    for (const [i, p] of trace.entries()) {
      const name = `placed-${i}`;
      const node = await schedule(podManifest(p, name, NAMESPACE), name);
      const reply = replies.get(name);
      expect(reply).toBeDefined();
      const best = Math.max(...reply!.map((h) => h.Score));
      const top = reply!.filter((h) => h.Score === best).map((h) => h.Host);
      // Every other score plugin ties for these plain pods, so the extender's score decides.
      expect(top).toContain(node);
      if (top.length < reply!.length) decisive++;
    }
    // The check has teeth only if the scores told nodes apart.
    expect(decisive).toBeGreaterThan(trace.length / 2);
  });

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

  it('still schedules pods while the extender is down (ignorable)', async () => {
    await extender.stop();
    await expect(post(port, `${config.server.prefix}/prioritize`, '{}')).rejects.toThrow(/ECONNREFUSED/);
    const names: string[] = [];
    for (const [i, p] of tracePods(5).entries()) {
      names.push(`down-${i}`);
      await pods().create(podManifest(p, `down-${i}`, NAMESPACE) as PodObject);
    }
    for (const name of names) {
      await waitFor(`pod ${name} to be bound without the extender`, async () => {
        const pod = await pods().get({ namespace: NAMESPACE, name });
        return pod.spec?.nodeName;
      });
    }
  });
});
