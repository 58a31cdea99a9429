import type { ControllerRevision, Pod } from '../../apis/core-objects';
import type { Container } from '../../apis/core-types';
import type { SidecarContainer, SidecarSet } from '../../apis/sidecarset';
import {
  SidecarSetBaseAnnotation,
  SidecarSetCanaryAnnotation,
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetInjectedListAnnotation,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { sidecarSetHash, sidecarSetHashWithoutImage } from './hash';
import { type InjectOptions, type InjectResult, injectSidecars } from './inject';
import { pod, revisionOf, sidecarSet } from './testing/fixtures';

const now = new Date('2026-12-03T10:20:30.456Z');

function injected(result: InjectResult): Pod {
  if (result.type !== 'injected') throw new Error(`expected an injected pod, got ${JSON.stringify(result)}`);
  return result.pod;
}
const names = (list: Container[] | undefined) => (list ?? []).map((c) => c.name);
const container = (p: Pod, name: string) =>
  [...p.spec.containers, ...(p.spec.initContainers ?? [])].find((c) => c.name === name)!;
const run = (p: Pod, sets: SidecarSet[], options: InjectOptions = {}) =>
  injectSidecars(p, sets, { now, ...options });

interface Case {
  name: string;
  pod?: Pod;
  sets: SidecarSet[];
  options?: InjectOptions;
  check: (result: InjectResult) => void;
}

const envoy: SidecarSet = sidecarSet('mesh', {
  initContainers: [
    { name: 'mesh-init', image: 'proxy:1', podInjectPolicy: 'AfterAppContainer' },
    { name: 'mesh-proxy', image: 'proxy:1', restartPolicy: 'Always', podInjectPolicy: 'AfterAppContainer' },
  ],
  containers: [],
});

/** A SidecarSet injecting one container, "proxy", whose resources come from `policy`. */
const proxyWithPolicy = (policy: SidecarContainer['resourcesPolicy']) =>
  sidecarSet('s', { containers: [{ name: 'proxy', image: 'p', resourcesPolicy: policy }] });

const cases: Case[] = [
  {
    name: 'BeforeAppContainer sidecars go first, AfterAppContainer and unset ones last',
    sets: [
      sidecarSet('s', {
        containers: [
          { name: 'before', image: 'b', podInjectPolicy: 'BeforeAppContainer' },
          { name: 'after', image: 'a', podInjectPolicy: 'AfterAppContainer' },
          { name: 'unset', image: 'u' },
        ],
      }),
    ],
    check: (r) => expect(names(injected(r).spec.containers)).toEqual(['before', 'app', 'after', 'unset']),
  },
  {
    name: "init containers go after the pod's own, sorted by name across SidecarSets",
    pod: pod({ initContainers: [{ name: 'z-own', image: 'o' }] }),
    sets: [
      sidecarSet('a', { initContainers: [{ name: 'c-init', image: 'c' }], containers: [] }),
      sidecarSet('b', { initContainers: [{ name: 'b-init', image: 'b' }], containers: [] }),
    ],
    check: (r) => expect(names(injected(r).spec.initContainers)).toEqual(['z-own', 'b-init', 'c-init']),
  },
  {
    name: 'native sidecars: restartPolicy Always init containers, listed in sidecarList and hashed',
    sets: [envoy],
    check: (r) => {
      const p = injected(r);
      expect(names(p.spec.initContainers)).toEqual(['mesh-init', 'mesh-proxy']);
      expect(container(p, 'mesh-proxy').restartPolicy).toBe('Always');
      const hash = JSON.parse(p.metadata.annotations![SidecarSetHashAnnotation]!);
      expect(hash.mesh.sidecarList).toEqual(['mesh-proxy']);
      expect(hash.mesh.hash).toBe(sidecarSetHash(envoy.spec!));
      expect(hash.mesh.hash).not.toBe(sidecarSetHash({ containers: [] }));
    },
  },
  {
    name: 'every injected container gets IS_INJECTED=true; Kruise fields are dropped',
    sets: [envoy, sidecarSet('log')],
    check: (r) => {
      const p = injected(r);
      for (const n of ['mesh-init', 'mesh-proxy', 'log-sidecar']) {
        expect(container(p, n).env).toContainEqual({ name: 'IS_INJECTED', value: 'true' });
        expect(container(p, n)).not.toHaveProperty('podInjectPolicy');
        expect(container(p, n)).not.toHaveProperty('upgradeStrategy');
      }
      expect(container(p, 'app').env).not.toContainEqual({ name: 'IS_INJECTED', value: 'true' });
    },
  },
  {
    name: "volumes are injected only when mounted, and the pod's own volume of a name wins",
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'c',
            image: 'c',
            volumeMounts: [
              { name: 'used', mountPath: '/u' },
              { name: 'data', mountPath: '/d' },
            ],
          },
        ],
        volumes: [
          { name: 'used', configMap: { name: 'cm' } },
          { name: 'unused', emptyDir: {} },
          { name: 'data', hostPath: { path: '/x' } },
        ],
      }),
    ],
    check: (r) =>
      expect(injected(r).spec.volumes).toEqual([
        { name: 'data', emptyDir: {} },
        { name: 'used', configMap: { name: 'cm' } },
      ]),
  },
  {
    name: 'shareVolumePolicy enabled copies the app mounts and the env their subPathExpr uses',
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'c',
            image: 'c',
            shareVolumePolicy: { type: 'enabled' },
            env: [{ name: 'OWN', value: '1' }],
          },
        ],
      }),
    ],
    check: (r) => {
      const c = container(injected(r), 'c');
      expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', subPathExpr: '$(LOG_DIR)/x' }]);
      expect(c.env).toEqual([
        { name: 'OWN', value: '1' },
        { name: 'IS_INJECTED', value: 'true' },
        { name: 'LOG_DIR', value: 'web' },
      ]);
    },
  },
  {
    name: "shareVolumePolicy skips paths the sidecar already uses and other sidecars' mounts",
    pod: pod({
      containers: [
        ...pod().spec.containers,
        {
          name: 'old-sidecar',
          image: 'o',
          env: [{ name: 'IS_INJECTED', value: 'true' }],
          volumeMounts: [{ name: 'data', mountPath: '/other' }],
        },
      ],
    }),
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'c',
            image: 'c',
            shareVolumePolicy: { type: 'enabled' },
            volumeMounts: [{ name: 'cfg', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'cfg', emptyDir: {} }],
      }),
    ],
    check: (r) =>
      expect(container(injected(r), 'c').volumeMounts).toEqual([{ name: 'cfg', mountPath: '/data' }]),
  },
  {
    name: "shareVolumeDevicePolicy enabled copies the app's volumeDevices",
    pod: pod({
      containers: [{ name: 'app', image: 'a', volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }] }],
      volumes: [{ name: 'raw', persistentVolumeClaim: { claimName: 'raw' } }],
    }),
    sets: [
      sidecarSet('s', {
        containers: [{ name: 'c', image: 'c', shareVolumeDevicePolicy: { type: 'enabled' } }],
      }),
    ],
    check: (r) =>
      expect(container(injected(r), 'c').volumeDevices).toEqual([{ name: 'raw', devicePath: '/dev/xvda' }]),
  },
  {
    name: 'transferEnv copies env from a named container, or one named by a label; sidecar env wins',
    pod: pod({}, { labels: { app: 'web', main: 'app' } }),
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'c',
            image: 'c',
            env: [{ name: 'LOG_DIR', value: 'mine' }],
            transferEnv: [
              { sourceContainerName: 'app', envName: 'TZ' },
              {
                sourceContainerNameFrom: {
                  fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['main']" },
                },
                envNames: ['LOG_DIR', 'MISSING'],
              },
              { sourceContainerName: 'nope', envName: 'TZ' },
            ],
          },
        ],
      }),
    ],
    check: (r) =>
      expect(container(injected(r), 'c').env).toEqual([
        { name: 'LOG_DIR', value: 'mine' },
        { name: 'IS_INJECTED', value: 'true' },
        { name: 'TZ', value: 'UTC' },
      ]),
  },
  {
    name: 'transferEnv from an annotation naming the container',
    pod: pod({}, { annotations: { 'example.com/main': 'app' } }),
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'c',
            image: 'c',
            transferEnv: [
              {
                sourceContainerNameFrom: {
                  fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['example.com/main']" },
                },
                envName: 'TZ',
              },
            ],
          },
        ],
      }),
    ],
    check: (r) => expect(container(injected(r), 'c').env).toContainEqual({ name: 'TZ', value: 'UTC' }),
  },
  {
    name: 'imagePullSecrets are merged, without duplicates',
    pod: pod({ imagePullSecrets: [{ name: 'own' }, { name: 'shared' }] }),
    sets: [sidecarSet('s', { imagePullSecrets: [{ name: 'shared' }, { name: 'registry' }] })],
    check: (r) =>
      expect(injected(r).spec.imagePullSecrets).toEqual([
        { name: 'own' },
        { name: 'shared' },
        { name: 'registry' },
      ]),
  },
  {
    name: 'patchPodMetadata: Retain keeps, Overwrite replaces, MergePatchJson merges',
    pod: pod({}, { annotations: { keep: 'pod', over: 'pod', merge: '{"a":1,"b":{"c":2,"d":3}}' } }),
    sets: [
      sidecarSet('s', {
        patchPodMetadata: [
          { annotations: { keep: 'set', added: 'set' }, patchPolicy: 'Retain' },
          { annotations: { over: 'set' }, patchPolicy: 'Overwrite' },
          {
            annotations: { merge: '{"b":{"d":null,"e":4},"z":true}', fresh: '{"x":1}' },
            patchPolicy: 'MergePatchJson',
          },
        ],
      }),
    ],
    check: (r) =>
      expect(injected(r).metadata.annotations).toMatchObject({
        keep: 'pod',
        added: 'set',
        over: 'set',
        merge: '{"a":1,"b":{"c":2,"e":4},"z":true}',
        fresh: '{"x":1}',
      }),
  },
  {
    name: 'patchPodMetadata MergePatchJson into an annotation that is not JSON denies the pod',
    pod: pod({}, { annotations: { merge: 'plain' } }),
    sets: [
      sidecarSet('s', {
        patchPodMetadata: [{ annotations: { merge: '{}' }, patchPolicy: 'MergePatchJson' }],
      }),
    ],
    check: (r) => {
      expect(r).toMatchObject({ type: 'denied', sidecarSets: ['s'] });
      expect((r as { message: string }).message).toMatch(
        /^SidecarSet s: patchPodMetadata: pod annotation merge is not valid JSON/,
      );
    },
  },
  {
    name: 'hash annotations: per SidecarSet, with the revision, time and sidecars; the injected list',
    pod: pod({}, { annotations: { [SidecarSetInjectedListAnnotation]: 'earlier' } }),
    sets: [
      {
        ...sidecarSet('s'),
        status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: 's-abc' },
      },
    ],
    check: (r) => {
      const a = injected(r).metadata.annotations!;
      const spec = sidecarSet('s').spec!;
      expect(a[SidecarSetHashAnnotation]).toBe(
        `{"s":{"updateTimestamp":"2026-12-03T10:20:30Z","hash":"${sidecarSetHash(spec)}","sidecarSetName":"s","sidecarList":["s-sidecar"],"controllerRevision":"s-abc"}}`,
      );
      expect(a[SidecarSetHashWithoutImageAnnotation]).toBe(
        `{"s":{"updateTimestamp":"2026-12-03T10:20:30Z","hash":"${sidecarSetHashWithoutImage(spec)}","sidecarSetName":"s","sidecarList":["s-sidecar"]}}`,
      );
      expect(a[SidecarSetInjectedListAnnotation]).toBe('earlier,s');
    },
  },
  {
    name: 'a legacy hash annotation (name → hash) is kept and converted',
    pod: pod({}, { annotations: { [SidecarSetHashAnnotation]: '{"old":"h1"}' } }),
    sets: [sidecarSet('s')],
    check: (r) =>
      expect(JSON.parse(injected(r).metadata.annotations![SidecarSetHashAnnotation]!).old).toEqual({
        updateTimestamp: null,
        hash: 'h1',
        sidecarSetName: 'old',
        sidecarList: null,
      }),
  },
  {
    name: 'a garbage hash annotation denies the pod instead of losing it',
    pod: pod({}, { annotations: { [SidecarSetHashAnnotation]: '[1' } }),
    sets: [sidecarSet('s')],
    check: (r) => expect(r).toMatchObject({ type: 'denied', sidecarSets: ['s'] }),
  },
  {
    name: 'two SidecarSets on one pod, each in its own place, both listed',
    sets: [
      envoy,
      sidecarSet('log', {
        containers: [{ name: 'log-agent', image: 'l', podInjectPolicy: 'AfterAppContainer' }],
      }),
    ],
    check: (r) => {
      const p = injected(r);
      expect(names(p.spec.containers)).toEqual(['app', 'log-agent']);
      expect(names(p.spec.initContainers)).toEqual(['mesh-init', 'mesh-proxy']);
      expect(p.metadata.annotations![SidecarSetInjectedListAnnotation]).toBe('log,mesh');
      expect(Object.keys(JSON.parse(p.metadata.annotations![SidecarSetHashAnnotation]!))).toEqual([
        'log',
        'mesh',
      ]);
      expect(r).toMatchObject({ sidecarSets: ['mesh', 'log'] });
    },
  },
  {
    name: "a sidecar named like the app's own container denies the pod, naming the SidecarSet",
    sets: [sidecarSet('s', { containers: [{ name: 'app', image: 'x' }] })],
    check: (r) =>
      expect(r).toEqual({
        type: 'denied',
        sidecarSets: ['s'],
        message: 'SidecarSet s: sidecar container "app" clashes with the pod\'s own container of that name',
      }),
  },
  {
    name: 'a sidecar init container named like an app container denies the pod',
    sets: [sidecarSet('s', { initContainers: [{ name: 'app', image: 'x' }], containers: [] })],
    check: (r) => expect(r).toMatchObject({ type: 'denied', sidecarSets: ['s'] }),
  },
  {
    name: 'a previously injected container of that name is replaced in place',
    pod: pod({
      containers: [
        { name: 's-sidecar', image: 'old', env: [{ name: 'IS_INJECTED', value: 'true' }] },
        ...pod().spec.containers,
      ],
    }),
    sets: [sidecarSet('s')],
    check: (r) => {
      const p = injected(r);
      expect(names(p.spec.containers)).toEqual(['s-sidecar', 'app']);
      expect(container(p, 's-sidecar').image).toBe('s:1');
    },
  },
  {
    name: 'two SidecarSets injecting the same container name deny the pod, naming both',
    sets: [
      sidecarSet('a', { containers: [{ name: 'proxy', image: 'a' }] }),
      sidecarSet('b', { containers: [{ name: 'proxy', image: 'b' }] }),
    ],
    check: (r) =>
      expect(r).toEqual({
        type: 'denied',
        sidecarSets: ['a', 'b'],
        message: 'SidecarSet a and b: container name "proxy" is injected twice',
      }),
  },
  {
    name: 'two SidecarSets defining one volume differently deny the pod; identical definitions are fine',
    sets: [
      sidecarSet('a', {
        containers: [{ name: 'ca', image: 'a', volumeMounts: [{ name: 'shared', mountPath: '/s' }] }],
        volumes: [{ name: 'shared', emptyDir: {} }],
      }),
      sidecarSet('b', {
        containers: [{ name: 'cb', image: 'b', volumeMounts: [{ name: 'shared', mountPath: '/s' }] }],
        volumes: [{ name: 'shared', configMap: { name: 'x' } }],
      }),
    ],
    check: (r) => {
      expect(r).toMatchObject({ type: 'denied', sidecarSets: ['a', 'b'] });
      expect((r as { message: string }).message).toContain('volume "shared" is defined differently');
    },
  },
  {
    name: 'identical volumes from two SidecarSets are injected once',
    sets: ['a', 'b'].map((n) =>
      sidecarSet(n, {
        containers: [{ name: `c${n}`, image: n, volumeMounts: [{ name: 'shared', mountPath: '/s' }] }],
        volumes: [{ name: 'shared', emptyDir: {} }],
      }),
    ),
    check: (r) => expect(injected(r).spec.volumes?.map((v) => v.name)).toEqual(['data', 'shared']),
  },
  {
    name: 'a sidecar mounting a volume nobody defines denies the pod',
    sets: [
      sidecarSet('s', {
        containers: [{ name: 'c', image: 'c', volumeMounts: [{ name: 'ghost', mountPath: '/g' }] }],
      }),
    ],
    check: (r) =>
      expect(r).toMatchObject({
        type: 'denied',
        message:
          'SidecarSet s: container "c" mounts volume "ghost", which neither the pod nor the SidecarSet defines',
      }),
  },
  {
    name: 'HotUpgrade: two twins, the second on the empty image, with version env and annotations',
    sets: [
      sidecarSet('s', {
        containers: [
          {
            name: 'mesh',
            image: 'mesh:2',
            podInjectPolicy: 'BeforeAppContainer',
            upgradeStrategy: { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: 'empty:1' },
          },
        ],
      }),
    ],
    check: (r) => {
      const p = injected(r);
      expect(names(p.spec.containers)).toEqual(['mesh-1', 'mesh-2', 'app']);
      expect(container(p, 'mesh-2').image).toBe('empty:1');
      expect(container(p, 'mesh-1').env).toContainEqual({
        name: 'SIDECARSET_VERSION',
        valueFrom: { fieldRef: { fieldPath: "metadata.annotations['version.sidecarset.kruise.io/mesh-1']" } },
      });
      expect(p.metadata.annotations).toMatchObject({
        'version.sidecarset.kruise.io/mesh-1': '1',
        'versionalt.sidecarset.kruise.io/mesh-1': '0',
        'version.sidecarset.kruise.io/mesh-2': '0',
        'versionalt.sidecarset.kruise.io/mesh-2': '1',
        [SidecarSetWorkingHotUpgradeContainerAnnotation]: '{"mesh":"mesh-1"}',
      });
      expect(JSON.parse(p.metadata.annotations![SidecarSetHashAnnotation]!).s.sidecarList).toEqual(['mesh']);
    },
  },
  {
    name: 'a canary SidecarSet shadows its base for pods both select',
    sets: [
      sidecarSet('base', { containers: [{ name: 'proxy', image: 'v1' }] }),
      sidecarSet(
        'canary',
        { containers: [{ name: 'proxy', image: 'v2' }] },
        {
          [SidecarSetCanaryAnnotation]: 'true',
          [SidecarSetBaseAnnotation]: 'base',
        },
      ),
    ],
    check: (r) => {
      const p = injected(r);
      expect(container(p, 'proxy').image).toBe('v2');
      expect(p.metadata.annotations![SidecarSetInjectedListAnnotation]).toBe('canary');
    },
  },
  {
    name: 'the EnableSortSidecarContainerByName gate sorts the injected containers',
    sets: [
      sidecarSet('s', {
        containers: ['zz', 'aa'].map((n) => ({
          name: n,
          image: n,
          podInjectPolicy: 'BeforeAppContainer' as const,
        })),
      }),
    ],
    options: { sortSidecarContainersByName: true },
    check: (r) => expect(names(injected(r).spec.containers)).toEqual(['aa', 'zz', 'app']),
  },
  {
    name: "resourcesPolicy sums the app containers' resources (sidecars left out) through the expressions",
    pod: pod({
      containers: [
        {
          name: 'app',
          image: 'a',
          resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1' } },
        },
        { name: 'worker', image: 'w', resources: { requests: { cpu: '1500m' }, limits: { cpu: 2 } } },
        { name: 'debug', image: 'd', resources: { requests: { cpu: '8' } } },
      ],
      volumes: [],
    }),
    sets: [
      proxyWithPolicy({
        targetContainersMode: 'sum',
        targetContainersNameRegex: '^(app|worker|proxy)$',
        resourcesExpr: {
          limits: { cpu: 'cpu*50%', memory: 'memory' },
          requests: { cpu: 'max(cpu*10%, 50m)', memory: 'max(memory*10%, 50Mi)' },
        },
      }),
    ],
    check: (r) =>
      // limits.memory: not every target has one, so none; requests: 10% of 2 cpu, 10% of 1Gi.
      expect(container(injected(r), 'proxy').resources).toEqual({
        limits: { cpu: '1500m' },
        requests: { cpu: '200m', memory: '107374182400m' },
      }),
  },
  {
    name: 'resourcesPolicy max takes the largest target',
    pod: pod({
      containers: [
        { name: 'app', image: 'a', resources: { requests: { memory: '256Mi' } } },
        { name: 'api', image: 'b', resources: { requests: { memory: '1Gi' } } },
      ],
      volumes: [],
    }),
    sets: [
      proxyWithPolicy({
        targetContainersMode: 'max',
        targetContainersNameRegex: '.*',
        resourcesExpr: { requests: { memory: 'memory / 4', cpu: 'cpu' } },
      }),
    ],
    check: (r) =>
      expect(container(injected(r), 'proxy').resources).toEqual({ requests: { memory: '256Mi', cpu: '0' } }),
  },
  {
    name: 'resourcesPolicy with no target container denies the pod',
    sets: [
      proxyWithPolicy({
        targetContainersMode: 'sum',
        targetContainersNameRegex: '^nothing$',
        resourcesExpr: { requests: { cpu: 'cpu' } },
      }),
    ],
    check: (r) =>
      expect(r).toMatchObject({
        type: 'denied',
        message: 'SidecarSet s: resourcesPolicy of proxy: no containers match the regex pattern "^nothing$"',
      }),
  },
  {
    name: 'a pod that has finished is left alone',
    pod: { ...pod(), status: { phase: 'Succeeded' } },
    sets: [sidecarSet('s')],
    check: (r) => expect(r).toEqual({ type: 'unchanged' }),
  },
  {
    name: 'no SidecarSet, no change',
    sets: [],
    check: (r) => expect(r).toEqual({ type: 'unchanged' }),
  },
];

