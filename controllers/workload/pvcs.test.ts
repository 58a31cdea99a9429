import { claimsFor, withClaimVolumes } from './pvcs';

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
