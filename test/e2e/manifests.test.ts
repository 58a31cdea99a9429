// The deploy manifests in config/ are valid Kubernetes objects: the real apiserver accepts each one
// in a server-side apply dry run (schema, defaults and admission, nothing stored).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../cluster/binaries';
import { isNotFound } from '../../runtime/errors';
import { type KubeObject, Namespaces, type ResourceType } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster } from '../cluster/e2e';

const TYPES: Record<string, ResourceType> = {
  Namespace: Namespaces,
  ServiceAccount: {
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
  },
  Service: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  Secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  PodDisruptionBudget: {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
  },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  ClusterRole: cluster('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole'),
  ClusterRoleBinding: cluster('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding'),
  Role: { ...cluster('rbac.authorization.k8s.io', 'roles', 'Role'), namespaced: true },
  RoleBinding: { ...cluster('rbac.authorization.k8s.io', 'rolebindings', 'RoleBinding'), namespaced: true },
  MutatingWebhookConfiguration: cluster(
    'admissionregistration.k8s.io',
    'mutatingwebhookconfigurations',
    'MutatingWebhookConfiguration',
  ),
  ValidatingWebhookConfiguration: cluster(
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    'ValidatingWebhookConfiguration',
  ),
};

function cluster(group: string, plural: string, kind: string): ResourceType {
  return { group, version: 'v1', plural, kind, namespaced: false };
}

/** Every object in the YAML files of `dirs` (kustomization files excluded). */
function manifests(...dirs: string[]): { file: string; object: KubeObject }[] {
  return dirs.flatMap((dir) =>
    fs
      .readdirSync(path.join(REPO_ROOT, dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .flatMap((f) =>
        parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, dir, f), 'utf8'))
          .map((doc) => doc.toJS() as KubeObject | null)
          .filter((object): object is KubeObject => object !== null && object.kind !== undefined)
          .map((object) => ({ file: `${dir}/${f}`, object })),
      ),
  );
}

