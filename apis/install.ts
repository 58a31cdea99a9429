// Installing our CRDs into a cluster, and the API coordinates of our kinds for the runtime client.
import type { KubeClient } from '../runtime/client';
import type { KubeObject, ResourceType } from '../runtime/meta';
import { buildCrd, type ConversionClientConfig } from './gen-crds';
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

export interface InstallCrdsOptions {
  /**
   * The conversion webhook's clientConfig (e.g. https://127.0.0.1:<port>/convert of the manager about to
   * serve it). Unset leaves spec.conversion to the webhook server, which sets it when it starts.
   */
  conversion?: ConversionClientConfig;
  timeoutMs?: number;
}

/**
 * Server-side applies our four CRDs (the objects `npm run gen:crds` writes to crds/, with a local
 * conversion endpoint) and waits until the apiserver reports each Established, so custom objects can be
 * created right after.
 */
export async function installCrds(client: KubeClient, options: InstallCrdsOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const crds = client.resource<Crd>(CustomResourceDefinitions);
  const names = await Promise.all(
    KIND_NAMES.map(async (kind) => {
      const applied = await crds.apply(buildCrd(KINDS[kind], options.conversion ?? null) as Crd, {
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
