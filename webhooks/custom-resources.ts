// Defaulting and validation of our four kinds at admission, as OpenKruise's webhooks do.

import type { ControllerRevision } from '../apis/core-objects';
import { applyDefaults } from '../apis/defaults';
import { resourceOf } from '../apis/install';
import type { SidecarSet } from '../apis/sidecarset';
import { SidecarSetNameLabel } from '../apis/well-known';
import { stampSidecarSetHashes } from '../controllers/sidecarset/hash';
import type { KubeClient } from '../runtime/client';
import { isNotFound } from '../runtime/errors';
import { ConfigMaps, ControllerRevisions, type KubeObject } from '../runtime/meta';
import { AdmissionRegistry, allowed, denied, mutateCopy } from './admission';
import { OPERATOR_NAMESPACE, WEBHOOK_KINDS } from './configurations';
import { formatFieldErrors, type ValidationContext, validate } from './validation';
import { CONFIGURATION_CONFIGMAP, type SidecarSetReferences } from './validation/sidecarset-references';

export interface CustomResourceWebhookOptions {
  /** The SidecarSets in the cluster, for the container-name clash check. */
  listSidecarSets(signal: AbortSignal): Promise<SidecarSet[]>;
  /** The revisions and configuration a SidecarSet refers to; without it those checks are skipped. */
  sidecarSetReferences?(sidecarSet: SidecarSet, signal: AbortSignal): Promise<SidecarSetReferences>;
}

export function registerCustomResourceWebhooks(
  registry: AdmissionRegistry,
  options: CustomResourceWebhookOptions,
): void {
  for (const { kind, mutatePath, validatePath } of WEBHOOK_KINDS) {
    // Defaulting never rejects: badly typed input is left for the apiserver's schema to name.
    registry.mutating(mutatePath, (req) =>
      req.object
        ? mutateCopy(req.object, (obj) => {
            applyDefaults(kind, obj);
            // OpenKruise's SidecarSet webhook stamps the hashes pods are injected and upgraded with.
            if (kind === 'SidecarSet') stampSidecarSetHashes(obj as SidecarSet);
          })
        : allowed(),
    );
    registry.validating(validatePath, async (req, signal) => {
      if (!req.object || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return allowed();
      const context: ValidationContext =
        kind === 'SidecarSet'
          ? {
              sidecarSets: await options.listSidecarSets(signal),
              ...(await options.sidecarSetReferences?.(req.object as SidecarSet, signal)),
            }
          : {};
      const oldObject = req.operation === 'UPDATE' ? (req.oldObject ?? undefined) : undefined;
      const errors = validate(kind, req.object, oldObject, context);
      if (errors.length === 0) return allowed();
      const name = req.namespace ? `${req.namespace}/${req.name}` : req.name;
      return denied(`${kind} ${name ?? ''} is invalid: ${formatFieldErrors(errors)}`, 422, 'Invalid');
    });
  }
}

/**
 * A registry with our CR webhooks, reading through `client`: the SidecarSets when validating one, and
 * the SidecarSet's revisions and the configuration ConfigMap in the operator's namespace.
 */
export function customResourceRegistry(
  client: KubeClient,
  operatorNamespace = OPERATOR_NAMESPACE,
): AdmissionRegistry {
  const registry = new AdmissionRegistry();
  registerCustomResourceWebhooks(registry, {
    listSidecarSets: async (signal) =>
      (await client.resource(resourceOf('SidecarSet')).list({ signal })).items as unknown as SidecarSet[],
    sidecarSetReferences: async (sidecarSet, signal) => ({
      revisions: sidecarSet.spec?.injectionStrategy?.revision
        ? ((
            await client.resource(ControllerRevisions).list({
              namespace: operatorNamespace,
              labelSelector: `${SidecarSetNameLabel}=${sidecarSet.metadata?.name ?? ''}`,
              signal,
            })
          ).items as unknown as ControllerRevision[])
        : [],
      configuration: sidecarSet.spec?.patchPodMetadata?.length
        ? await configMapData(client, operatorNamespace, CONFIGURATION_CONFIGMAP, signal)
        : null,
    }),
  });
  return registry;
}

async function configMapData(
  client: KubeClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<Record<string, string> | null> {
  try {
    const cm = await client
      .resource<KubeObject & { data?: Record<string, string> }>(ConfigMaps)
      .get({ namespace, name }, { signal });
    return cm.data ?? {};
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