describe('deploy manifests in config/', () => {
  itOnLocalCluster('are accepted by the apiserver in a server-side dry run', async () => {
    const objects = manifests('config/manager', 'config/webhook');
    expect(objects.map((o) => o.object.kind)).toEqual(
      expect.arrayContaining(['Deployment', 'PodDisruptionBudget', 'Service', 'Secret', 'ClusterRole']),
    );
    // Namespaced objects need their namespace to exist, even in a dry run.
    const namespaces = new Set(
      objects.map((o) => o.object.metadata?.namespace).filter((n): n is string => !!n),
    );
    for (const name of namespaces) {
      await e2eClient()
        .resource(Namespaces)
        .apply(
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          { fieldManager: 'outrigger-e2e' },
        );
    }
    for (const { file, object } of objects) {
      const type = TYPES[object.kind ?? ''];
      if (!type) throw new Error(`${file}: no resource type known for kind ${object.kind}`);
      await expect(
        e2eClient()
          .resource(type)
          .apply(object, { fieldManager: 'outrigger-e2e', force: true, dryRun: true }),
      ).resolves.toMatchObject({
        kind: object.kind,
      });
    }
  });

  itOnLocalCluster("grants the manager's service account what it uses, by name, and no more", async () => {
    const rbacKinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
    const objects = manifests('config/manager').filter((o) => rbacKinds.includes(o.object.kind ?? ''));
    const namespace = 'outrigger-system';
    await e2eClient()
      .resource(Namespaces)
      .apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        { fieldManager: 'outrigger-e2e' },
      );
    for (const { object } of objects) {
      await e2eClient()
        .resource(TYPES[object.kind ?? '']!)
        .apply(object, { fieldManager: 'outrigger-e2e', force: true });
    }
    try {
      const can = async (verb: string, group: string, resource: string, name?: string, ns?: string) => {
        const review = await e2eClient()
          .resource<KubeObject & { status?: { allowed?: boolean } }>(SubjectAccessReviews)
          .create({
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: `system:serviceaccount:${namespace}:outrigger-manager`,
              groups: [
                'system:serviceaccounts',
                `system:serviceaccounts:${namespace}`,
                'system:authenticated',
              ],
              resourceAttributes: { verb, group, resource, name, namespace: ns },
            },
          } as KubeObject);
        return `${review.status?.allowed ? 'allowed' : 'denied'}: ${verb} ${resource} ${ns ?? ''}/${name ?? '*'}`;
      };
      const admission = 'admissionregistration.k8s.io';
      const mutating = 'mutatingwebhookconfigurations';
      const validating = 'validatingwebhookconfigurations';
      const checks: [string, string, string, string?, string?][] = [
        ['get', admission, mutating, 'outrigger-mutating-webhook-configuration'],
        ['patch', admission, mutating, 'outrigger-mutating-webhook-configuration'],
        ['patch', admission, validating, 'outrigger-validating-webhook-configuration'],
        ['patch', admission, mutating, 'outrigger-pod-mutating-webhook-configuration'],
        ['patch', admission, mutating, 'someone-elses-webhook'],
        ['update', admission, validating, 'someone-elses-webhook'],
        ['delete', admission, mutating, 'outrigger-mutating-webhook-configuration'],
        ['list', admission, mutating],
        ['watch', admission, validating],
        ['get', '', 'secrets', 'outrigger-webhook-certs', namespace],
        ['update', '', 'secrets', 'outrigger-webhook-certs', namespace],
        ['create', '', 'secrets', undefined, namespace],
        ['get', '', 'secrets', 'another-secret', namespace],
        ['list', '', 'secrets', undefined, namespace],
        ['get', '', 'secrets', 'outrigger-webhook-certs', 'kube-system'],
        ['get', 'coordination.k8s.io', 'leases', 'outrigger-manager', namespace],
        ['update', 'coordination.k8s.io', 'leases', 'outrigger-manager', namespace],
        ['create', 'coordination.k8s.io', 'leases', undefined, namespace],
        ['update', 'coordination.k8s.io', 'leases', 'another-lease', namespace],
        ['delete', 'coordination.k8s.io', 'leases', 'outrigger-manager', namespace],
        ['watch', 'coordination.k8s.io', 'leases', undefined, namespace],
        ['patch', 'apiextensions.k8s.io', 'customresourcedefinitions', 'clonesets.apps.kruise.io'],
        ['patch', 'apiextensions.k8s.io', 'customresourcedefinitions', 'someone-elses.example.com'],
        ['get', '', 'configmaps', 'outrigger-configuration', namespace],
        ['get', '', 'configmaps', 'another-configmap', namespace],
      ];
      const results = await Promise.all(checks.map((check) => can(...check)));
      expect(results).toEqual([
        'allowed: get mutatingwebhookconfigurations /outrigger-mutating-webhook-configuration',
        'allowed: patch mutatingwebhookconfigurations /outrigger-mutating-webhook-configuration',
        'allowed: patch validatingwebhookconfigurations /outrigger-validating-webhook-configuration',
        'allowed: patch mutatingwebhookconfigurations /outrigger-pod-mutating-webhook-configuration',
        'denied: patch mutatingwebhookconfigurations /someone-elses-webhook',
        'denied: update validatingwebhookconfigurations /someone-elses-webhook',
        'denied: delete mutatingwebhookconfigurations /outrigger-mutating-webhook-configuration',
        'denied: list mutatingwebhookconfigurations /*',
        'denied: watch validatingwebhookconfigurations /*',
        'allowed: get secrets outrigger-system/outrigger-webhook-certs',
        'allowed: update secrets outrigger-system/outrigger-webhook-certs',
        'allowed: create secrets outrigger-system/*',
        'denied: get secrets outrigger-system/another-secret',
        'denied: list secrets outrigger-system/*',
        'denied: get secrets kube-system/outrigger-webhook-certs',
        'allowed: get leases outrigger-system/outrigger-manager',
        'allowed: update leases outrigger-system/outrigger-manager',
        'allowed: create leases outrigger-system/*',
        'denied: update leases outrigger-system/another-lease',
        'denied: delete leases outrigger-system/outrigger-manager',
        'denied: watch leases outrigger-system/*',
        'allowed: patch customresourcedefinitions /clonesets.apps.kruise.io',
        'denied: patch customresourcedefinitions /someone-elses.example.com',
        'allowed: get configmaps outrigger-system/outrigger-configuration',
        'denied: get configmaps outrigger-system/another-configmap',
      ]);
    } finally {
      for (const { object } of objects.reverse()) {
        await e2eClient()
          .resource(TYPES[object.kind ?? '']!)
          .delete({ name: object.metadata?.name ?? '', namespace: object.metadata?.namespace })
          .catch((err) => {
            if (!isNotFound(err)) throw err;
          });
      }
    }
  });
});

const SubjectAccessReviews: ResourceType = cluster(
  'authorization.k8s.io',
  'subjectaccessreviews',
  'SubjectAccessReview',
);
