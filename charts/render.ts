// The Helm chart in charts/outrigger is the one source of the install manifests:
// - the parts that have a TypeScript source are generated into it: the webhook configurations (from
//   webhooks/configurations.ts) and values.schema.json (controller names from controllers/catalog.ts);
//   the CRDs are read from crds/ through the files/crds link;
// - the kustomize install (config/manager, config/webhook, reached from config/default),
//   config/scheduler/extender-deployment.yaml and config/monitoring/podmonitor.yaml are `helm template`
//   renders of it, so `kubectl apply` needs no helm. The extender's config and the Grafana dashboard are
//   read from config/ through links in files/.
// `npm run gen:chart` writes all of them; charts/chart.test.ts fails while any is stale.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { CONTROLLER_NAMES } from '../controllers/catalog';
import { LOG_LEVELS } from '../runtime/log';
import {
  buildMutatingWebhookConfiguration,
  buildPodWebhookConfiguration,
  buildValidatingWebhookConfiguration,
  serviceEndpoint,
  type WebhookConfigurationOptions,
} from '../webhooks/configurations';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const CHART_DIR = path.join(REPO_ROOT, 'charts', 'outrigger');

/** Which config/ file each chart template's default render goes to. */
export const CONFIG_FILES: Record<string, string> = {
  'templates/manager.yaml': 'config/manager/manager.yaml',
  'templates/rbac.yaml': 'config/manager/rbac.yaml',
  'templates/pdb.yaml': 'config/manager/pdb.yaml',
  'templates/webhook-service.yaml': 'config/webhook/service.yaml',
  'templates/webhook-secret.yaml': 'config/webhook/secret.yaml',
  'templates/webhook-configurations.yaml': 'config/webhook/manifests.yaml',
};
/** In the chart's default render but not in config/: kustomize users apply crds/ themselves. */
const NOT_IN_CONFIG = new Set(['templates/crds.yaml']);
/** Optional parts, rendered on their own with the values that switch them on. */
const EXTRA_RENDERS = [
  {
    file: 'config/scheduler/extender-deployment.yaml',
    template: 'templates/extender.yaml',
    set: ['extender.enabled=true', 'extender.namespace=kube-system'],
    how: 'extender.enabled, in kube-system',
  },
  {
    file: 'config/monitoring/podmonitor.yaml',
    template: 'templates/podmonitor.yaml',
    set: ['monitoring.podMonitor.enabled=true', 'extender.enabled=true', 'extender.namespace=kube-system'],
    how: 'monitoring.podMonitor.enabled, the extender in kube-system',
  },
];

const GENERATED_FROM_CHART = (how: string) =>
  `# Generated from charts/outrigger (${how}) by \`npm run gen:chart\`; do not edit.\n`;

// Placeholders the builders accept as ordinary values, swapped for template expressions afterwards.
const NAMESPACE = 'chart-namespace-placeholder';
const TIMEOUT = 424242;

/** templates/webhook-configurations.yaml: our three configurations, as the manager's builders make them. */
export function webhookConfigurationsTemplate(): string {
  const options: WebhookConfigurationOptions = {
    endpoint: serviceEndpoint(NAMESPACE),
    operatorNamespace: NAMESPACE,
    timeoutSeconds: TIMEOUT,
  };
  const docs = [
    buildMutatingWebhookConfiguration(options),
    buildValidatingWebhookConfiguration(options),
    buildPodWebhookConfiguration(options),
  ].map((doc) => {
    const text = stringify(doc, { lineWidth: 0 });
    const at = text.indexOf('\nwebhooks:\n');
    if (at < 0) throw new Error(`no webhooks list in ${doc.metadata.name}`);
    // caBundle: the manager patches it in (self-managed), or cert-manager's cainjector does.
    const annotations = [
      '{{- if eq (include "outrigger.certManager" .) "true" }}',
      '  annotations:',
      '    cert-manager.io/inject-ca-from: {{ include "outrigger.caInjectFrom" . }}',
      '{{- end }}',
    ].join('\n');
    return `---\n${text.slice(0, at)}\n${annotations}${text.slice(at)}`;
  });
  const template = docs
    .join('')
    .replaceAll(NAMESPACE, '{{ include "outrigger.namespace" . }}')
    .replaceAll(
      `timeoutSeconds: ${TIMEOUT}`,
      'timeoutSeconds: {{ .Values.webhookConfiguration.timeoutSeconds }}',
    );
  if (template.includes(String(TIMEOUT))) throw new Error('a timeout placeholder was left in the template');
  return `{{- /* Generated from webhooks/configurations.ts by \`npm run gen:chart\`; do not edit. */}}\n${template}`;
}

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  ...extra,
});
const string = { type: 'string' };
const boolean = { type: 'boolean' };
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const anyObject = { type: 'object' };

