// `npm start` end to end: the local cluster and the manager come up and say what runs; a sample from our
// docs, without tolerations, runs to Ready on the local nodes; an object whose controller is switched off
// is reported; Ctrl-C leaves nothing behind.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resourceOf } from '../../apis/install';
import { KINDS, type KindName } from '../../apis/kinds';
import { REPO_ROOT } from '../../cluster/binaries';
import { freePort, probe } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { NoControllerReason } from '../../controllers/no-controller';
import { createClient, type KubeClient } from '../../runtime/client';
import type { CoreEvent } from '../../runtime/events';
import { Events, type KubeObject, Nodes, Pods } from '../../runtime/meta';
import { itOnLocalCluster } from '../cluster/e2e';

/** PIDs whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The document of a sample file in the kind's internal version, as a user would apply it. */
function sample(file: string, kind: KindName): KubeObject {
  const info = KINDS[kind];
  const docs = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, 'config', 'samples', file), 'utf8'));
  const doc = docs.map((d) => d.toJS() as KubeObject).find((d) => d.apiVersion === info.apiVersion);
  if (!doc) throw new Error(`${file} has no ${info.apiVersion} document`);
  return doc;
}

type NodeObject = KubeObject & {
  spec?: { taints?: { key: string }[] };
  status: { conditions: { type: string; status: string }[] };
};
type PodObject = KubeObject & {
  spec: { nodeName?: string; tolerations?: { key?: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
};
const isReady = (o: { status?: { conditions?: { type: string; status: string }[] } }) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let client: KubeClient | undefined;
  afterAll(() => {
    client?.close();
    child?.kill('SIGKILL');
  });

  itOnLocalCluster(
    'says what runs, runs a sample without tolerations to Ready, reports a kind whose controller is off, and stops everything on Ctrl-C',
    async () => {
      const healthPort = await freePort();
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(REPO_ROOT, 'cmd', 'start.ts'),
          '--health-port',
          String(healthPort),
          '--controllers=*,-broadcastjob',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      let managerLog = '';
      child.stderr?.on('data', (chunk) => (output += chunk));
      child.stdout?.on('data', (chunk) => (managerLog += chunk));
      const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));

      // "ready." comes once the manager answers /readyz.
      const kubeconfig = await waitFor(
        'the ready message',
        () => /ready\.\n[\s\S]*kubeconfig:\s+(\S+)/.exec(output)?.[1],
        240_000,
      );
      expect(await probe(`http://127.0.0.1:${healthPort}/readyz`)).toBe(200);
      expect(await probe(`http://127.0.0.1:${healthPort}/healthz`)).toBe(200);
      expect(output).toContain('  controllers: cloneset, statefulset, sidecarset\n');
      expect(output).toContain('  switched off: broadcastjob (their objects get a NoController Event');
      expect(output).toMatch(/webhooks: +defaulting and validation of CloneSet, StatefulSet, BroadcastJob/);
      expect(output).toContain('sidecar injection into new pods');
      expect(output).toContain(`kubectl --kubeconfig ${kubeconfig} get nodes`);
      expect(managerLog).toContain('"msg":"what runs"');
      const clusterDir = path.dirname(kubeconfig);
      client = createClient(kubeconfig);

      // The local nodes take any pod: Ready, and no taint (kube-controller-manager lifts its not-ready one).
      const nodes = client.resource<NodeObject>(Nodes);
      await waitFor('3 Ready nodes without taints', async () => {
        const { items } = await nodes.list();
        return items.length === 3 && items.every((n) => isReady(n) && (n.spec?.taints ?? []).length === 0);
      });

      // The README's in-place CloneSet, as written: no toleration.
      const cloneSet = sample('cloneset/in-place-update.yaml', 'CloneSet');
      expect(JSON.stringify(cloneSet)).not.toContain('toleration');
      await client.resource(resourceOf('CloneSet')).create(cloneSet);
      const pods = client.resource<PodObject>(Pods);
      const ready = await waitFor(
        'the inplace-web CloneSet to have 3 Ready pods',
        async () => {
          const { items } = await pods.list({ namespace: 'default', labelSelector: 'app=inplace-web' });
          return items.length === 3 && items.every(isReady) ? items : undefined;
        },
        120_000,
      );
      for (const pod of ready) {
        expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
        expect((pod.spec.tolerations ?? []).filter((t) => t.key?.startsWith('kwok.'))).toEqual([]);
      }
      await waitFor('the CloneSet status to count 3 ready replicas', async () => {
        const read = await client
          ?.resource<KubeObject & { status?: { readyReplicas?: number } }>(resourceOf('CloneSet'))
          .get({ namespace: 'default', name: 'inplace-web' });
        return read?.status?.readyReplicas === 3;
      });

      // A BroadcastJob while its controller is off: stored, reported, and nothing runs for it.
      const job = sample('broadcastjob/run-once.yaml', 'BroadcastJob');
      await client.resource(resourceOf('BroadcastJob')).create(job);
      const event = await waitFor(
        'a NoController Event on the BroadcastJob',
        async () => {
          const { items } = await client!.resource<CoreEvent>(Events).list({ namespace: 'default' });
          return items.find(
            (e) =>
              e.reason === NoControllerReason &&
              e.involvedObject?.kind === 'BroadcastJob' &&
              e.type === 'Warning',
          );
        },
        30_000,
      );
      expect(event.involvedObject?.name).toBe('node-inventory');
      expect(event.message).toContain(
        'no BroadcastJob controller runs in this manager (switched off: --controllers=*,-broadcastjob)',
      );
      await waitFor(
        'the NoController log line',
        () =>
          managerLog.includes('"reason":"NoController"') &&
          managerLog.includes('"object":"default/node-inventory"'),
      );
      const { items: all } = await pods.list({ namespace: 'default' });
      expect(all.filter((p) => p.metadata?.ownerReferences?.some((o) => o.kind === 'BroadcastJob'))).toEqual(
        [],
      );

      expect(processesMentioning(clusterDir).length).toBeGreaterThanOrEqual(5);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('outrigger start: stopped');
      expect(processesMentioning(clusterDir)).toEqual([]);
      expect(processesMentioning(`127.0.0.1:${healthPort}`)).toEqual([]);
    },
    480_000,
  );
});
