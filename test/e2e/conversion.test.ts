// Every served version on the real apiserver, through our conversion webhook: objects written in one
// version read the same in the others, watches in the storage version see them, objects stored before a
// storage-version switch stay readable, and a conversion webhook that is down fails reads clearly
// without losing anything.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONVERSION_STASH_ANNOTATION, convertObject } from '../../apis/convert';
import type { Json } from '../../apis/convert-util';
import { buildCrd, CONVERSION_PATH } from '../../apis/gen-crds';
import { CustomResourceDefinitions, installCrds } from '../../apis/install';
import { KIND_NAMES, KINDS, type KindName } from '../../apis/kinds';
import { waitFor } from '../../cluster/wait';
import type { KubeObject, ResourceType } from '../../runtime/meta';
import type { WatchEvent } from '../../runtime/resource';
import { e2eClient, e2eKubeconfigPath, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { installCrdsForLocalWebhooks, serveWebhooks } from '../cluster/webhooks';

type Obj = KubeObject & Json;

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    );
  });
}

const typeFor = (kind: KindName, version: string): ResourceType => {
  const info = KINDS[kind];
  return { group: info.group, version, plural: info.plural, kind, namespaced: info.scope === 'Namespaced' };
};
const resource = (kind: KindName, version: string) => e2eClient().resource<Obj>(typeFor(kind, version));
const storageOf = (kind: KindName) => KINDS[kind].versions.find((v) => v.storage)!.name;

const template = {
  metadata: { labels: { app: 'conv' } },
  spec: {
    containers: [{ name: 'main', image: 'nginx:1.25' }],
    tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
  },
};

/** One object per kind, in its internal version, using the fields that differ between versions. */
function internalObject(kind: KindName, name: string): Json {
  const meta = { name };
  switch (kind) {
    case 'CloneSet':
      return {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind,
        metadata: { ...meta, labels: { 'apps.kruise.io/cloneset-scaling-exclude-preparing-delete': 'true' } },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'conv' } },
          template,
          scaleStrategy: { disablePVCReuse: true },
          updateStrategy: { type: 'InPlaceIfPossible', partition: '50%', maxSurge: 1, paused: true },
        },
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps.kruise.io/v1beta1',
        kind,
        metadata: meta,
        spec: {
          replicas: 0,
          serviceName: 'conv',
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'conv' } },
          template,
          reserveOrdinals: [1, '3-4'],
          ordinals: { start: 2 },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 2 } },
        },
      };
    case 'BroadcastJob':
      return {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind,
        metadata: meta,
        spec: {
          template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } },
          paused: true,
          parallelism: '50%',
        },
      };
    case 'SidecarSet':
      return {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind,
        metadata: { ...meta, labels: { 'apps.kruise.io/sidecarset-custom-version': 'v7' } },
        spec: {
          selector: { matchLabels: { app: `${name}-target` } },
          namespace: 'shop',
          containers: [{ name: `${name}-agent`, image: 'busybox:1.36' }],
        },
      };
  }
}

/** What both reads must agree on: labels, spec and status (metadata bookkeeping and the stash aside). */
function content(obj: Json): Json {
  const meta = (obj.metadata ?? {}) as Json;
  const { [CONVERSION_STASH_ANNOTATION]: _stash, ...annotations } = (meta.annotations ?? {}) as Json;
  return { labels: meta.labels, annotations, spec: obj.spec, status: obj.status };
}

/** Our webhooks at `port`, and a way to wait until the apiserver can call them. */
function serve(port: number) {
  const served = serveWebhooks(port);
  return { ...served, ready: () => waitFor('the webhooks to serve', () => served.webhooks.ready()) };
}

