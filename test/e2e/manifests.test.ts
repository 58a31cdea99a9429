// The deploy manifests in config/ are valid Kubernetes objects: the real apiserver accepts each one
// in a server-side apply dry run (schema, defaults and admission, nothing stored).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../cluster/binaries';
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
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  PodDisruptionBudget: {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
  },
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
      expect.arrayContaining(['Deployment', 'Service', 'ClusterRole']),
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
});
