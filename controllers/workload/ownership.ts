// Who owns what: the controller reference a workload stamps on its pods, PVCs and revisions; the
// group-aware owner key (an Advanced StatefulSet must never claim the pods of an apps/v1 StatefulSet);
// Kruise claimPods (release owned pods the selector no longer matches; orphans are never adopted); and
// the informer handlers that settle a controller's expectations.
import type { LabelSelector, Pod } from '../../apis';
import { selectorMatches } from '../../apis/labels';
import { controllerOwnerKey } from '../../runtime/builder';
import type { Lister } from '../../runtime/cache';
import type { Expectations } from '../../runtime/expectations';
import type { EventHandler } from '../../runtime/informer';
import {
  apiVersionOf,
  controllerOf,
  type KubeObject,
  type OwnerReference,
  type ResourceType,
} from '../../runtime/meta';
import type { ResourceVersionExpectations } from '../../runtime/resource-version';
import { isActive } from './pods';

/** The owner fields the kit reads (zod-parsed and wire objects both fit). */
export interface OwnerMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  annotations?: Record<string, string>;
}

/** The controller reference of an owner of kind `type`. */
export function controllerRef(
  owner: { apiVersion?: string; metadata?: OwnerMeta },
  type: ResourceType,
): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? apiVersionOf(type),
    kind: type.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Objects whose controller ownerReference is the owner with this uid (the informer indexes ownerUID). */
export function ownedBy<T extends KubeObject>(lister: Lister<T>, uid: string): T[] {
  return lister.byIndex('ownerUID', uid).filter((obj) => controllerOf(obj)?.uid === uid);
}

export interface Claims {
  /** The pods the owner keeps: every inactive one, and active ones its selector matches. */
  claimed: Pod[];
  /** Active pods to release. */
  released: Pod[];
}

/** Kruise claimPods over the pods an owner controls. An owner being deleted releases nothing. */
export function claimPods(selector: LabelSelector | undefined, owned: Pod[], ownerDeleting = false): Claims {
  if (!selector || ownerDeleting) return { claimed: owned, released: [] };
  const claims: Claims = { claimed: [], released: [] };
  for (const pod of owned) {
    const keep = !isActive(pod) || selectorMatches(selector, pod.metadata.labels);
    (keep ? claims.claimed : claims.released).push(pod);
  }
  return claims;
}

/** Strategic merge patch removing the owner's reference; metadata.uid makes it apply to this pod only. */
export function releasePatch(podUid: string, ownerUid: string) {
  return { metadata: { uid: podUid, ownerReferences: [{ $patch: 'delete', uid: ownerUid }] } };
}

/**
 * Informer handlers for objects an owner of `ownerType` controls: they settle the owner's create/delete
 * expectations and the objects' resource-version expectations. Register them before the controller's
 * own handlers, so a reconcile sees the expectation met.
 */
export function observing(
  ownerType: ResourceType,
  expectations: Expectations,
  rvExpectations?: ResourceVersionExpectations,
): EventHandler<KubeObject> {
  const ownerKey = (obj: KubeObject) => controllerOwnerKey(obj, ownerType);
  const name = (obj: KubeObject) => obj.metadata?.name ?? '';
  return {
    onAdd: (obj) => {
      const key = ownerKey(obj);
      if (key) expectations.observe(key, 'create', name(obj));
      if (key && obj.metadata?.deletionTimestamp) expectations.observe(key, 'delete', name(obj));
      rvExpectations?.observe(obj);
    },
    onUpdate: (_old, obj) => {
      const key = ownerKey(obj);
      // A terminating object no longer counts as active: its delete is done as far as the plan goes.
      if (key && obj.metadata?.deletionTimestamp) expectations.observe(key, 'delete', name(obj));
      rvExpectations?.observe(obj);
    },
    onDelete: (obj) => {
      const key = ownerKey(obj);
      if (key) {
        expectations.observe(key, 'create', name(obj));
        expectations.observe(key, 'delete', name(obj));
      }
      rvExpectations?.delete(obj);
    },
  };
}