describe('served API versions and conversion', () => {
  const ns = useTestNamespace('conversion');
  let port = 0;
  let webhooks: ReturnType<typeof serve>;
  const placed = (kind: KindName, obj: Json): Obj =>
    (KINDS[kind].scope === 'Namespaced'
      ? { ...obj, metadata: { ...(obj.metadata as Json), namespace: ns.name } }
      : obj) as Obj;
  const refOf = (kind: KindName, name: string) => ({
    name,
    namespace: KINDS[kind].scope === 'Namespaced' ? ns.name : undefined,
  });

  beforeAll(async () => {
    port = await installCrdsForLocalWebhooks();
    webhooks = serve(port);
    await webhooks.ready();
  });
  afterAll(async () => {
    await webhooks.stop();
    for (const kind of KIND_NAMES) {
      for (const { metadata } of (await resource(kind, KINDS[kind].version).list()).items) {
        if (metadata?.name?.startsWith('conv-')) {
          await resource(kind, KINDS[kind].version)
            .delete({ name: metadata.name, namespace: metadata.namespace })
            .catch(() => undefined);
        }
      }
    }
  });

  describe.each(KIND_NAMES.flatMap((kind) => KINDS[kind].versions.map((v) => [kind, v.name] as const)))(
    '%s written as %s',
    (kind, version) => {
      itOnLocalCluster('reads back the same in every served version', async () => {
        const name = `conv-${kind.toLowerCase()}-${version}`;
        const written = convertObject(internalObject(kind, name), `apps.kruise.io/${version}`);
        const created = await resource(kind, version).create(placed(kind, written));
        try {
          expect(created.apiVersion).toBe(`apps.kruise.io/${version}`);
          const reads = await Promise.all(
            KINDS[kind].versions.map((v) => resource(kind, v.name).get(refOf(kind, name))),
          );
          for (const read of reads) {
            for (const other of reads) {
              expect(content(read)).toEqual(content(convertObject(other, String(read.apiVersion))));
            }
          }
          // Written and read in the same version: what the user wrote (plus defaults) comes back.
          const same = reads.find((r) => r.apiVersion === created.apiVersion)!;
          expect(content(same)).toEqual(content(created));
        } finally {
          await resource(kind, version).delete(refOf(kind, name));
        }
      });
    },
  );

  itOnLocalCluster('a watch in the storage version sees objects written in another version', async () => {
    for (const kind of ['CloneSet', 'SidecarSet'] as const) {
      const storage = storageOf(kind);
      const other = KINDS[kind].versions.find((v) => !v.storage)!.name;
      const name = `conv-watch-${kind.toLowerCase()}`;
      const events: WatchEvent<Obj>[] = [];
      const stop = new AbortController();
      const { resourceVersion } = await resource(kind, storage).list({
        namespace: refOf(kind, name).namespace,
      });
      const watching = resource(kind, storage)
        .watch(
          { namespace: refOf(kind, name).namespace, resourceVersion },
          (e) => events.push(e),
          stop.signal,
        )
        .catch(() => undefined);
      const written = convertObject(internalObject(kind, name), `apps.kruise.io/${other}`);
      await resource(kind, other).create(placed(kind, written));
      const added = await waitFor(`the ${kind} ADDED event`, () =>
        events.find((e) => e.type === 'ADDED' && e.object.metadata?.name === name),
      );
      stop.abort();
      await watching;
      expect(added.object.apiVersion).toBe(`apps.kruise.io/${storage}`);
      const read = await resource(kind, other).get(refOf(kind, name));
      expect(content(added.object).spec).toEqual(
        content(convertObject(read, `apps.kruise.io/${storage}`)).spec,
      );
      await resource(kind, storage).delete(refOf(kind, name));
    }
  });

  itOnLocalCluster(
    'kubectl get clonesets.v1beta1.apps.kruise.io lists CloneSets with their columns',
    async () => {
      const name = 'conv-kubectl';
      await resource('CloneSet', 'v1alpha1').create(placed('CloneSet', internalObject('CloneSet', name)));
      // What kubectl does: find the resource in discovery, then GET a Table.
      const discovery = await e2eClient().request<{ resources: { name: string; shortNames?: string[] }[] }>({
        method: 'GET',
        path: '/apis/apps.kruise.io/v1beta1',
        idempotent: true,
      });
      expect(discovery.resources.find((r) => r.name === 'clonesets')?.shortNames).toEqual(['clone']);
      const table = await e2eClient().request<{
        columnDefinitions: { name: string }[];
        rows: { cells: unknown[] }[];
      }>({
        method: 'GET',
        path: `/apis/apps.kruise.io/v1beta1/namespaces/${ns.name}/clonesets`,
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
        idempotent: true,
      });
      expect(table.columnDefinitions.map((c) => c.name)).toContain('UPDATED_AVAILABLE');
      expect(table.rows.map((r) => r.cells[0])).toContain(name);
      // kubectl itself too where it is installed. Run asynchronously: our webhook serves from this process.
      const kubectl = await run('kubectl', ['version', '--client']);
      if (kubectl.code === 0) {
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-'));
        const args = ['--kubeconfig', e2eKubeconfigPath(), '--cache-dir', cacheDir, '-n', ns.name];
        const out = await run('kubectl', [...args, 'get', 'clonesets.v1beta1.apps.kruise.io', name]);
        expect(out.stderr).toBe('');
        expect(out.stdout).toMatch(new RegExp(`^NAME\\s+DESIRED\\s+UPDATED[\\s\\S]*\\n${name}\\s+0\\s`));
      }
      await resource('CloneSet', 'v1alpha1').delete(refOf('CloneSet', name));
    },
  );

  itOnLocalCluster('objects stored before a storage-version switch are still readable', async () => {
    const crds = e2eClient().resource<KubeObject & Json>(CustomResourceDefinitions);
    const url = `https://127.0.0.1:${port}${CONVERSION_PATH}`;
    for (const kind of ['SidecarSet', 'BroadcastJob'] as const) {
      // The CRD as the previous release installed it: v1alpha1 is the storage version.
      const before = buildCrd(KINDS[kind], { url }) as {
        spec: { versions: { name: string; storage: boolean }[] };
      };
      for (const v of before.spec.versions) v.storage = v.name === 'v1alpha1';
      await crds.apply(before as KubeObject & Json, { fieldManager: 'outrigger', force: true });
      const name = `conv-stored-${kind.toLowerCase()}`;
      const stored = await resource(kind, 'v1alpha1').create(placed(kind, internalObject(kind, name)));
      await installCrds(e2eClient(), { conversion: { url } });
      const crd = await crds.get({ name: `${KINDS[kind].plural}.apps.kruise.io` });
      expect((crd.status as { storedVersions: string[] }).storedVersions.sort()).toEqual([
        'v1alpha1',
        'v1beta1',
      ]);
      for (const { name: version } of KINDS[kind].versions) {
        const read = await resource(kind, version).get(refOf(kind, name));
        expect(content(read)).toEqual(content(convertObject(stored, `apps.kruise.io/${version}`)));
      }
      // Writing it once more moves it to the new storage version, unchanged.
      const rewritten = await resource(kind, 'v1alpha1').update(
        await resource(kind, 'v1alpha1').get(refOf(kind, name)),
      );
      expect(content(rewritten)).toEqual(content(stored));
      await resource(kind, 'v1beta1').delete(refOf(kind, name));
    }
  });

  itOnLocalCluster(
    'while the conversion webhook is down, non-storage reads fail clearly and nothing is lost',
    async () => {
      const name = 'conv-down';
      const created = await resource('CloneSet', 'v1beta1').create(
        placed('CloneSet', convertObject(internalObject('CloneSet', name), 'apps.kruise.io/v1beta1')),
      );
      await webhooks.stop();
      try {
        const failure = await resource('CloneSet', 'v1beta1')
          .get(refOf('CloneSet', name))
          .then(() => 'read succeeded')
          .catch((err: Error) => err.message);
        expect(failure).toMatch(/conversion webhook for apps\.kruise\.io\/v1alpha1, Kind=CloneSet failed/);
        expect(failure).toContain(`127.0.0.1:${port}`);
        // The storage version needs no conversion: the object is there, intact.
        const stored = await resource('CloneSet', 'v1alpha1').get(refOf('CloneSet', name));
        expect(content(stored)).toEqual(content(convertObject(created, 'apps.kruise.io/v1alpha1')));
      } finally {
        webhooks = serve(port);
        await webhooks.ready();
      }
      const again = await waitFor('the v1beta1 read to work again', () =>
        resource('CloneSet', 'v1beta1')
          .get(refOf('CloneSet', name))
          .catch(() => undefined),
      );
      expect(content(again)).toEqual(content(created));
      await resource('CloneSet', 'v1beta1').delete(refOf('CloneSet', name));
    },
  );
});
