import { applyDefaults } from './defaults';
import { defaultPullPolicy } from './pod-defaults';

const template = (containers: unknown[] = [{ name: 'app', image: 'nginx:1.25' }]) => ({
  metadata: { labels: { app: 'x' } },
  spec: { containers },
});

describe('applyDefaults CloneSet', () => {
  it('fills SetDefaultsCloneSet values', () => {
    const cs = applyDefaults('CloneSet', {
      spec: { selector: { matchLabels: { app: 'x' } }, template: template() },
    } as never);
    expect(cs.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      scaleStrategy: {},
      updateStrategy: { type: 'ReCreate', partition: 0, maxUnavailable: '20%', maxSurge: 0 },
    });
    expect(cs.spec?.updateStrategy).not.toHaveProperty('inPlaceUpdateStrategy');
  });

  it('adds an empty inPlaceUpdateStrategy for in-place types only', () => {
    const cs = applyDefaults('CloneSet', {
      spec: { updateStrategy: { type: 'InPlaceIfPossible' } },
    } as never);
    expect(cs.spec?.updateStrategy?.inPlaceUpdateStrategy).toEqual({});
  });

  it('keeps user values, including zero', () => {
    const cs = applyDefaults('CloneSet', {
      spec: { replicas: 0, updateStrategy: { maxUnavailable: 2, partition: '50%' } },
    } as never);
    expect(cs.spec?.replicas).toBe(0);
    expect(cs.spec?.updateStrategy).toMatchObject({ maxUnavailable: 2, partition: '50%' });
  });

  it('applies pod template defaults with imagePullPolicy Always for app containers', () => {
    const cs = applyDefaults('CloneSet', {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                image: 'nginx:1.25',
                ports: [{ containerPort: 80 }],
                readinessProbe: { httpGet: { port: 80 } },
              },
            ],
            initContainers: [{ name: 'init', image: 'busybox:1.36' }],
            volumes: [{ name: 'cache' }, { name: 'cfg', configMap: { name: 'c' } }],
          },
        },
      },
    } as never);
    const spec = cs.spec?.template.spec;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
    });
    expect(spec?.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      readinessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(spec?.initContainers?.[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(spec?.volumes).toEqual([
      { name: 'cache', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
    ]);
  });

  it('is idempotent', () => {
    const once = applyDefaults('CloneSet', { spec: { template: template() } } as never);
    const twice = applyDefaults('CloneSet', structuredClone(once));
    expect(twice).toEqual(once);
  });

  it('leaves values of the wrong type for validation to reject', () => {
    const cs = applyDefaults('CloneSet', { spec: { updateStrategy: 'fast', replicas: 'three' } });
    expect(cs).toMatchObject({ spec: { updateStrategy: 'fast', replicas: 'three' } });
    expect(applyDefaults('CloneSet', 'nonsense')).toBe('nonsense');
  });
});

describe('applyDefaults StatefulSet', () => {
  it('fills SetDefaultsStatefulSet values', () => {
    const sts = applyDefaults('StatefulSet', { spec: { template: template() } } as never);
    expect(sts.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      replicas: 1,
      revisionHistoryLimit: 10,
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { partition: 0, maxUnavailable: 1, podUpdatePolicy: 'ReCreate', minReadySeconds: 0 },
      },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it('does not create rollingUpdate for OnDelete', () => {
    const sts = applyDefaults('StatefulSet', { spec: { updateStrategy: { type: 'OnDelete' } } } as never);
    expect(sts.spec?.updateStrategy).toEqual({ type: 'OnDelete' });
  });

  it('defaults PVC templates to Filesystem', () => {
    const sts = applyDefaults('StatefulSet', {
      spec: {
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      },
    } as never);
    expect(sts.spec?.volumeClaimTemplates?.[0]?.spec?.volumeMode).toBe('Filesystem');
  });
});

describe('applyDefaults BroadcastJob', () => {
  it('fills SetDefaultsBroadcastJob values', () => {
    const job = applyDefaults('BroadcastJob', { spec: { template: template() } } as never);
    expect(job.spec).toMatchObject({
      parallelism: 2147483647,
      completionPolicy: { type: 'Always' },
      failurePolicy: { type: 'FailFast' },
    });
    expect(job.spec?.template.spec.restartPolicy).toBe('Always');
  });

  it('keeps a user restartPolicy', () => {
    const t = template();
    const job = applyDefaults('BroadcastJob', {
      spec: { template: { ...t, spec: { ...t.spec, restartPolicy: 'Never' } } },
    } as never);
    expect(job.spec?.template.spec.restartPolicy).toBe('Never');
  });
});

describe('applyDefaults SidecarSet', () => {
  it('fills SetDefaultsSidecarSet values', () => {
    const ss = applyDefaults('SidecarSet', {
      spec: {
        selector: { matchLabels: { app: 'x' } },
        containers: [{ name: 'proxy', image: 'envoy:v1' }],
        initContainers: [{ name: 'init', image: 'busybox' }],
        patchPodMetadata: [{ annotations: { a: 'b' } }],
        injectionStrategy: { revision: { revisionName: 'r1' } },
      },
    } as never);
    expect(ss.spec).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, partition: 0 },
      revisionHistoryLimit: 10,
      patchPodMetadata: [{ patchPolicy: 'Retain' }],
      injectionStrategy: { revision: { revisionName: 'r1', policy: 'Always' } },
    });
    expect(ss.spec?.containers?.[0]).toMatchObject({
      podInjectPolicy: 'BeforeAppContainer',
      upgradeStrategy: { upgradeType: 'ColdUpgrade' },
      shareVolumePolicy: { type: 'disabled' },
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePolicy: 'File',
    });
    expect(ss.spec?.initContainers?.[0]).toMatchObject({
      podInjectPolicy: 'AfterAppContainer',
      imagePullPolicy: 'Always',
    });
  });
});

describe('defaultPullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry:5000/nginx', 'Always'],
    ['registry:5000/nginx:1.2', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ])('%s → %s', (image, want) => {
    expect(defaultPullPolicy(image)).toBe(want);
  });
});
