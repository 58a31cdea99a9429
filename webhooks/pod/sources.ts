// PodInjectionSources on the manager's shared informers. Caches can lag behind a write that has just
// happened (a namespace created a moment before its first pod, a revision just recorded), so a miss
// falls back to a live read instead of injecting too little.

import type { ControllerRevision } from '../../apis/core-objects';
import { applyDefaults } from '../../apis/defaults';
import { resourceOf } from '../../apis/install';
import type { SidecarSet } from '../../apis/sidecarset';
import { SidecarSetNameLabel } from '../../apis/well-known';
import { lookupSpecifiedRevision, withHashes } from '../../controllers/sidecarset/revisions';
import type { KubeClient } from '../../runtime/client';
import { isNotFound } from '../../runtime/errors';
import type { InformerFactory } from '../../runtime/informerfactory';
import { ControllerRevisions, type KubeObject, Namespaces } from '../../runtime/meta';
import type { PodInjectionSources } from './handler';

export function informerPodInjectionSources(
  client: KubeClient,
  informers: InformerFactory,
  operatorNamespace: string,
): PodInjectionSources {
  const sidecarSets = informers.informerFor<SidecarSet & KubeObject>(resourceOf('SidecarSet'));
  const namespaces = informers.informerFor(Namespaces);
  const revisions = informers.informerFor<ControllerRevision>(ControllerRevisions, {
    namespace: operatorNamespace,
    labelSelector: SidecarSetNameLabel,
  });
  // Defaulting and hashing once per resourceVersion, not once per pod.
  const prepared = new Map<string, { resourceVersion?: string; sidecarSet: SidecarSet }>();
  const prepare = (ss: SidecarSet & KubeObject): SidecarSet => {
    const key = ss.metadata?.name ?? '';
    const hit = prepared.get(key);
    if (hit && hit.resourceVersion === ss.metadata?.resourceVersion) return hit.sidecarSet;
    const sidecarSet = withHashes(applyDefaults('SidecarSet', structuredClone(ss)) as SidecarSet);
    prepared.set(key, { resourceVersion: ss.metadata?.resourceVersion, sidecarSet });
    return sidecarSet;
  };
  sidecarSets.addEventHandler({ onDelete: (ss) => prepared.delete(ss.metadata?.name ?? '') });

  return {
    async waitForSync(signal) {
      const synced = await Promise.all(
        [sidecarSets, namespaces, revisions].map((i) => i.waitForSync(signal)),
      );
      return synced.every(Boolean);
    },
    sidecarSets: () => sidecarSets.lister.list().map(prepare),
    async namespaceLabels(namespace, signal) {
      const cached = namespaces.lister.get(namespace);
      if (cached) return cached.metadata?.labels ?? {};
      try {
        return (
          (await client.resource(Namespaces).get({ name: namespace }, { signal })).metadata?.labels ?? {}
        );
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async revisions(matching, signal) {
      const cached = revisions.lister.list();
      const result = [...cached];
      for (const ss of matching) {
        if (!lookupSpecifiedRevision(ss, cached).missing) continue;
        const live = await client.resource<ControllerRevision>(ControllerRevisions).list({
          namespace: operatorNamespace,
          labelSelector: `${SidecarSetNameLabel}=${ss.metadata?.name ?? ''}`,
          signal,
        });
        result.push(...live.items);
      }
      return result;
    },
  };
}
