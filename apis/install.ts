// Installing our CRDs into a cluster, and the API coordinates of our kinds for the runtime client.
import type { KubeClient, ResourceClient } from '../runtime/client';
import { isNotFound } from '../runtime/errors';
import type { KubeObject, ResourceType } from '../runtime/meta';
import { buildCrd, type ConversionClientConfig, crdName } from './gen-crds';
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
  spec?: { conversion?: { webhook?: { clientConfig?: ConversionClientConfig } } };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface InstallCrdsOptions {
  /**
   * The conversion webhook's clientConfig (e.g. https://127.0.0.1:<port>/convert of the manager about to
   * serve it). Unset keeps the clientConfig the cluster's CRD already has (the webhook server sets it when
   * it starts): applying without it would drop the fields an earlier apply of ours owned and leave a
   * Webhook strategy with no endpoint, which the apiserver refuses.
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
      const conversion = options.conversion ?? (await currentConversion(crds, crdName(KINDS[kind])));
      const applied = await crds.apply(buildCrd(KINDS[kind], conversion) as Crd, {
        fieldManager: 'outrigger',
        force: true,
      });
      return applied.metadata?.name ?? '';
    }),
  );
  await waitEstablished(client, names, timeoutMs);
}

/** Waits until the apiserver reports each CRD in `names` Established, all within `timeoutMs`. */
export async function waitEstablished(client: KubeClient, names: string[], timeoutMs: number): Promise<void> {
  const crds = client.resource<Crd>(CustomResourceDefinitions);
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

/** The conversion webhook clientConfig of the installed CRD `name`, or null when there is none. */
async function currentConversion(
  crds: ResourceClient<Crd>,
  name: string,
): Promise<ConversionClientConfig | null> {
  try {
    const crd = await crds.get({ name });
    return crd.spec?.conversion?.webhook?.clientConfig ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
