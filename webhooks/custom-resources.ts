// Defaulting and validation of our four kinds at admission, as OpenKruise's webhooks do, in every served
// version: the object is converted to the internal version, defaulted or validated there, and the result
// is given back in the version the user wrote (field paths included).
import { ConversionError, convertObject, internalVersion, toInternal } from '../apis/convert';
import type { Json } from '../apis/convert-util';
import type { ControllerRevision } from '../apis/core-objects';
import { applyDefaults } from '../apis/defaults';
import { resourceOf } from '../apis/install';
import { KINDS, type KindName } from '../apis/kinds';
import { QuantityFormatError } from '../apis/quantity-format';
import type { SidecarSet } from '../apis/sidecarset';
import { SidecarSetNameLabel } from '../apis/well-known';
import { stampSidecarSetHashes } from '../controllers/sidecarset/hash';
import type { KubeClient } from '../runtime/client';
import { isNotFound } from '../runtime/errors';
import { isPlainObject } from '../runtime/json';
import { ConfigMaps, ControllerRevisions, type KubeObject, Pods } from '../runtime/meta';
import {
  AdmissionRegistry,
  type AdmissionResult,
  allowed,
  denied,
  errorMessage,
  mutateCopy,
  patchFrom,
} from './admission';
import { OPERATOR_NAMESPACE, WEBHOOK_KINDS } from './configurations';
import { registerConversionWebhook } from './conversion';
import {
  type FieldError,
  formatFieldErrors,
  type PodFacts,
  type ValidationContext,
  validate,
} from './validation';
import { CONFIGURATION_CONFIGMAP, type SidecarSetReferences } from './validation/sidecarset-references';

export interface CustomResourceWebhookOptions {
  /** The SidecarSets in the cluster, for the container-name clash check. */
  listSidecarSets(signal: AbortSignal): Promise<SidecarSet[]>;
  /** The named pods of a namespace (absent = not found), for CloneSet scaleStrategy.podsToDelete. */
  getPods?(namespace: string, names: readonly string[], signal: AbortSignal): Promise<Map<string, PodFacts>>;
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
      isPlainObject(req.object) ? defaultInItsVersion(kind, req.object) : allowed(),
    );
    registry.validating(validatePath, async (req, signal) => {
      if (!req.object || (req.operation !== 'CREATE' && req.operation !== 'UPDATE')) return allowed();
      let object: Json;
      let oldObject: Json | undefined;
      try {
        object = inInternalVersion(kind, req.object);
        if (req.operation === 'UPDATE' && isPlainObject(req.oldObject)) {
          oldObject = inInternalVersion(kind, req.oldObject);
        }
      } catch (err) {
        return denied(`${kind} cannot be read: ${errorMessage(err)}`, 400, 'BadRequest');
      }
      const context: ValidationContext = {
        ...(kind === 'SidecarSet' && {
          sidecarSets: await options.listSidecarSets(signal),
          ...(await options.sidecarSetReferences?.(object as SidecarSet, signal)),
        }),
        ...(kind === 'CloneSet' && {
          podsToDelete: await podsToDeleteFacts(object, oldObject, req.namespace, options, signal),
          writtenAsV1beta1: req.object.apiVersion === 'apps.kruise.io/v1beta1',
        }),
      };
      const errors = validate(kind, object, oldObject, context);
      if (errors.length === 0) return allowed();
      const name = req.namespace ? `${req.namespace}/${req.name}` : req.name;
      const inVersion = errors.map(inRequestVersion(kind, req.object.apiVersion));
      return denied(`${kind} ${name ?? ''} is invalid: ${formatFieldErrors(inVersion)}`, 422, 'Invalid');
    });
  }
}

/** The object as validation reads it: the internal version (validate() copies what it changes). */
function inInternalVersion(kind: KindName, obj: Json): Json {
  return obj.apiVersion === KINDS[kind].apiVersion ? obj : toInternal(obj);
}

