import { Store } from './cache';
import type { KubeObject } from './meta';

const pod = (
  name: string,
  rv: string,
  extra: { labels?: Record<string, string>; node?: string; owner?: string } = {},
) =>
  ({
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion: rv,
      labels: extra.labels,
      ownerReferences: extra.owner
        ? [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: extra.owner }]
        : undefined,
    },
    spec: { nodeName: extra.node },
  }) as KubeObject;

describe('Store', () => {
  it('keeps every index in step with updates and deletes', () => {
    const store = new Store();
    store.upsert(pod('a', '1', { labels: { app: 'web' }, node: 'n1', owner: 'u1' }));
    store.upsert(pod('a', '2', { labels: { app: 'db' }, node: 'n2' }));
    expect(store.byIndex('label', 'app=web')).toEqual([]);
    expect(store.byIndex('label', 'app=db').map((p) => p.metadata?.resourceVersion)).toEqual(['2']);
    expect(store.byIndex('nodeName', 'n1')).toEqual([]);
    expect(store.byIndex('ownerUID', 'u1')).toEqual([]);
    expect(store.byIndex('namespace', 'ns')).toHaveLength(1);
    store.delete('ns/a');
    expect(store.byIndex('label', 'app=db')).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('replace reports adds, real updates and deletes', () => {
    const store = new Store();
    store.upsert(pod('same', '1'));
    store.upsert(pod('changed', '1'));
    store.upsert(pod('gone', '1'));
    const diff = store.replace([pod('same', '1'), pod('changed', '2'), pod('new', '1')]);
    expect(diff.added.map((p) => p.metadata?.name)).toEqual(['new']);
    expect(
      diff.updated.map(
        ({ old, obj }) => `${old.metadata?.resourceVersion}->${obj.metadata?.resourceVersion}`,
      ),
    ).toEqual(['1->2']);
    expect(diff.deleted.map((p) => p.metadata?.name)).toEqual(['gone']);
    expect(store.keys().sort()).toEqual(['ns/changed', 'ns/new', 'ns/same']);
  });

  it('rejects an unknown index name with the known ones', () => {
    expect(() => new Store().byIndex('nope', 'x')).toThrow(
      /no index named nope; known: namespace, ownerUID, nodeName, label/,
    );
  });
});
