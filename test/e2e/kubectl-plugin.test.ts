// `kubectl outrigger` against the real control plane, our CloneSet and Advanced StatefulSet controllers
// running in this process: every command, some as a real child process (node --import tsx
// cmd/kubectl-outrigger.ts) and the others through the same main() in process. The plan preview is
// checked against the rollout that follows: the pods start their update in the batches it named.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Pod } from '../../apis';
import { installCrds, resourceOf } from '../../apis/install';
import { REPO_ROOT } from '../../cluster/binaries';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { setupCloneSetController } from '../../controllers/cloneset';
import { setupStatefulSetController } from '../../controllers/statefulset';
import { main } from '../../kubectl/cli';
import type { Preview } from '../../kubectl/preview';
import { startedUpdate } from '../../kubectl/preview';
import { createClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { Deployments, type KubeObject, Pods } from '../../runtime/meta';
import {
  e2eClient,
  e2eKubeconfigPath,
  itOnLocalCluster,
  type RunningController,
  startControllers,
  useTestNamespace,
} from '../cluster/e2e';
import * as cs from './cloneset-harness';
import * as sts from './statefulset-harness';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The plugin as a user runs it, in its own process; `output` shows its stdout so far. */
function startPlugin(args: string[], namespace: string): { output: () => string; done: Promise<Result> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'cmd', 'kubectl-outrigger.ts'),
      ...args,
      '--kubeconfig',
      e2eKubeconfigPath(),
      '-n',
      namespace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const done = new Promise<Result>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { output: () => stdout, done };
}

const pluginProcess = (args: string[], namespace: string) => startPlugin(args, namespace).done;

/** The same main() in this process (faster, for the commands already run as a process elsewhere). */
async function plugin(args: string[], namespace: string): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (t: string) => {
      stdout += t;
    },
    err: (t: string) => {
      stderr += t;
    },
    tty: false,
  };
  const code = await main([...args, '--kubeconfig', e2eKubeconfigPath(), '-n', namespace], io);
  return { code, stdout, stderr };
}

/**
 * Records the order in which pods of `app` start moving to `revision` (the first event where
 * startedUpdate holds, or its deletion), among the pods alive when it starts.
 */
class UpdateOrder {
  readonly order: string[] = [];
  private readonly informer: Informer<Pod & KubeObject>;
  private readonly stop = new AbortController();
  private readonly client = createClient(e2eKubeconfigPath());
  private readonly initial = new Set<string>();

  constructor(namespace: string, app: string, revision: () => string) {
    this.informer = new Informer<Pod & KubeObject>(this.client.resource<Pod & KubeObject>(Pods), {
      namespace,
      labelSelector: `app=${app}`,
      logger: silentLogger(),
    });
    const seen = (pod: Pod, deleted: boolean) => {
      const name = pod.metadata.name ?? '';
      const uid = pod.metadata.uid ?? '';
      if (!this.initial.has(uid) || this.order.includes(name)) return;
      if (deleted || startedUpdate(pod, revision())) this.order.push(name);
    };
    this.informer.addEventHandler({
      onAdd: (pod) => seen(pod, false),
      onUpdate: (_old, pod) => seen(pod, false),
      onDelete: (pod) => seen(pod, true),
    });
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await waitFor('the update-order watcher to sync', () => this.informer.hasSynced());
    for (const pod of this.informer.lister.list()) this.initial.add(pod.metadata.uid ?? '');
  }

  close(): void {
    this.stop.abort();
    this.client.close();
  }
}

/** The recorded start order cut into the preview's batch sizes: the same pods, batch by batch. */
function expectBatchesFollowed(preview: Preview, order: string[]): void {
  const planned = preview.batches.map((b) => b.pods.map((u) => u.pod).sort());
  let at = 0;
  const actual = planned.map((batch) => {
    const slice = order.slice(at, at + batch.length).sort();
    at += batch.length;
    return slice;
  });
  expect(actual).toEqual(planned);
  expect(order).toHaveLength(at);
}