describe('injectSidecars', () => {
  it.each(cases)('$name', ({ pod: p = pod(), sets, options, check }) => {
    const before = structuredClone(p);
    check(run(p, sets, options));
    expect(p).toEqual(before);
  });
});

describe('injectionStrategy.revision', () => {
  const v1 = sidecarSet('mesh', { containers: [{ name: 'proxy', image: 'proxy:1' }] });
  const revisions: ControllerRevision[] = [
    revisionOf(v1, 'mesh-r1', 1, { [SidecarSetCustomVersionLabel]: 'stable' }),
    revisionOf(sidecarSet('mesh', { containers: [{ name: 'proxy', image: 'proxy:1.1' }] }), 'mesh-r2', 2, {
      [SidecarSetCustomVersionLabel]: 'stable',
    }),
    revisionOf(sidecarSet('other', { containers: [{ name: 'proxy', image: 'other' }] }), 'other-r1', 1),
  ];
  const latest = (revision: object, updateStrategy: object = {}) =>
    sidecarSet('mesh', {
      containers: [{ name: 'proxy', image: 'proxy:2' }],
      injectionStrategy: { revision: { policy: 'Always', ...revision } },
      updateStrategy,
    });
  const image = (r: InjectResult) => container(injected(r), 'proxy').image;
  const hashOf = (r: InjectResult) =>
    JSON.parse(injected(r).metadata.annotations![SidecarSetHashAnnotation]!).mesh;

  it('revisionName injects that revision, with its hash and name', () => {
    const r = run(pod(), [latest({ revisionName: 'mesh-r1' })], { revisions });
    expect(image(r)).toBe('proxy:1');
    expect(hashOf(r)).toMatchObject({ hash: sidecarSetHash(v1.spec!), controllerRevision: 'mesh-r1' });
  });

  it('customVersion injects the newest revision with that label', () => {
    expect(image(run(pod(), [latest({ customVersion: 'stable' })], { revisions }))).toBe('proxy:1.1');
  });

  it("a revision that does not exist, or is another SidecarSet's, denies the pod", () => {
    for (const revision of [
      { revisionName: 'mesh-r9' },
      { revisionName: 'other-r1' },
      { customVersion: 'nope' },
    ]) {
      const r = run(pod(), [latest(revision)], { revisions });
      expect(r).toMatchObject({ type: 'denied', sidecarSets: ['mesh'] });
      expect((r as { message: string }).message).toMatch(/^SidecarSet mesh: injectionStrategy.revision: /);
    }
  });

  it('Always: pods in updateStrategy.selector get the latest, unless the update is paused', () => {
    const canary = { selector: { matchLabels: { canary: 'true' } } };
    const canaryPod = pod({}, { labels: { app: 'web', canary: 'true' } });
    expect(image(run(pod(), [latest({ revisionName: 'mesh-r1' }, canary)], { revisions }))).toBe('proxy:1');
    expect(image(run(canaryPod, [latest({ revisionName: 'mesh-r1' }, canary)], { revisions }))).toBe(
      'proxy:2',
    );
    const paused = { ...canary, paused: true };
    expect(image(run(canaryPod, [latest({ revisionName: 'mesh-r1' }, paused)], { revisions }))).toBe(
      'proxy:1',
    );
  });

  it('Partial: the latest with probability 1 − partition', () => {
    const set = latest({ revisionName: 'mesh-r1', policy: 'Partial' }, { partition: '30%' });
    expect(image(run(pod(), [set], { revisions, random: () => 0.29 }))).toBe('proxy:1');
    expect(image(run(pod(), [set], { revisions, random: () => 0.31 }))).toBe('proxy:2');
    const intPartition = latest({ revisionName: 'mesh-r1', policy: 'Partial' }, { partition: 3 });
    expect(image(run(pod(), [intPartition], { revisions, random: () => 0 }))).toBe('proxy:2');
  });

  it('Partial: pods outside updateStrategy.selector always get the specified revision', () => {
    const set = latest(
      { revisionName: 'mesh-r1', policy: 'Partial' },
      { selector: { matchLabels: { canary: 'true' } } },
    );
    expect(image(run(pod(), [set], { revisions, random: () => 0.99 }))).toBe('proxy:1');
    const canaryPod = pod({}, { labels: { app: 'web', canary: 'true' } });
    expect(image(run(canaryPod, [set], { revisions, random: () => 0.99 }))).toBe('proxy:2');
  });
});
