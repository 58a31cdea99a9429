import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { configAt, loadConfig, parseConfig } from './config';
import { schedulerSettings } from './kubescheduler';

const CONFIG_DIR = join(__dirname, '../config/scheduler');

describe('extender config', () => {
  it('fills defaults for an empty file', () => {
    const c = parseConfig('');
    expect(c.server).toEqual({
      host: '0.0.0.0',
      port: 8888,
      prefix: '/angle',
      maxBodyBytes: 4 * 1024 * 1024,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 30_000,
      maxConnections: 256,
    });
    expect(c.policy.scorer).toBe('angle');
    expect(c.dimensions.map((d) => d.name)).toEqual(['cpu', 'memory', 'nvidia.com/gpu', 'gpu-whole']);
    expect(c.gpu.shareResource).toBe('aliyun.com/gpu-mem');
    expect(c.bind).toBe(true);
  });

  it.each([
    ['unknown top-level key', 'bogus: 1'],
    ['unknown scorer', 'policy: {scorer: nope}'],
    ['packing out of range', 'policy: {packing: 2}'],
    ['negative weight', 'dimensions: [{name: cpu, weight: -1}]'],
    ['duplicate dimension', 'dimensions: [{name: cpu}, {name: cpu}]'],
    ['no dimensions', 'dimensions: []'],
    ['bad port', 'server: {port: 70000}'],
  ])('rejects %s', (_, text) => {
    expect(() => parseConfig(text)).toThrow(/invalid extender config/);
  });

  it('accepts the shipped extender.yaml and the one inside the Deployment', () => {
    expect(loadConfig(join(CONFIG_DIR, 'extender.yaml')).policy.scorer).toBe('angle');
    const docs = parseAllDocuments(readFileSync(join(CONFIG_DIR, 'extender-deployment.yaml'), 'utf8')).map(
      (d) => d.toJS(),
    );
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    expect(parseConfig(cm.data['extender.yaml'])).toEqual(loadConfig(join(CONFIG_DIR, 'extender.yaml')));
    expect(docs.map((d) => d.kind)).toEqual(
      expect.arrayContaining([
        'Deployment',
        'Service',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]),
    );
    const deployment = docs.find((d) => d.kind === 'Deployment');
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    const rules = docs.find((d) => d.kind === 'ClusterRole').rules;
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ resources: ['pods/binding'] })]));
  });

  it('defaults to the shipped extender.yaml', () => {
    expect(parseConfig('')).toEqual(loadConfig(join(CONFIG_DIR, 'extender.yaml')));
  });

  it('ships a KubeSchedulerConfiguration whose extender is valid for kube-scheduler', () => {
    const k = parse(readFileSync(join(CONFIG_DIR, 'kube-scheduler-config.yaml'), 'utf8'));
    expect(k.kind).toBe('KubeSchedulerConfiguration');
    expect(k.percentageOfNodesToScore).toBe(100);
    const [scoring, devices] = k.extenders;
    expect(scoring).toMatchObject({ nodeCacheCapable: true, ignorable: true, prioritizeVerb: 'prioritize' });
    // Filtering is entry 2's, for GPU pods only: one HTTP round trip per pod less (scheduler/README.md).
    expect(scoring.filterVerb).toBeUndefined();
    expect(scoring.weight).toBeGreaterThan(0); // validation requires weight > 0 with a prioritizeVerb
    expect(scoring.urlPrefix).toMatch(/\/angle$/);
    expect(scoring.managedResources).toBeUndefined(); // every pod is scored
    // Only one extender may bind; it serves the pods that ask for GPUs, and they wait while it is down.
    expect(k.extenders.filter((e: { bindVerb?: string }) => e.bindVerb)).toEqual([devices]);
    expect(devices).toMatchObject({ bindVerb: 'bind', filterVerb: 'filter', ignorable: false });
    expect(devices.prioritizeVerb).toBeUndefined();
    const config = parseConfig('');
    expect(devices.managedResources.map((r: { name: string }) => r.name)).toEqual([
      config.gpu.shareResource,
      config.gpu.resource,
    ]);
    // The measured best setup: Fit keeps filtering, but its spreading score is off.
    expect(k.profiles[0].plugins.score.disabled.map((p: { name: string }) => p.name)).toEqual([
      'NodeResourcesFit',
      'NodeResourcesBalancedAllocation',
    ]);
  });
});

describe('configAt', () => {
  it('serves the defaults at HOST:PORT', () => {
    expect(configAt('127.0.0.1:8899').server).toMatchObject({
      host: '127.0.0.1',
      port: 8899,
      prefix: '/angle',
    });
    expect(configAt(':0').server).toMatchObject({ host: '0.0.0.0', port: 0 });
    expect(configAt('[::1]:8888').server.host).toBe('::1');
  });

  it('rejects an address without a port', () => {
    expect(() => configAt('localhost')).toThrow(/HOST:PORT/);
    expect(() => configAt('h:70000')).toThrow(/HOST:PORT/);
  });
});

describe('schedulerSettings', () => {
  it('takes the shipped kube-scheduler settings with the extender at the given URL', () => {
    const { extenders, schedulerConfig } = schedulerSettings('http://127.0.0.1:1234/angle');
    expect(extenders).toEqual([
      expect.objectContaining({
        urlPrefix: 'http://127.0.0.1:1234/angle',
        nodeCacheCapable: true,
        ignorable: true,
        weight: 5,
        httpTimeout: '2s',
      }),
      expect.objectContaining({ urlPrefix: 'http://127.0.0.1:1234/angle', bindVerb: 'bind' }),
    ]);
    expect(schedulerConfig).toMatchObject({ percentageOfNodesToScore: 100 });
    expect(schedulerConfig).not.toHaveProperty('kind');
    expect(JSON.stringify(schedulerConfig.profiles)).toContain('NodeResourcesBalancedAllocation');
  });
});
