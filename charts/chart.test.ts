// The Helm chart and the kustomize install are one: the generated chart parts and config/ files are up to
// date, `kustomize build config/default` equals the chart's default render object by object, helm lint
// passes, and every value changes the render the way values.yaml says. helm and kustomize are built
// from Go modules on first use (tools/build-chart-tools.sh), never skipped.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { selectControllers } from '../controllers/catalog';
import { OPERATOR_NAMESPACE } from '../webhooks/configurations';
import { CHART_DIR, chartParts, chartToolsDir, configFiles, helm, helmTemplate, REPO_ROOT } from './render';

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are checked field by field
type Obj = any;

let tools: string;
beforeAll(() => {
  tools = chartToolsDir();
}, 15 * 60_000);

const objects = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object' && o.kind !== undefined);
const render = (...set: string[]) => objects(helmTemplate(set, [], tools));
const key = (o: Obj) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const find = (objs: Obj[], kind: string, name?: string) =>
  objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const managerOf = (objs: Obj[]) =>
  find(objs, 'Deployment', 'outrigger-manager').spec.template.spec.containers.find(
    (c: { name: string }) => c.name === 'manager',
  );
const argValue = (container: { args: string[] }, flag: string) =>
  container.args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
const envValue = (container: { env: { name: string; value?: string }[] }, name: string) =>
  container.env.find((e) => e.name === name)?.value;
