// Which SidecarSets select a pod (OpenKruise sidecarcontrol.PodMatchedSidecarSet), shared by the pod
// webhook, the SidecarSet controller and the upgrade controller.

import type { Pod } from '../../apis/core-objects';
import { isEmptySelector, selectorMatches } from '../../apis/labels';
import type { SidecarSet } from '../../apis/sidecarset';

/** The label the apiserver sets on every namespace (Kubernetes ≥ 1.21). */
export const NamespaceNameLabel = 'kubernetes.io/metadata.name';

/** A namespace labelled with this, value "disabled", gets no sidecars injected. */
export const InjectionOptOutLabel = 'outrigger.io/sidecar-injection';

/**
 * Whether the pod webhook sees pods of this namespace (its configuration's namespaceSelector): not
 * kube-system, not the operator's own, not labelled control-plane=openkruise (OpenKruise's opt-out) or
 * outrigger.io/sidecar-injection=disabled.
 */
export function isInjectableNamespace(
  name: string,
  labels: Record<string, string> | undefined,
  operatorNamespace: string,
): boolean {
  return (
    name !== 'kube-system' &&
    name !== operatorNamespace &&
    labels?.['control-plane'] !== 'openkruise' &&
    labels?.[InjectionOptOutLabel] !== 'disabled'
  );
}

/** kubecontroller.IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isActivePod(pod: Pick<Pod, 'metadata' | 'status'>): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** The namespace a pod is created in: its own, else the request's, else "default". */
export const podNamespace = (pod: Pick<Pod, 'metadata'>, requestNamespace?: string): string =>
  pod.metadata.namespace || requestNamespace || 'default';

/**
 * Whether `sidecarSet` selects a pod with these labels in namespace `namespace`. `namespaceLabels` is
 * undefined when the namespace is unknown: then a namespaceSelector cannot match (as OpenKruise).
 * The v1alpha1 `namespace` field wins over namespaceSelector, as OpenKruise's conversion does.
 */
export function sidecarSetSelects(
  sidecarSet: SidecarSet,
  pod: Pick<Pod, 'metadata'>,
  namespace: string,
  namespaceLabels: Record<string, string> | undefined,
): boolean {
  const spec = sidecarSet.spec;
  if (!spec?.selector || isEmptySelector(spec.selector)) return false;
  if (spec.namespace) {
    if (spec.namespace !== namespace) return false;
  } else if (spec.namespaceSelector) {
    if (!namespaceLabels) return false;
    const labels = { ...namespaceLabels, [NamespaceNameLabel]: namespace };
    if (!selectorMatches(spec.namespaceSelector, labels)) return false;
  }
  return selectorMatches(spec.selector, pod.metadata.labels);
}

/** The SidecarSets that inject into this pod at creation: selecting it and not paused, by name. */
export function matchingSidecarSets(
  sidecarSets: readonly SidecarSet[],
  pod: Pick<Pod, 'metadata'>,
  namespace: string,
  namespaceLabels: Record<string, string> | undefined,
): SidecarSet[] {
  return sidecarSets
    .filter(
      (s) =>
        s.spec?.injectionStrategy?.paused !== true && sidecarSetSelects(s, pod, namespace, namespaceLabels),
    )
    .sort(byName);
}

/** Byte order of names, as Go sorts strings. */
export function byName(a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }): number {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether some SidecarSet's selection depends on namespace labels (so the caller must look them up). */
export const needsNamespaceLabels = (sidecarSets: readonly SidecarSet[]): boolean =>
  sidecarSets.some((s) => !s.spec?.namespace && s.spec?.namespaceSelector);
