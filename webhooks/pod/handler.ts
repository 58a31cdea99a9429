// The pod mutating webhook (OpenKruise's /mutate-pod): on pod creation, injects the sidecars of every
// SidecarSet that selects the pod. The injection itself is controllers/sidecarset/inject.ts; this file
// only reads the caches and turns the result into an admission verdict.

import type { ControllerRevision, Pod } from '../../apis/core-objects';
import type { SidecarSet } from '../../apis/sidecarset';
import { injectSidecars } from '../../controllers/sidecarset/inject';
import { matchingSidecarSets, needsNamespaceLabels, podNamespace } from '../../controllers/sidecarset/match';
import { isPlainObject } from '../../runtime/json';
import type { Logger } from '../../runtime/log';
import { type AdmissionHandler, type AdmissionResult, allowed, denied, patchFrom } from '../admission';

/** What the handler reads: caches kept by informers, with live reads where a cache may lag. */
export interface PodInjectionSources {
  /** Resolves true once the caches are filled, false if `signal` aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean>;
  /** Every SidecarSet, defaulted and with its hashes. */
  sidecarSets(): readonly SidecarSet[];
  /** The namespace's labels; undefined when it does not exist. */
  namespaceLabels(namespace: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /** The ControllerRevisions `sidecarSets` refer to through injectionStrategy.revision. */
  revisions(sidecarSets: readonly SidecarSet[], signal: AbortSignal): Promise<ControllerRevision[]>;
}

export interface PodWebhookOptions {
  /** Pods here are never injected: the operator must always be able to start. */
  operatorNamespace: string;
  /** OpenKruise's gate EnableSortSidecarContainerByName (default off). */
  sortSidecarContainersByName?: boolean;
  /** How long a request may wait for the caches at startup before it is denied (ms). */
  syncTimeoutMs?: number;
  logger?: Logger;
  random?: () => number;
  now?: () => Date;
}

/** Namespaces whose pods are never injected, whatever the webhook configuration says. */
const ALWAYS_SKIPPED = ['kube-system'];

export function podInjectionHandler(
  sources: PodInjectionSources,
  options: PodWebhookOptions,
): AdmissionHandler {
  const skipped = new Set([...ALWAYS_SKIPPED, options.operatorNamespace]);
  return async (req, signal): Promise<AdmissionResult> => {
    if (req.resource.resource !== 'pods' || req.subResource) return allowed();
    // Kubernetes forbids adding containers to a running pod, and OpenKruise's community injection
    // never re-injects on update, so only creation matters (the chart registers CREATE only).
    if (req.operation !== 'CREATE') return allowed();
    if (!isPlainObject(req.object) || !isPlainObject(req.object.spec)) {
      return denied('pod creation request carries no pod', 400, 'BadRequest');
    }
    const pod = { ...req.object, metadata: req.object.metadata ?? {} } as unknown as Pod;
    const namespace = podNamespace(pod, req.namespace);
    if (skipped.has(namespace)) return allowed();
    const podName = `${namespace}/${pod.metadata.name || `${pod.metadata.generateName ?? ''}*`}`;
    if (!(await waitForSync(sources, signal, options.syncTimeoutMs ?? 5_000))) {
      // Admitting now could start the pod without sidecars it must have.
      return denied(`pod ${podName}: SidecarSet caches are not synced yet, retry`, 503, 'ServiceUnavailable');
    }
    const all = sources.sidecarSets();
    const labels = needsNamespaceLabels(all) ? await sources.namespaceLabels(namespace, signal) : undefined;
    const matching = matchingSidecarSets(all, pod, namespace, labels);
    if (matching.length === 0) return allowed();
    const revisions = matching.some((s) => s.spec?.injectionStrategy?.revision)
      ? await sources.revisions(matching, signal)
      : [];
    const result = injectSidecars(pod, matching, {
      revisions,
      now: options.now?.(),
      random: options.random,
      sortSidecarContainersByName: options.sortSidecarContainersByName,
    });
    switch (result.type) {
      case 'unchanged':
        return allowed();
      case 'denied':
        options.logger?.info({ pod: podName, sidecarSets: result.sidecarSets }, result.message);
        return denied(`pod ${podName} cannot be injected: ${result.message}`, 403, 'Forbidden');
      case 'injected':
        options.logger?.debug({ pod: podName, sidecarSets: result.sidecarSets }, 'injected sidecars');
        return patchFrom(req.object, result.pod);
    }
  };
}

async function waitForSync(sources: PodInjectionSources, signal: AbortSignal, timeoutMs: number) {
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  return sources.waitForSync(timeout);
}
