// Installing our CRDs into a cluster, and the API coordinates of our kinds for the runtime client.
import type { KubeClient } from '../runtime/client';
import type { KubeObject, ResourceType } from '../runtime/meta';
import { buildCrd } from './gen-crds';
import { KIND_NAMES, KINDS, type KindName } from './kinds';

export const CustomResourceDefinitions: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** Where a kind lives in the API, for the runtime client and informers. */
export function resourceOf(kind: KindName): ResourceType {
  const info = KINDS[kind];
  return {
    group: info.group,
    version: info.version,
    plural: info.plural,
    kind,
    namespaced: info.scope === 'Namespaced',
  };
}

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Server-side applies our four CRDs (the same objects `npm run gen:crds` writes to crds/) and waits
 * until the apiserver reports each Established, so custom objects can be created right after.
 */
export async function installCrds(client: KubeClient, timeoutMs = 60_000): Promise<void> {
  const crds = client.resource<Crd>(CustomResourceDefinitions);
  const names = await Promise.all(
    KIND_NAMES.map(async (kind) => {
      const applied = await crds.apply(buildCrd(KINDS[kind]) as Crd, {
        fieldManager: 'outrigger',
        force: true,
      });
      return applied.metadata?.name ?? '';
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await crds.get({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${name} was not Established within ${timeoutMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