const webhookConfigurations = (objs: Obj[]) => objs.filter((o) => o.kind.endsWith('WebhookConfiguration'));
const crds = (objs: Obj[]) => objs.filter((o) => o.kind === 'CustomResourceDefinition');
const crdFiles = () =>
  fs
    .readdirSync(path.join(REPO_ROOT, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => objects(fs.readFileSync(path.join(REPO_ROOT, 'crds', f), 'utf8'))[0]!);

describe('generated files', () => {
  it.each([...chartParts().keys()])(
    '%s is up to date with its TypeScript source (npm run gen:chart)',
    (file) => {
      expect(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')).toBe(chartParts().get(file));
    },
  );

  it('config/ holds the chart renders (npm run gen:chart)', () => {
    const files = configFiles(tools);
    expect([...files.keys()].sort()).toEqual([
      'config/manager/manager.yaml',
      'config/manager/pdb.yaml',
      'config/manager/rbac.yaml',
      'config/monitoring/podmonitor.yaml',
      'config/scheduler/extender-deployment.yaml',
      'config/webhook/manifests.yaml',
      'config/webhook/secret.yaml',
      'config/webhook/service.yaml',
    ]);
    for (const [file, text] of files) {
      expect({ file, text: fs.readFileSync(path.join(REPO_ROOT, file), 'utf8') }).toEqual({ file, text });
    }
  });
});

describe('helm lint', () => {
  it.each([
    ['default values', []],
    [
      'cert-manager, the extender, one controller off',
      ['certs.mode=cert-manager', 'extender.enabled=true', 'manager.controllers.sidecarset=false'],
    ],
  ])('passes with %s', (_, set: string[]) => {
    const out = helm(['lint', '--strict', CHART_DIR, ...set.flatMap((s) => ['--set', s])], tools);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe('helm package', () => {
  it('makes a self-contained chart (the links into the repository resolved) that renders the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-chart-'));
    try {
      helm(['package', CHART_DIR, '--destination', dir], tools);
      const packaged = path.join(dir, fs.readdirSync(dir)[0]!);
      const set = ['--set', 'extender.enabled=true', '--set', 'monitoring.grafanaDashboard.enabled=true'];
      const fromPackage = helm(['template', 'outrigger', packaged, ...set], tools);
      expect(fromPackage).toBe(helm(['template', 'outrigger', CHART_DIR, ...set], tools));
      expect(crds(objects(fromPackage))).toHaveLength(4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kustomize build config/default', () => {
  it('equals the chart rendered with default values, object by object (the CRDs aside)', () => {
    const kustomize = objects(
      execFileSync(path.join(tools, 'kustomize'), ['build', path.join(REPO_ROOT, 'config', 'default')], {
        encoding: 'utf8',
      }),
    );
    const chart = render().filter((o) => o.kind !== 'CustomResourceDefinition');
    expect(kustomize.map(key).sort()).toEqual(chart.map(key).sort());
    for (const object of chart) expect(kustomize.find((o) => key(o) === key(object))).toEqual(object);
    expect(chart.map((o) => o.kind)).toEqual(
      expect.arrayContaining([
        'Namespace',
        'Deployment',
        'PodDisruptionBudget',
        'ClusterRole',
        'Role',
        'Service',
        'Secret',
        'MutatingWebhookConfiguration',
        'ValidatingWebhookConfiguration',
      ]),
    );
  });

  it("the chart's CRDs are crds/ as generated, kept on uninstall", () => {
    const rendered = crds(render());
    const files = crdFiles();
    expect(rendered.map((c) => c.metadata.name).sort()).toEqual(files.map((c) => c.metadata.name).sort());
    for (const file of files) {
      const crd = rendered.find((c) => c.metadata.name === file.metadata.name)!;
      const { annotations, ...metadata } = crd.metadata;
      expect({ ...crd, metadata }).toEqual(file);
      expect(annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    }
  });
});

describe('values', () => {
  const defaults = render();

  it('manager.controllers switches reach --controllers, in a form the manager parses', () => {
    expect(argValue(managerOf(defaults), '--controllers')).toBe('*');
    const flag = argValue(
      managerOf(render('manager.controllers.sidecarset=false', 'manager.controllers.broadcastjob=false')),
      '--controllers',
    )!;
    expect(flag).toBe('*,-broadcastjob,-sidecarset');
    expect(selectControllers(flag).enabled.map((c) => c.name)).toEqual(['cloneset', 'statefulset']);
  });

  it('rejects an unknown controller and an unknown log level, naming the value', () => {
    expect(() => render('manager.controllers.daemonset=false')).toThrow(
      "at '/manager/controllers': additional properties 'daemonset' not allowed",
    );
    expect(() => render('manager.log.level=verbose')).toThrow(
      "at '/manager/log/level': value must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'",
    );
    expect(() => render('certs.mode=vault')).toThrow(
      "at '/certs/mode': value must be one of 'self-managed', 'cert-manager'",
    );
  });

  it('sets replicas, resources, log level, image and ports', () => {
    const objs = render(
      'manager.replicas=3',
      'manager.resources.limits.memory=2Gi',
      'manager.log.level=debug',
      'manager.image.repository=registry.example.com/outrigger',
      'manager.image.tag=v0.1.0',
      'manager.webhook.port=10443',
    );
    const deployment = find(objs, 'Deployment', 'outrigger-manager');
    expect(deployment.spec.replicas).toBe(3);
    const manager = managerOf(objs);
    expect(manager.resources.limits.memory).toBe('2Gi');
    expect(envValue(manager, 'LOG_LEVEL')).toBe('debug');
    expect(manager.image).toBe('registry.example.com/outrigger:v0.1.0');
    expect(argValue(manager, '--webhook-port')).toBe('10443');
    expect(find(objs, 'Service', 'outrigger-webhook-service').spec.ports[0].targetPort).toBe(10443);
  });

  it('keeps the replicas apart with a PodDisruptionBudget, anti-affinity and a hostname spread', () => {
    const pod = find(defaults, 'Deployment', 'outrigger-manager').spec.template.spec;
    const labels = find(defaults, 'Deployment', 'outrigger-manager').spec.template.metadata.labels;
    expect(find(defaults, 'PodDisruptionBudget', 'outrigger-manager').spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: labels },
    });
    const term =
      pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term).toEqual({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } });
    expect(pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
    });
    // One replica with minAvailable 1 would block every node drain.
    expect(find(render('manager.replicas=1'), 'PodDisruptionBudget')).toBeUndefined();
  });

  it('self-managed certificates (default): the empty Secret, the Secret and caBundle RBAC, no cert-manager', () => {
    expect(find(defaults, 'Secret', 'outrigger-webhook-certs')).toBeDefined();
    expect(defaults.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).toEqual([]);
    expect(envValue(managerOf(defaults), 'WEBHOOK_CERT_DIR')).toBeUndefined();
    const role = find(defaults, 'Role', 'outrigger-manager');
    expect(role.rules.flatMap((r: { resources: string[] }) => r.resources)).toContain('secrets');
    const clusterRole = find(defaults, 'ClusterRole', 'outrigger-manager');
    expect(clusterRole.rules.flatMap((r: { resources: string[] }) => r.resources)).toEqual(
      expect.arrayContaining(['mutatingwebhookconfigurations', 'customresourcedefinitions']),
    );
    for (const o of [...webhookConfigurations(defaults), ...crds(defaults)]) {
      expect(o.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBeUndefined();
    }
  });

  it('cert-manager mode: Issuer, Certificate, cainjector annotations, the mounted Secret, no self-managed logic', () => {
    const objs = render('certs.mode=cert-manager');
    const certificate = find(objs, 'Certificate', 'outrigger-webhook-cert');
    expect(certificate.spec).toMatchObject({
      secretName: 'outrigger-webhook-tls',
      dnsNames: [
        `outrigger-webhook-service.${OPERATOR_NAMESPACE}.svc`,
        `outrigger-webhook-service.${OPERATOR_NAMESPACE}.svc.cluster.local`,
      ],
      issuerRef: { name: 'outrigger-selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
    });
    expect(find(objs, 'Issuer', 'outrigger-selfsigned').spec).toEqual({ selfSigned: {} });
    const injectFrom = `${OPERATOR_NAMESPACE}/outrigger-webhook-cert`;
    expect(webhookConfigurations(objs)).toHaveLength(3);
    for (const o of webhookConfigurations(objs)) {
      expect(o.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': injectFrom });
    }
    const converting = crds(objs).filter((c) => c.spec.conversion.strategy === 'Webhook');
    expect(converting.map((c) => c.metadata.name).sort()).toEqual([
      'clonesets.apps.kruise.io',
      'sidecarsets.apps.kruise.io',
      'statefulsets.apps.kruise.io',
    ]);
    for (const crd of converting) {
      expect(crd.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(injectFrom);
    }
    const manager = managerOf(objs);
    const pod = find(objs, 'Deployment', 'outrigger-manager').spec.template.spec;
    expect(envValue(manager, 'WEBHOOK_CERT_DIR')).toBe(manager.volumeMounts[0].mountPath);
    expect(pod.volumes).toEqual([{ name: 'webhook-certs', secret: { secretName: 'outrigger-webhook-tls' } }]);
    // Nothing for the manager to write: no Secret shipped, no Secret or caBundle permissions.
    expect(find(objs, 'Secret')).toBeUndefined();
    const rbacResources = objs
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((o) => o.rules.flatMap((r: { resources: string[] }) => r.resources));
    for (const resource of [
      'secrets',
      'mutatingwebhookconfigurations',
      'validatingwebhookconfigurations',
      'customresourcedefinitions',
    ]) {
      expect(rbacResources).not.toContain(resource);
    }
    // An Issuer of the user's: no self-signed one.
    const own = render(
      'certs.mode=cert-manager',
      'certs.certManager.issuerRef.name=corp-ca',
      'certs.certManager.issuerRef.kind=ClusterIssuer',
    );
    expect(find(own, 'Issuer')).toBeUndefined();
    expect(find(own, 'Certificate').spec.issuerRef).toEqual({
      name: 'corp-ca',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
  });

  it('the extender is optional, off by default', () => {
    expect(defaults.filter((o) => o.metadata.name === 'angle-extender')).toEqual([]);
    const objs = render('extender.enabled=true', 'extender.replicas=3');
    expect(
      objs
        .filter((o) => o.metadata.name === 'angle-extender')
        .map((o) => o.kind)
        .sort(),
    ).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = find(objs, 'Deployment', 'angle-extender');
    expect(deployment.metadata.namespace).toBe(OPERATOR_NAMESPACE);
    expect(deployment.spec.replicas).toBe(3);
    const shipped = fs.readFileSync(path.join(REPO_ROOT, 'config', 'scheduler', 'extender.yaml'), 'utf8');
    expect(find(objs, 'ConfigMap', 'angle-extender').data['extender.yaml']).toBe(shipped);
  });

  it('installation.namespace moves every namespaced object and every reference to the Service', () => {
    const objs = render('installation.namespace=platform-ops');
    const namespaced = objs.filter((o) => o.metadata.namespace !== undefined);
    expect(namespaced.length).toBeGreaterThan(5);
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(['platform-ops']));
    expect(find(objs, 'Namespace').metadata.name).toBe('platform-ops');
    const services = [
      ...webhookConfigurations(objs).flatMap((c) => c.webhooks.map((w: Obj) => w.clientConfig.service)),
      ...crds(objs)
        .filter((c) => c.spec.conversion.strategy === 'Webhook')
        .map((c) => c.spec.conversion.webhook.clientConfig.service),
    ];
    expect(new Set(services.map((s) => `${s.namespace}/${s.name}`))).toEqual(
      new Set(['platform-ops/outrigger-webhook-service']),
    );
    expect(find(render('installation.createNamespace=false'), 'Namespace')).toBeUndefined();
  });

  it('monitoring: PodMonitors for the manager and the enabled extender, the Grafana dashboard as a ConfigMap', () => {
    expect(
      defaults.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'monitoring'),
    ).toEqual([]);
    const monitors = render('monitoring.podMonitor.enabled=true').filter((o) => o.kind === 'PodMonitor');
    expect(monitors.map((m) => m.metadata.name)).toEqual(['outrigger-manager']);
    const manager = find(defaults, 'Deployment', 'outrigger-manager');
    expect(manager.spec.template.metadata.labels).toMatchObject(monitors[0].spec.selector.matchLabels);
    const withExtender = render('monitoring.podMonitor.enabled=true', 'extender.enabled=true');
    expect(withExtender.filter((o) => o.kind === 'PodMonitor').map((m) => m.metadata.name)).toEqual([
      'outrigger-manager',
      'angle-extender',
    ]);
    const dashboard = find(render('monitoring.grafanaDashboard.enabled=true'), 'ConfigMap');
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    const shipped = fs.readFileSync(
      path.join(REPO_ROOT, 'config', 'monitoring', 'grafana-dashboard.json'),
      'utf8',
    );
    expect(JSON.parse(dashboard.data['outrigger.json'])).toEqual(JSON.parse(shipped));
  });

  it('crds.managed=false leaves the CRDs out', () => {
    expect(crds(defaults)).toHaveLength(4);
    expect(crds(render('crds.managed=false'))).toEqual([]);
  });

  it('webhookConfiguration.timeoutSeconds reaches every webhook', () => {
    const objs = render('webhookConfiguration.timeoutSeconds=5');
    const timeouts = webhookConfigurations(objs).flatMap((c) => c.webhooks.map((w: Obj) => w.timeoutSeconds));
    expect(new Set(timeouts)).toEqual(new Set([5]));
  });
});