/** values.schema.json: helm refuses values that do not fit, naming the path (e.g. an unknown controller). */
export function valuesSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    title: 'Outrigger chart values',
    ...object({
      crds: object({ managed: boolean }),
      installation: object({ namespace: { type: 'string', minLength: 1 }, createNamespace: boolean }),
      imagePullSecrets: { type: 'array' },
      serviceAccount: object({ annotations: anyObject }),
      manager: object({
        replicas: { type: 'integer', minimum: 1 },
        image: object({ repository: string, tag: string, pullPolicy: string }),
        log: object({ level: { enum: [...LOG_LEVELS] } }),
        controllers: object(Object.fromEntries(CONTROLLER_NAMES.map((name) => [name, boolean])), {
          additionalProperties: false,
        }),
        webhook: object({ port }),
        healthProbe: object({ port }),
        resources: anyObject,
        affinity: anyObject,
        nodeSelector: anyObject,
        tolerations: { type: 'array' },
        priorityClassName: string,
      }),
      webhookConfiguration: object({ timeoutSeconds: { type: 'integer', minimum: 1, maximum: 30 } }),
      certs: object({
        mode: { enum: ['self-managed', 'cert-manager'] },
        certManager: object({
          issuerRef: object({ name: string, kind: { enum: ['Issuer', 'ClusterIssuer'] } }),
          duration: string,
          renewBefore: string,
        }),
      }),
      extender: object({
        enabled: boolean,
        namespace: string,
        replicas: { type: 'integer', minimum: 1 },
        config: anyObject,
        resources: anyObject,
        priorityClassName: string,
      }),
      monitoring: object({
        podMonitor: object({ enabled: boolean, interval: string, labels: anyObject }),
        grafanaDashboard: object({ enabled: boolean, labels: anyObject }),
      }),
    }),
  };
}

/** The directory with helm and kustomize, built from Go modules on first use (tools/build-chart-tools.sh). */
export function chartToolsDir(): string {
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'tools', 'build-chart-tools.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

/** `helm <args>` (its INFO lines about the chart's links into the repository dropped). */
export function helm(args: string[], tools = chartToolsDir()): string {
  return execFileSync(path.join(tools, 'helm'), args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `helm template` of the chart with `--set` values; one release name and namespace, so renders compare. */
export function helmTemplate(set: string[] = [], extra: string[] = [], tools?: string): string {
  return helm(['template', 'outrigger', CHART_DIR, ...set.flatMap((s) => ['--set', s]), ...extra], tools);
}

/** The render cut into its documents, each with the template it came from. */
export function splitRender(render: string): { source: string; text: string }[] {
  return (
    render
      .split(/^---\n/m)
      .map((chunk) => {
        const source = /^# Source: outrigger\/(.+)\n/.exec(chunk);
        return source ? { source: source[1]!, text: chunk.slice(source[0].length) } : undefined;
      })
      // A template that renders nothing but comments leaves a chunk without an object.
      .filter(
        (doc): doc is { source: string; text: string } => doc !== undefined && /^[^#\s]/m.test(doc.text),
      )
  );
}

/** config/ file → its content, from the chart's renders. */
export function configFiles(tools = chartToolsDir()): Map<string, string> {
  const files = new Map<string, string[]>();
  for (const doc of splitRender(helmTemplate([], [], tools))) {
    if (NOT_IN_CONFIG.has(doc.source)) continue;
    const file = CONFIG_FILES[doc.source];
    if (!file) throw new Error(`${doc.source} renders by default but has no file in config/ (CONFIG_FILES)`);
    files.set(file, [...(files.get(file) ?? []), doc.text]);
  }
  // Renders of optional parts with the values they need, into their own files.
  for (const extra of EXTRA_RENDERS) {
    const render = helmTemplate(extra.set, ['--show-only', extra.template], tools);
    files.set(
      extra.file,
      splitRender(render).map((d) => d.text),
    );
  }
  const out = new Map<string, string>();
  for (const [file, docs] of files) {
    const how = EXTRA_RENDERS.find((extra) => extra.file === file)?.how ?? 'default values';
    out.set(file, GENERATED_FROM_CHART(how) + docs.map((text) => `${text.trimEnd()}\n`).join('---\n'));
  }
  return out;
}

/** The generated chart parts, path relative to the repository → content (config/ renders from them). */
export function chartParts(): Map<string, string> {
  return new Map([
    ['charts/outrigger/templates/webhook-configurations.yaml', webhookConfigurationsTemplate()],
    ['charts/outrigger/values.schema.json', `${JSON.stringify(valuesSchema(), null, 2)}\n`],
  ]);
}
