// Defaulting and validation of our four kinds at admission, as OpenKruise's webhooks do.
import { applyDefaults } from '../apis/defaults';
import { resourceOf } from '../apis/install';
import type { SidecarSet } from '../apis/sidecarset';
import type { KubeClient } from '../runtime/client';
import { AdmissionRegistry, allowed, denied, mutateCopy } from './admission';
import { WEBHOOK_KINDS } from './configurations';
import { formatFieldErrors, type ValidationContext, validate } from './validation';

export interface CustomResourceWebhookOptions {
  /** The SidecarSets in the cluster, for the container-name clash check. */
  listSidecarSets(signal: AbortSignal): Promise<SidecarSet[]>;
}

export function registerCustomResourceWebhooks(
  registry: AdmissionRegistry,
  options: CustomResourceWebhookOptions,
): void {
  for (const { kind, mutatePath, validatePath } of WEBHOOK_KINDS) {
    // Defaulting never rejects: badly typed input is left for the apiserver's schema to name.
    registry.mutating(mutatePath, (req) =>
      req.object ? mutateCopy(req.object, (obj) => applyDefaults(kind, obj)) : allowed(),
    );
    registry.validating(validatePath, async (req, signal) => {
      if (!req.object || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return allowed();
      const context: ValidationContext =
        kind === 'SidecarSet' ? { sidecarSets: await options.listSidecarSets(signal) } : {};
      const oldObject = req.operation === 'UPDATE' ? (req.oldObject ?? undefined) : undefined;
      const errors = validate(kind, req.object, oldObject, context);
      if (errors.length === 0) return allowed();
      const name = req.namespace ? `${req.namespace}/${req.name}` : req.name;
      return denied(`${kind} ${name ?? ''} is invalid: ${formatFieldErrors(errors)}`, 422, 'Invalid');
    });
  }
}

/** A registry with our CR webhooks, listing SidecarSets through `client` when validating one. */
export function customResourceRegistry(client: KubeClient): AdmissionRegistry {
  const registry = new AdmissionRegistry();
  registerCustomResourceWebhooks(registry, {
    listSidecarSets: async (signal) =>
      (await client.resource(resourceOf('SidecarSet')).list({ signal })).items as unknown as SidecarSet[],
  });
  return registry;
}
