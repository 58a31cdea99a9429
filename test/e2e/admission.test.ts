// OpenKruise manifests against the real apiserver with our CRDs and webhooks: valid samples are
// accepted and defaulted, and every invalid CR is rejected with its field path in the message.
import { convertObject, toInternal } from '../../apis/convert';
import { applyDefaults } from '../../apis/defaults';
import { resourceOf } from '../../apis/install';
import { isKindName, KINDS, type KindName } from '../../apis/kinds';
import { sampleFiles } from '../../config/samples/testing/samples';
import type { KubeObject } from '../../runtime/meta';
import { INVALID_CASES, type InvalidCase } from '../../webhooks/validation/testing/invalid-cases';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useCustomResourceWebhooks } from '../cluster/webhooks';

type Obj = KubeObject & Record<string, unknown>;

const resource = (kind: KindName) => e2eClient().resource<Obj>(resourceOf(kind));
const placed = (obj: Record<string, unknown>, kind: KindName, namespace: string): Obj => {
  const copy = structuredClone(obj) as Obj;
  if (KINDS[kind].scope === 'Namespaced') copy.metadata = { ...copy.metadata, namespace };
  return copy;
};
const refOf = (obj: Obj) => ({ namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' });

async function deleteIfPresent(kind: KindName, obj: Obj): Promise<void> {
  await resource(kind)
    .delete(refOf(obj))
    .catch(() => undefined);
}

/** Runs `caseDef` against the apiserver and returns the rejection message ('' if it was accepted). */
async function rejectionOf(caseDef: InvalidCase, namespace: string): Promise<string> {
  const existing = (caseDef.existing ?? []).map((o) => placed(o, caseDef.kind, namespace));
  const object = placed(caseDef.object, caseDef.kind, namespace);
  try {
    for (const o of existing) await resource(caseDef.kind).create(o);
    if (caseDef.operation === 'UPDATE') {
      const old = await resource(caseDef.kind).create(
        placed(caseDef.oldObject ?? {}, caseDef.kind, namespace),
      );
      object.metadata = { ...object.metadata, resourceVersion: old.metadata?.resourceVersion };
      await resource(caseDef.kind).update(object);
    } else {
      await resource(caseDef.kind).create(object);
    }
    return '';
  } catch (err) {
    return (err as Error).message;
  } finally {
    for (const o of [object, ...existing]) await deleteIfPresent(caseDef.kind, o);
  }
}

/** Every sample document, each in the version it is written in. */
function samples(): { kind: KindName; object: Obj }[] {
  return sampleFiles()
    .flatMap((f) => f.docs as Obj[])
    .map((object) => {
      if (!isKindName(object.kind)) throw new Error(`sample of unknown kind ${object.kind}`);
      return { kind: object.kind, object };
    });
}

const inVersion = (kind: KindName, apiVersion: unknown) =>
  e2eClient().resource<Obj>({ ...resourceOf(kind), version: String(apiVersion).split('/')[1]! });

describe('admission of apps.kruise.io objects', () => {
  const ns = useTestNamespace('admission');
  useCustomResourceWebhooks();

  itOnLocalCluster(
    'accepts every sample in config/samples and stores it with OpenKruise defaults',
    async () => {
      const all = samples();
      expect(new Set(all.map((s) => s.kind))).toEqual(
        new Set(['CloneSet', 'StatefulSet', 'BroadcastJob', 'SidecarSet']),
      );
      expect(new Set(all.map((s) => s.object.apiVersion))).toEqual(
        new Set(['apps.kruise.io/v1alpha1', 'apps.kruise.io/v1beta1']),
      );
      for (const { kind, object } of all) {
        const created = await inVersion(kind, object.apiVersion).create(placed(object, kind, ns.name));
        // Defaulted in the internal version and shown in the version the sample is written in.
        const defaulted = applyDefaults(kind, toInternal(object));
        const expected = convertObject(defaulted as Obj, String(object.apiVersion));
        expect(created.spec).toEqual(expected.spec);
        await deleteIfPresent(kind, created);
      }
    },
  );

  itOnLocalCluster('defaults a minimal CloneSet as OpenKruise does', async () => {
    const created = await resource('CloneSet').create({
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: 'minimal', namespace: ns.name },
      spec: {
        selector: { matchLabels: { app: 'minimal' } },
        template: {
          metadata: { labels: { app: 'minimal' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    } as Obj);
    const spec = created.spec as Record<string, Record<string, unknown>>;
    expect(spec.replicas).toBe(1);
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(spec.updateStrategy).toMatchObject({
      type: 'ReCreate',
      partition: 0,
      maxUnavailable: '20%',
      maxSurge: 0,
    });
  });

  itOnLocalCluster('lists each kind with OpenKruise printer columns, as kubectl get shows them', async () => {
    interface Table {
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    }
    for (const { kind, object } of samples()) {
      const created = await inVersion(kind, object.apiVersion).create(placed(object, kind, ns.name));
      const info = KINDS[kind];
      const scope = info.scope === 'Namespaced' ? `/namespaces/${ns.name}` : '';
      const table = await e2eClient().request<Table>({
        method: 'GET',
        path: `/apis/${String(object.apiVersion)}${scope}/${info.plural}`,
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
        idempotent: true,
      });
      expect(table.columnDefinitions.map((c) => c.name)).toEqual([
        'Name',
        ...info.printerColumns.map((c) => c.name),
      ]);
      expect(table.rows.map((r) => r.cells[0])).toContain(created.metadata?.name);
      await deleteIfPresent(kind, created);
    }
    expect(KINDS.CloneSet.printerColumns.filter((c) => !c.priority).map((c) => c.name)).toEqual([
      'DESIRED',
      'UPDATED',
      'UPDATED_READY',
      'UPDATED_AVAILABLE',
      'READY',
      'TOTAL',
      'AGE',
    ]);
  });

  it('has at least 50 invalid cases across all four kinds', () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(INVALID_CASES.map((c) => c.kind)).size).toBe(4);
  });

  describe.each(INVALID_CASES.map((c) => [c.name, c] as const))('rejects %s', (_name, caseDef) => {
    itOnLocalCluster(`with "${caseDef.field}" in the message (${caseDef.layer})`, async () => {
      const message = await rejectionOf(caseDef, ns.name);
      expect(message).not.toBe('');
      expect(message).toContain(caseDef.field);
    });
  });
});
