import type { ControllerRevision, PodTemplateSpec } from '../../apis';
import { canUpdateInPlace, changeKind, diffPodTemplates, qosClass } from './diff';

const base: PodTemplateSpec = {
  metadata: { labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } },
  spec: {
    containers: [
      { name: 'main', image: 'nginx:1', resources: { requests: { cpu: '1' }, limits: { cpu: '2' } } },
      {
        name: 'side',
        image: 'envoy:1',
        env: [{ name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }],
      },
    ],
  },
};

function edit(change: (t: PodTemplateSpec) => void): PodTemplateSpec {
  const t = structuredClone(base);
  change(t);
  return t;
}

describe('diffPodTemplates / changeKind', () => {
  const cases: {
    name: string;
    next: PodTemplateSpec;
    resize?: boolean;
    envFromMetadata?: boolean;
    kind: string;
  }[] = [
    { name: 'equal templates', next: edit(() => {}), kind: 'none' },
    {
      name: 'image of one container',
      next: edit((t) => (t.spec.containers[0]!.image = 'nginx:2')),
      kind: 'inPlace',
    },
    {
      name: 'images of both containers',
      next: edit((t) => {
        for (const c of t.spec.containers) c.image = 'x:9';
      }),
      kind: 'inPlace',
    },
    {
      name: 'template label added',
      next: edit((t) => (t.metadata!.labels!.release = 'r2')),
      kind: 'inPlace',
    },
    { name: 'annotation removed', next: edit((t) => delete t.metadata!.annotations!.note), kind: 'inPlace' },
    {
      name: 'label read by env through the downward API (Kruise InPlaceUpdateEnvFromMetadata)',
      next: edit((t) => (t.metadata!.labels!.tier = 'b')),
      kind: 'inPlace',
    },
    {
      name: 'label read by env, with InPlaceUpdateEnvFromMetadata off',
      next: edit((t) => (t.metadata!.labels!.tier = 'b')),
      envFromMetadata: false,
      kind: 'recreate',
    },
    {
      name: 'env value',
      next: edit((t) => (t.spec.containers[0]!.env = [{ name: 'A', value: '1' }])),
      kind: 'recreate',
    },
    { name: 'command', next: edit((t) => (t.spec.containers[0]!.command = ['sh'])), kind: 'recreate' },
    {
      name: 'container added',
      next: edit((t) => t.spec.containers.push({ name: 'x', image: 'x:1' })),
      kind: 'recreate',
    },
    { name: 'pod-level field', next: edit((t) => (t.spec.nodeSelector = { zone: 'a' })), kind: 'recreate' },
    {
      name: 'image added where none was',
      next: edit((t) => delete t.spec.containers[0]!.image),
      kind: 'recreate',
    },
    {
      name: 'resources without resize support',
      next: edit((t) => (t.spec.containers[0]!.resources = { requests: { cpu: '2' }, limits: { cpu: '2' } })),
      kind: 'recreate',
    },
    {
      name: 'resources with resize support',
      next: edit(
        (t) => (t.spec.containers[0]!.resources = { requests: { cpu: '1500m' }, limits: { cpu: '2' } }),
      ),
      resize: true,
      kind: 'inPlaceResize',
    },
    {
      name: 'memory with resize support',
      next: edit((t) => {
        t.spec.containers[1]!.resources = { requests: { memory: '64Mi' } };
        t.spec.containers[0]!.resources!.requests!.memory = '1Gi';
      }),
      resize: true,
      kind: 'inPlaceResize',
    },
    {
      name: 'ephemeral-storage: pods/resize refuses it',
      next: edit((t) => (t.spec.containers[0]!.resources!.requests!['ephemeral-storage'] = '1Gi')),
      resize: true,
      kind: 'recreate',
    },
    {
      name: 'an extended resource (nvidia.com/gpu), even beside a cpu change',
      next: edit((t) => {
        t.spec.containers[0]!.resources = {
          requests: { cpu: '1500m', 'nvidia.com/gpu': '1' },
          limits: { cpu: '2', 'nvidia.com/gpu': '1' },
        };
      }),
      resize: true,
      kind: 'recreate',
    },
    {
      name: 'resources equal as quantities',
      next: edit(
        (t) => (t.spec.containers[0]!.resources = { requests: { cpu: '1000m' }, limits: { cpu: '2' } }),
      ),
      kind: 'none',
    },
    {
      name: 'resize that changes the QoS class',
      next: edit((t) => delete t.spec.containers[0]!.resources),
      resize: true,
      kind: 'recreate',
    },
  ];
  it.each(cases)('$name → $kind', ({ next, resize, envFromMetadata, kind }) => {
    const options = { resizeSupported: resize, envFromMetadata };
    expect(changeKind(diffPodTemplates(base, next, options), options)).toBe(kind);
  });

  it('names the containers to restart for env from metadata, and why a resource forces a new pod', () => {
    const relabelled = diffPodTemplates(
      base,
      edit((t) => (t.metadata!.labels!.tier = 'b')),
    );
    expect(relabelled.restartContainers).toEqual(['side']);
    expect(relabelled.metadata).toEqual({ labels: { tier: 'b' } });
    const gpu = edit((t) => (t.spec.containers[0]!.resources!.limits!['nvidia.com/gpu'] = '1'));
    expect(diffPodTemplates(base, gpu).recreateReasons).toEqual([
      'spec.containers[0].resources (nvidia.com/gpu cannot be resized)',
    ]);
  });

  it('reports the image and metadata changes as a patch', () => {
    const next = edit((t) => {
      t.spec.containers[1]!.image = 'envoy:2';
      t.metadata!.labels!.release = 'r2';
      delete t.metadata!.annotations!.note;
    });
    const diff = diffPodTemplates(base, next);
    expect(diff.images).toEqual({ side: 'envoy:2' });
    expect(diff.metadata).toEqual({ labels: { release: 'r2' }, annotations: { note: null } });
    expect(diff.recreateReasons).toEqual([]);
  });

  it('names every field that forces recreation', () => {
    const next = edit((t) => {
      t.spec.containers[0]!.args = ['-v'];
      t.spec.hostNetwork = true;
    });
    expect(diffPodTemplates(base, next).recreateReasons).toEqual([
      'spec.containers[0].args',
      'spec.hostNetwork',
    ]);
  });
});

describe('canUpdateInPlace', () => {
  const rev = (t: PodTemplateSpec, name: string): ControllerRevision => ({
    metadata: { name },
    data: { spec: { template: { ...t, $patch: 'replace' } as PodTemplateSpec } },
    revision: 1,
  });
  it('compares the templates stored in two revisions', () => {
    const next = edit((t) => (t.spec.containers[0]!.image = 'nginx:2'));
    expect(canUpdateInPlace(rev(base, 'a'), rev(next, 'b'))).toBe(true);
    expect(
      canUpdateInPlace(
        rev(base, 'a'),
        rev(
          edit((t) => (t.spec.hostPID = true)),
          'b',
        ),
      ),
    ).toBe(false);
  });
  it('is false when the old revision is gone from history', () => {
    expect(canUpdateInPlace(undefined, rev(base, 'b'))).toBe(false);
  });
});

describe('qosClass', () => {
  it.each([
    [{}, 'BestEffort'],
    [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    [{ limits: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    [{ requests: { cpu: '1' } }, 'Burstable'],
  ])('%j → %s', (resources, expected) => {
    expect(qosClass({ spec: { containers: [{ name: 'c', resources }] } })).toBe(expected);
  });
});
