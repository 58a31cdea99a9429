import { claimOwnerChange, claimsFor, isClaimStale, withClaimVolumes } from './pvcs';

const ref = {
  apiVersion: 'apps.kruise.io/v1beta1',
  kind: 'StatefulSet',
  name: 'db',
  uid: 'u',
  controller: true,
};
const templates = [
  { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'] } },
];

describe('PVCs per pod', () => {
  it('stamps each template as <template>-<owner>-<suffix> with the labels and the owner reference', () => {
    const [claim] = claimsFor(templates, {
      owner: { name: 'db', namespace: 'ns' },
      suffix: '2',
      labels: { app: 'db' },
      ref,
    });
    expect(claim).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data-db-2',
        namespace: 'ns',
        labels: { tier: 'db', app: 'db' },
        ownerReferences: [ref],
      },
      spec: { accessModes: ['ReadWriteOnce'] },
    });
  });

  it('mounts each claim as the volume named after its template, replacing a template volume of that name', () => {
    const claims = claimsFor(templates, { owner: { name: 'db' }, suffix: '0', labels: {}, ref });
    const spec = {
      containers: [{ name: 'c', image: 'x' }],
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'cache', emptyDir: {} },
      ],
    };
    expect(withClaimVolumes(spec, templates, claims).volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0', readOnly: false } },
      { name: 'cache', emptyDir: {} },
    ]);
    expect(withClaimVolumes(spec, [], [])).toBe(spec);
  });
});

describe('claim retention (k8s persistentVolumeClaimRetentionPolicy)', () => {
  const owner = {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    name: 'db',
    uid: 'set-uid',
    controller: true,
    blockOwnerDeletion: true,
  };
  const pod = { name: 'db-1', uid: 'pod-uid' };
  const podRef = { apiVersion: 'v1', kind: 'Pod', ...pod, controller: true, blockOwnerDeletion: true };
  const claim = (...ownerReferences: object[]) => ({ metadata: { ownerReferences } }) as never;
  const change = (c: never, policy: object, scaledDown = false) =>
    claimOwnerChange(c, { owner, pod, policy, scaledDown });

  it.each([
    // whenDeleted, whenScaled, scaledDown → the controller the claim should have
    ['Retain', 'Retain', false, undefined],
    ['Retain', 'Retain', true, undefined],
    ['Delete', 'Retain', false, 'set'],
    ['Delete', 'Retain', true, 'set'],
    ['Retain', 'Delete', false, undefined],
    ['Retain', 'Delete', true, 'pod'],
    ['Delete', 'Delete', false, 'set'],
    ['Delete', 'Delete', true, 'pod'],
  ])('whenDeleted %s, whenScaled %s, scaled down %s: owned by %s', (whenDeleted, whenScaled, down, want) => {
    const policy = { whenDeleted, whenScaled };
    const wanted = want === 'set' ? [owner] : want === 'pod' ? [podRef] : [];
    // From a bare claim, and from a claim owned by the other one.
    expect(change(claim(), policy, down as boolean)).toEqual(
      wanted.length ? { remove: [], add: wanted } : undefined,
    );
    const other = want === 'set' ? podRef : owner;
    expect(change(claim(other), policy, down as boolean)).toEqual({ remove: [other.uid], add: wanted });
    // Already right: nothing to write.
    expect(change(claim(...wanted), policy, down as boolean)).toBeUndefined();
  });

  it('turns a plain owner reference (OpenKruise v1.9 writes these) into a controller reference', () => {
    const plain = { ...owner, controller: undefined, blockOwnerDeletion: undefined };
    expect(change(claim(plain), { whenDeleted: 'Delete' })).toEqual({ remove: ['set-uid'], add: [owner] });
  });

  it('leaves claims of an earlier set or pod of the same name, and of another controller, alone', () => {
    const policy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
    expect(change(claim({ ...owner, uid: 'old-set' }), policy)).toBeUndefined();
    expect(change(claim({ ...podRef, uid: 'old-pod' }), policy, true)).toBeUndefined();
    const foreign = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm', controller: true };
    expect(change(claim(foreign), policy)).toBeUndefined();
    // … but drops our own references next to the other controller.
    expect(change(claim(foreign, owner), policy)).toEqual({ remove: ['set-uid'], add: [] });
    // Keeps non-controller references of others.
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', name: 'y', uid: 'cm2' };
    expect(change(claim(extra), policy)).toEqual({ remove: [], add: [owner] });
  });

  it('a claim still owned by an earlier pod of the name is stale only when whenScaled is Delete', () => {
    const old = claim({ ...podRef, uid: 'old-pod' });
    expect(isClaimStale(old, { name: 'db-1' }, { whenScaled: 'Delete' })).toBe(true);
    expect(isClaimStale(old, { name: 'db-1' }, { whenScaled: 'Retain' })).toBe(false);
    expect(isClaimStale(claim(owner), { name: 'db-1' }, { whenScaled: 'Delete' })).toBe(false);
    expect(isClaimStale(undefined, { name: 'db-1' }, { whenScaled: 'Delete' })).toBe(false);
  });
});
