// Invalid pod templates on the real apiserver: each CR is refused at admission naming the template field,
// and the same pod spec sent as a Pod is refused by the apiserver itself naming the same field — our
// template validation and the apiserver's Pod validation agree, case by case. Dry runs: nothing is stored.
import { KINDS } from '../../apis/kinds';
import type { KubeObject, ResourceType } from '../../runtime/meta';
import { Pods } from '../../runtime/meta';
import { INVALID_POD_TEMPLATES } from '../../webhooks/validation/testing/invalid-pod-templates';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useCustomResourceWebhooks } from '../cluster/webhooks';

const typeOf = (kind: keyof typeof KINDS, apiVersion: string): ResourceType => {
  const info = KINDS[kind];
  return {
    group: info.group,
    version: apiVersion.split('/')[1]!,
    plural: info.plural,
    kind,
    namespaced: info.scope === 'Namespaced',
  };
};

async function rejection(create: () => Promise<unknown>): Promise<string> {
  try {
    await create();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('invalid pod templates', () => {
  const ns = useTestNamespace('pod-templates');
  useCustomResourceWebhooks();

  it('are at least 60', () => {
    expect(INVALID_POD_TEMPLATES.length).toBeGreaterThanOrEqual(60);
  });

  describe.each(INVALID_POD_TEMPLATES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    itOnLocalCluster(`is refused at admission naming ${c.field}, as its Pod is`, async () => {
      const namespaced = KINDS[c.kind].scope === 'Namespaced';
      const object = structuredClone(c.object) as KubeObject;
      if (namespaced) object.metadata = { ...object.metadata, namespace: ns.name };
      const crMessage = await rejection(() =>
        e2eClient()
          .resource(typeOf(c.kind, String(c.object.apiVersion)))
          .create(object, { dryRun: true }),
      );
      expect(crMessage).toContain(c.field);
      const pod = structuredClone(c.pod.object) as KubeObject;
      pod.metadata = { ...pod.metadata, namespace: ns.name };
      const podMessage = await rejection(() => e2eClient().resource(Pods).create(pod, { dryRun: true }));
      expect(podMessage).not.toBe('');
      expect(podMessage).toContain(c.pod.field);
    });
  });
});