/** Defaults applied in the internal version, handed back in the request's version as a patch. */
function defaultInItsVersion(kind: KindName, object: Json): AdmissionResult {
  if (object.apiVersion === KINDS[kind].apiVersion) return mutateCopy(object, (obj) => defaults(kind, obj));
  try {
    // Through convertObject, so fields the request's version cannot express survive in its stash.
    const internal = defaults(kind, convertObject(object, KINDS[kind].apiVersion));
    return patchFrom(object, convertObject(internal, String(object.apiVersion)));
  } catch (err) {
    if (err instanceof ConversionError) return allowed(); // the apiserver names what is wrong
    throw err;
  }
}

/** What the mutating webhook does to an internal-version object (in place). */
function defaults(kind: KindName, obj: Json): Json {
  applyDefaults(kind, obj);
  // OpenKruise's SidecarSet webhook stamps the hashes pods are injected and upgraded with. A spec the
  // hash cannot read (a malformed quantity) stays unstamped: validation then rejects it by field path.
  if (kind === 'SidecarSet') {
    try {
      stampSidecarSetHashes(obj as SidecarSet);
    } catch (err) {
      if (!(err instanceof QuantityFormatError)) throw err;
    }
  }
  return obj;
}

/** Maps an internal-version field error to the field as the request's version spells it. */
function inRequestVersion(kind: KindName, apiVersion: unknown): (e: FieldError) => FieldError {
  const info = KINDS[kind];
  const version = info.versions.find((v) => v.apiVersion === apiVersion) ?? internalVersion(info);
  const fieldPath = version.fieldPath;
  return fieldPath ? (e) => ({ ...e, field: fieldPath(e.field) }) : (e) => e;
}

/** Facts on the pods newly named in podsToDelete (those already listed before were checked then). */
async function podsToDeleteFacts(
  object: Json,
  oldObject: Json | undefined,
  namespace: string | undefined,
  options: CustomResourceWebhookOptions,
  signal: AbortSignal,
): Promise<Map<string, PodFacts> | undefined> {
  const names = podsToDeleteOf(object);
  const before = new Set(podsToDeleteOf(oldObject));
  const added = [...new Set(names.filter((n) => !before.has(n)))];
  if (added.length === 0 || !options.getPods || !namespace) return undefined;
  return options.getPods(namespace, added, signal);
}

function podsToDeleteOf(obj: Json | undefined): string[] {
  const spec = isPlainObject(obj?.spec) ? obj.spec : {};
  const list = isPlainObject(spec.scaleStrategy) ? spec.scaleStrategy.podsToDelete : undefined;
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
}

/** Reads the named pods with at most 16 requests in flight. */
async function getPods(
  client: KubeClient,
  namespace: string,
  names: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, PodFacts>> {
  const pods = client.resource<KubeObject>(Pods);
  const facts = new Map<string, PodFacts>();
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      try {
        const pod = await pods.get({ namespace, name }, { signal });
        const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
        facts.set(name, {
          terminating: Boolean(pod.metadata?.deletionTimestamp),
          controllerUid: owner?.uid,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, names.length) }, worker));
  return facts;
}

/**
 * A registry with our CR webhooks and the CRD conversion webhook, reading through `client`: the
 * SidecarSets when validating one, with the SidecarSet's revisions and the configuration ConfigMap in the
 * operator's namespace, and the pods a CloneSet's podsToDelete names.
 */
export function customResourceRegistry(
  client: KubeClient,
  operatorNamespace = OPERATOR_NAMESPACE,
): AdmissionRegistry {
  const registry = new AdmissionRegistry();
  registerConversionWebhook(registry);
  registerCustomResourceWebhooks(registry, {
    listSidecarSets: async (signal) =>
      (await client.resource(resourceOf('SidecarSet')).list({ signal })).items as unknown as SidecarSet[],
    getPods: (namespace, names, signal) => getPods(client, namespace, names, signal),
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
