// The Helm chart installs on a real apiserver: helm's own server dry run of `helm install`, and every
// rendered object accepted by a server-side apply dry run (schema, defaults, admission; nothing stored),
// with the default values, cert-manager mode and the extender.

import { parseAllDocuments } from 'yaml';
import { CHART_DIR, helm, helmTemplate } from '../../charts/render';
import type { KubeClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import { type KubeObject, Namespaces, type ResourceType } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';

const objects = (text: string): KubeObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && o.kind !== undefined);

/** The resource serving `kind` in `apiVersion`, from API discovery. */
async function resourceFor(client: KubeClient, apiVersion: string, kind: string): Promise<ResourceType> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const list = await client.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>({
    method: 'GET',
    path: group ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
    idempotent: true,
  });
  const found = list.resources.find((r) => r.kind === kind && !r.name.includes('/'));
  if (!found) throw new Error(`the apiserver serves no ${kind} in ${apiVersion}`);
  return { group: group!, version: version!, plural: found.name, kind, namespaced: found.namespaced };
}

/**
 * Dry runs of every object; the first rejection fails with the apiserver's message. An object the shared
 * cluster already has (our CRDs, written by other files' local webhooks with a url clientConfig) is
 * checked as a whole replacement, as `helm upgrade` would send it; a new one as a server-side apply.
 */
async function dryRunAll(rendered: KubeObject[]): Promise<string[]> {
  const client = e2eClient();
  // Namespaced objects need their namespace to exist, even in a dry run.
  for (const name of new Set(rendered.map((o) => o.metadata?.namespace).filter((n): n is string => !!n))) {
    await client
      .resource(Namespaces)
      .apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'outrigger-e2e' });
  }
  const accepted: string[] = [];
  for (const object of rendered) {
    const type = await resourceFor(client, object.apiVersion!, object.kind!);
    const resource = client.resource(type);
    const live = await resource
      .get({ namespace: object.metadata?.namespace, name: object.metadata?.name ?? '' })
      .catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    const result = live
      ? await resource.update(
          { ...object, metadata: { ...object.metadata, resourceVersion: live.metadata?.resourceVersion } },
          { dryRun: true },
        )
      : await resource.apply(object, { fieldManager: 'outrigger-chart-e2e', force: true, dryRun: true });
    expect(result).toMatchObject({ kind: object.kind, metadata: { name: object.metadata?.name } });
    accepted.push(`${object.kind}/${object.metadata?.name}`);
  }
  return accepted;
}

describe('the Helm chart on the apiserver', () => {
  it('helm install --dry-run=server passes against the cluster (its version, API capabilities, ownership)', () => {
    // helm's server dry run asks the cluster about itself but sends no object: the apply dry runs below
    // do that. The shared cluster already has our CRDs, namespace and (from other files) webhook
    // configurations, applied without Helm: --take-ownership adopts them, as moving from kustomize would.
    const out = helm([
      'install',
      'outrigger',
      CHART_DIR,
      '--dry-run=server',
      '--take-ownership',
      '--kubeconfig',
      e2eKubeconfigPath(),
    ]);
    expect(out).toMatch(/STATUS: pending-install/);
    expect(out).toContain('kind: Deployment');
  });

  it('accepts every object of the default render in a server-side apply dry run', async () => {
    const rendered = objects(helmTemplate());
    const accepted = await dryRunAll(rendered);
    expect(accepted).toHaveLength(rendered.length);
    expect(accepted).toEqual(
      expect.arrayContaining([
        'CustomResourceDefinition/clonesets.apps.kruise.io',
        'Deployment/outrigger-manager',
        'PodDisruptionBudget/outrigger-manager',
        'MutatingWebhookConfiguration/outrigger-pod-mutating-webhook-configuration',
        'ValidatingWebhookConfiguration/outrigger-validating-webhook-configuration',
        'Secret/outrigger-webhook-certs',
      ]),
    );
  });

  it('refuses what the apiserver refuses: the dry runs reach its validation', async () => {
    const rendered = objects(
      helmTemplate(['manager.resources.requests.cpu=2', 'manager.resources.limits.cpu=1']),
    ).filter((o) => o.kind === 'Deployment');
    await expect(dryRunAll(rendered)).rejects.toThrow(/must be less than or equal to cpu limit/);
  });

  it('accepts the cert-manager mode, the extender and the dashboard (cert-manager kinds aside: none here)', async () => {
    const rendered = objects(
      helmTemplate([
        'certs.mode=cert-manager',
        'extender.enabled=true',
        'manager.controllers.sidecarset=false',
        'monitoring.grafanaDashboard.enabled=true',
      ]),
    );
    const certManagerKinds = rendered.filter((o) => o.apiVersion?.startsWith('cert-manager.io/'));
    expect(certManagerKinds.map((o) => o.kind).sort()).toEqual(['Certificate', 'Issuer']);
    const rest = rendered.filter((o) => !certManagerKinds.includes(o));
    const accepted = await dryRunAll(rest);
    expect(accepted).toHaveLength(rest.length);
    expect(accepted).toEqual(
      expect.arrayContaining([
        'Deployment/angle-extender',
        'NetworkPolicy/angle-extender',
        'Deployment/outrigger-manager',
        'ConfigMap/outrigger-grafana-dashboard',
      ]),
    );
  });
});