const image = (version: string) => `example.com/app:${version}`;

describe('kubectl outrigger', () => {
  const ns = useTestNamespace('kubectl');
  let running: RunningController;

  beforeAll(async () => {
    await installCrds(e2eClient());
    running = await startControllers((mgr) => {
      setupCloneSetController(mgr, { namespace: ns.name, workers: 2 });
      setupStatefulSetController(mgr, { namespace: ns.name, workers: 2 });
    });
  });

  afterAll(async () => {
    await running?.stop();
  });

  itOnLocalCluster(
    'CloneSet: plan previews the batches the rollout then takes; status follows it live; history and undo go back',
    async () => {
      const spec = { replicas: 5, updateStrategy: { type: 'InPlaceIfPossible' as const, maxUnavailable: 2 } };
      await cs.cloneSets().create(cs.cloneSetOf('web', ns.name, spec));
      await cs.waitRolledOut(ns.name, 'web');

      const planned = await pluginProcess(
        ['rollout', 'plan', 'cloneset/web', '--image', `app=${image('v2')}`, '-o', 'json'],
        ns.name,
      );
      expect(planned.stderr).toBe('');
      expect(planned.code).toBe(0);
      const preview = JSON.parse(planned.stdout) as Preview;
      expect(preview.batches.map((b) => b.pods.length)).toEqual([2, 2, 1]);
      expect(preview.batches.flatMap((b) => b.pods).every((u) => u.how === 'in place')).toBe(true);
      expect(preview.batches[0]?.pods[0]?.why).toBe(`image app=${image('v2')}`);
      // A preview changes nothing.
      expect((await cs.getCloneSet(ns.name, 'web')).spec?.template.spec.containers[0]?.image).toBe(
        image('v1'),
      );
      const text = await plugin(
        ['rollout', 'plan', 'cloneset/web', '--image', `app=${image('v2')}`],
        ns.name,
      );
      expect(text.stdout).toMatch(/^BATCH\s+POD\s+UPDATE\s+WHY$/m);
      expect(text.stdout).toMatch(/3 batches, assuming each batch becomes ready/);

      const order = new UpdateOrder(ns.name, 'web', () => preview.updateRevision);
      await order.start();
      let status: Result | undefined;
      const watcher = await cs.watchRollout(
        ns.name,
        'web',
        { replicas: 5, maxUnavailable: 2, maxSurge: 0 },
        async () => {
          // Paused first, so the status process surely sees the rollout before it ends.
          await cs.patchSpec(ns.name, 'web', {
            updateStrategy: { paused: true },
            template: { spec: { containers: [{ name: 'app', image: image('v2') }] } },
          });
          const watching = startPlugin(
            ['rollout', 'status', 'cloneset/web', '--timeout=120s', '--interval=200ms'],
            ns.name,
          );
          await waitFor(
            'rollout status to show the paused rollout',
            async () => /paused/.test(watching.output()),
            60_000,
          );
          await plugin(['rollout', 'resume', 'cloneset/web'], ns.name);
          status = await watching.done;
          await cs.waitRolledOut(ns.name, 'web');
        },
      );
      order.close();
      cs.expectInvariantsHeld(watcher);
      expect((await cs.getCloneSet(ns.name, 'web')).status?.updateRevision).toBe(preview.updateRevision);
      expectBatchesFollowed(preview, order.order);
      expect(status?.code).toBe(0);
      expect(status?.stdout).toMatch(/\[[#.]{24}\] \d\/5 updated {2}\d\/5 ready {2}\d\/5 available/);
      expect(status?.stdout).toMatch(/cloneset "web" successfully rolled out\n$/);
      expect(status?.stdout).toMatch(/paused: resume it to go on/);

      const history = await plugin(['rollout', 'history', 'cloneset/web'], ns.name);
      expect(history.code).toBe(0);
      expect(history.stdout).toMatch(new RegExp(`^1 .*app=${image('v1')}`, 'm'));
      expect(history.stdout).toMatch(new RegExp(`^2 \\(current\\) .*app=${image('v2')}`, 'm'));
      const one = await plugin(['rollout', 'history', 'cloneset/web', '--revision=1', '-o', 'json'], ns.name);
      expect(JSON.parse(one.stdout)).toMatchObject({ kind: 'ControllerRevision', revision: 1 });

      const missing = await plugin(['rollout', 'undo', 'cloneset/web', '--to-revision=9'], ns.name);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/unable to find the specified revision 9/);
      const undo = await plugin(['rollout', 'undo', 'cloneset/web'], ns.name);
      expect(undo.stdout).toBe('cloneset.apps.kruise.io/web rolled back to revision 1\n');
      expect((await cs.getCloneSet(ns.name, 'web')).spec?.template.spec.containers[0]?.image).toBe(
        image('v1'),
      );
      const back = await cs.waitRolledOut(ns.name, 'web');
      expect(back.every((p) => p.spec?.containers?.[0]?.image === image('v1'))).toBe(true);
      // As for a Deployment, the template rolled back to becomes the newest revision.
      const after = await plugin(['rollout', 'history', 'cloneset/web'], ns.name);
      expect(after.stdout).toMatch(new RegExp(`^2 .*app=${image('v2')}`, 'm'));
      expect(after.stdout).toMatch(new RegExp(`^3 \\(current\\) .*app=${image('v1')}`, 'm'));
      const again = await plugin(['rollout', 'undo', 'cloneset/web', '--to-revision=3'], ns.name);
      expect(again.stdout).toBe(
        'cloneset.apps.kruise.io/web skipped rollback (current template already matches revision 3)\n',
      );
    },
    240_000,
  );

  itOnLocalCluster(
    'CloneSet ReCreate with maxSurge: the preview names the pods each batch recreates, surge included',
    async () => {
      const spec = {
        replicas: 4,
        updateStrategy: { type: 'ReCreate' as const, maxUnavailable: 1, maxSurge: 1 },
      };
      await cs.cloneSets().create(cs.cloneSetOf('surge', ns.name, spec));
      await cs.waitRolledOut(ns.name, 'surge');
      const planned = await plugin(
        ['rollout', 'plan', 'cs/surge', '--image', `app=${image('v2')}`, '-o', 'yaml'],
        ns.name,
      );
      expect(planned.stderr).toBe('');
      const preview = parse(planned.stdout) as Preview;
      expect(preview.batches.flatMap((b) => b.pods)).toHaveLength(4);
      expect(preview.batches.flatMap((b) => b.pods).every((u) => u.how === 'recreate')).toBe(true);
      expect(preview.removed).toEqual([]);

      const order = new UpdateOrder(ns.name, 'surge', () => preview.updateRevision);
      await order.start();
      const watcher = await cs.watchRollout(
        ns.name,
        'surge',
        { replicas: 4, maxUnavailable: 1, maxSurge: 1 },
        async () => {
          await cs.patchSpec(ns.name, 'surge', {
            template: { spec: { containers: [{ name: 'app', image: image('v2') }] } },
          });
          await cs.waitRolledOut(ns.name, 'surge');
        },
      );
      order.close();
      cs.expectInvariantsHeld(watcher);
      expectBatchesFollowed(preview, order.order);
    },
    180_000,
  );

  itOnLocalCluster(
    'Advanced StatefulSet: plan from a manifest, highest ordinal first, partition held; the rollout follows it',
    async () => {
      const spec = {
        replicas: 4,
        updateStrategy: {
          type: 'RollingUpdate' as const,
          rollingUpdate: { maxUnavailable: 1, partition: 1 },
        },
      };
      await sts.statefulSets().create(sts.statefulSetOf('db', ns.name, spec));
      await sts.waitRolledOut(ns.name, 'db');
      const manifest = sts.statefulSetOf('db', ns.name, spec);
      manifest.spec!.template.spec.containers[0]!.image = image('v2');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-')), 'db.yaml');
      fs.writeFileSync(file, stringify(manifest));

      const planned = await plugin(['rollout', 'plan', 'asts/db', '-f', file, '-o', 'json'], ns.name);
      expect(planned.stderr).toBe('');
      const preview = JSON.parse(planned.stdout) as Preview;
      expect(preview.batches.map((b) => b.pods.map((u) => `${u.pod} ${u.how}`))).toEqual([
        ['db-3 recreate'],
        ['db-2 recreate'],
        ['db-1 recreate'],
      ]);
      expect(preview.held).toEqual([{ pod: 'db-0', why: 'partition 1' }]);

      const order = new UpdateOrder(ns.name, 'db', () => preview.updateRevision);
      await order.start();
      const watcher = await sts.watchRollout(
        ns.name,
        'db',
        { maxUnavailable: 1, ordinals: sts.upTo(4) },
        async () => {
          await sts.patchSpec(ns.name, 'db', { template: manifest.spec!.template });
          await waitFor(
            'db-1..3 at the update revision',
            async () => {
              const set = await sts.getStatefulSet(ns.name, 'db');
              return (
                set.status?.updatedReadyReplicas === 3 &&
                set.status.observedGeneration === set.metadata?.generation
              );
            },
            120_000,
          );
        },
      );
      order.close();
      sts.expectInvariantsHeld(watcher);
      expectBatchesFollowed(preview, order.order);
      expect(order.order).toEqual(['db-3', 'db-2', 'db-1']);

      const done = await plugin(['rollout', 'status', 'statefulset/db', '--watch=false'], ns.name);
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(/partitioned roll out complete: 3 of 4 pods updated/);

      const history = await plugin(['rollout', 'history', 'asts/db'], ns.name);
      expect(history.stdout).toMatch(new RegExp(`^2 \\(current\\) .*app=${image('v2')}`, 'm'));
      const undo = await plugin(['rollout', 'undo', 'asts/db'], ns.name);
      expect(undo.stdout).toBe('statefulset.apps.kruise.io/db rolled back to revision 1\n');
      const back = await sts.waitRolledOut(ns.name, 'db');
      expect(back.map((p) => p.spec?.containers?.[0]?.image)).toEqual(Array(4).fill(image('v1')));
    },
    240_000,
  );

  itOnLocalCluster(
    'pause, resume and restart through each kind’s own fields',
    async () => {
      await cs.cloneSets().create(cs.cloneSetOf('pr', ns.name, { replicas: 2 }));
      await cs.waitRolledOut(ns.name, 'pr');
      expect((await pluginProcess(['rollout', 'pause', 'cloneset/pr'], ns.name)).stdout).toBe(
        'cloneset.apps.kruise.io/pr paused\n',
      );
      expect((await cs.getCloneSet(ns.name, 'pr')).spec?.updateStrategy?.paused).toBe(true);
      const twice = await plugin(['rollout', 'pause', 'cs', 'pr'], ns.name);
      expect([twice.code, twice.stderr]).toEqual([
        1,
        'error: cloneset.apps.kruise.io/pr is already paused\n',
      ]);
      const refused = await plugin(['rollout', 'restart', 'cloneset/pr'], ns.name);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/can't restart paused .*run rollout resume first/);

      // While paused, a changed template waits, and status says why and gives up at --timeout.
      await cs.patchSpec(ns.name, 'pr', {
        template: { spec: { containers: [{ name: 'app', image: image('v2') }] } },
      });
      const held = await pluginProcess(
        ['rollout', 'status', 'cloneset/pr', '--timeout=3s', '--interval=500ms'],
        ns.name,
      );
      expect(held.code).toBe(1);
      expect(held.stdout).toMatch(/paused: resume it to go on/);
      expect(held.stderr).toMatch(/timed out waiting for the rollout/);

      expect((await plugin(['rollout', 'resume', 'cloneset/pr'], ns.name)).stdout).toBe(
        'cloneset.apps.kruise.io/pr resumed\n',
      );
      await cs.waitRolledOut(ns.name, 'pr');
      const before = (await cs.podsOf(ns.name, 'pr')).map(
        (p) => p.metadata?.labels?.['controller-revision-hash'],
      );
      const restarted = await plugin(['rollout', 'restart', 'cloneset/pr'], ns.name);
      expect(restarted.stdout).toBe('cloneset.apps.kruise.io/pr restarted\n');
      const annotations = (await cs.getCloneSet(ns.name, 'pr')).spec?.template.metadata?.annotations ?? {};
      expect(Date.parse(annotations['kubectl.kruise.io/restartedAt'] ?? '')).toBeGreaterThan(
        Date.now() - 60_000,
      );
      const after = await cs.waitRolledOut(ns.name, 'pr');
      expect(after.map((p) => p.metadata?.labels?.['controller-revision-hash'])).not.toContain(before[0]);

      await sts.statefulSets().create(sts.statefulSetOf('ps', ns.name, { replicas: 1 }));
      await plugin(['rollout', 'pause', 'asts/ps'], ns.name);
      expect((await sts.getStatefulSet(ns.name, 'ps')).spec?.updateStrategy?.rollingUpdate?.paused).toBe(
        true,
      );
      await plugin(['rollout', 'resume', 'asts/ps'], ns.name);
      expect((await sts.getStatefulSet(ns.name, 'ps')).spec?.updateStrategy?.rollingUpdate?.paused).toBe(
        false,
      );

      const jobs = e2eClient().resource<KubeObject & { spec?: { paused?: boolean } }>(
        resourceOf('BroadcastJob'),
      );
      await jobs.create({
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'BroadcastJob',
        metadata: { name: 'warm', namespace: ns.name },
        spec: {
          template: {
            spec: {
              containers: [{ name: 'w', image: 'busybox' }],
              restartPolicy: 'Never',
              tolerations: [KWOK_TOLERATION],
            },
          },
        },
      } as KubeObject);
      expect((await plugin(['rollout', 'pause', 'broadcastjob/warm'], ns.name)).code).toBe(0);
      expect((await jobs.get({ namespace: ns.name, name: 'warm' })).spec?.paused).toBe(true);

      // Cluster-scoped: -n is ignored.
      type SidecarSetObject = KubeObject & { spec?: { updateStrategy?: { paused?: boolean } } };
      const sidecarSets = e2eClient().resource<SidecarSetObject>(resourceOf('SidecarSet'));
      const side = `${ns.name}-side`;
      await sidecarSets.create({
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'SidecarSet',
        metadata: { name: side },
        spec: {
          selector: { matchLabels: { 'matches-nothing': side } },
          containers: [{ name: 'log', image: 'example.com/log:1' }],
        },
      } as SidecarSetObject);
      try {
        expect((await plugin(['rollout', 'pause', `sidecarset/${side}`], ns.name)).code).toBe(0);
        expect((await sidecarSets.get({ name: side })).spec?.updateStrategy?.paused).toBe(true);
        const shown = await plugin(['rollout', 'status', `sidecarset/${side}`, '--watch=false'], ns.name);
        expect(shown.code).toBe(0);
        expect(shown.stdout).toMatch(/0\/0 updated/);
      } finally {
        await sidecarSets.delete({ name: side });
      }
    },
    180_000,
  );

  itOnLocalCluster(
    'scaledown deletes the named pods and lowers replicas; bad pod names change nothing',
    async () => {
      await cs.cloneSets().create(cs.cloneSetOf('sd', ns.name, { replicas: 3 }));
      const pods = await cs.waitRolledOut(ns.name, 'sd');
      const victim = pods[1]?.metadata?.name ?? '';
      const wrong = await plugin(['scaledown', 'cloneset/sd', '--pods', `${victim},nope`], ns.name);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/not pods of cloneset.apps.kruise.io\/sd: nope/);
      expect((await cs.getCloneSet(ns.name, 'sd')).spec?.replicas).toBe(3);

      const done = await pluginProcess(['scaledown', 'cloneset/sd', '--pods', victim], ns.name);
      expect(done.code).toBe(0);
      expect(done.stdout).toBe(`cloneset.apps.kruise.io/sd scaled down to 2: deleting ${victim}\n`);
      const after = await cs.waitRolledOut(ns.name, 'sd');
      expect(after.map((p) => p.metadata?.name).sort()).toEqual(
        pods
          .map((p) => p.metadata?.name ?? '')
          .filter((n) => n !== victim)
          .sort(),
      );
    },
    120_000,
  );

  itOnLocalCluster(
    'migrate moves a Deployment to a CloneSet step by step and leaves it at 0',
    async () => {
      const deployments = e2eClient().resource<KubeObject & { spec?: { replicas?: number } }>(Deployments);
      await deployments.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'legacy', namespace: ns.name },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'legacy' } },
          template: {
            metadata: { labels: { app: 'legacy' } },
            spec: {
              containers: [{ name: 'app', image: image('v1') }],
              tolerations: [KWOK_TOLERATION],
              terminationGracePeriodSeconds: 1,
            },
          },
        },
      } as KubeObject);
      const dry = await plugin(
        ['migrate', 'deployment/legacy', '--to', 'cloneset', '--dry-run', '-o', 'yaml'],
        ns.name,
      );
      expect(dry.stdout).toMatch(/^kind: CloneSet$/m);
      await expect(cs.getCloneSet(ns.name, 'legacy')).rejects.toThrow(/404/);

      const moved = await pluginProcess(
        ['migrate', 'deployment/legacy', '--to', 'cloneset', '--max-surge', '2'],
        ns.name,
      );
      expect(moved.stderr).toBe('');
      expect(moved.code).toBe(0);
      expect(moved.stdout).toMatch(
        /moved 2\/3: legacy 2, deployment legacy 1\nmoved 3\/3: legacy 3, deployment legacy 0\n/,
      );
      expect((await deployments.get({ namespace: ns.name, name: 'legacy' })).spec?.replicas).toBe(0);
      const clones = await cs.waitRolledOut(ns.name, 'legacy');
      expect(clones).toHaveLength(3);
      const again = await plugin(['migrate', 'deployment/legacy', '--to', 'cloneset'], ns.name);
      expect([again.code, again.stderr]).toEqual([
        1,
        expect.stringMatching(/cloneset.apps.kruise.io\/legacy already exists: pick another --name/),
      ]);
    },
    180_000,
  );

  itOnLocalCluster(
    'bad input: a clear message and exit 1, in a real process',
    async () => {
      const unknownKind = await pluginProcess(['rollout', 'status', 'deploymentx/web'], ns.name);
      expect([unknownKind.code, unknownKind.stderr]).toEqual([
        1,
        expect.stringMatching(/^error: unknown kind "deploymentx"/),
      ]);
      const missing = await pluginProcess(['rollout', 'history', 'cloneset/absent'], ns.name);
      expect([missing.code, missing.stderr]).toEqual([
        1,
        `Error from server (NotFound): cloneset.apps.kruise.io "absent" not found in namespace "${ns.name}"\n`,
      ]);
      const badFlag = await pluginProcess(['rollout', 'undo', 'cloneset/web', '--to-revision=two'], ns.name);
      expect([badFlag.code, badFlag.stderr]).toEqual([
        1,
        expect.stringMatching(/--to-revision: not an integer/),
      ]);
      const badImage = await plugin(['rollout', 'plan', 'cloneset/web', '--image', 'nosuch=x:1'], ns.name);
      expect([badImage.code, badImage.stderr]).toEqual([1, expect.stringMatching(/no container "nosuch"/)]);
    },
    60_000,
  );
});
