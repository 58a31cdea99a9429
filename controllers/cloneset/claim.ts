// Kruise claimPods (refmanager.ClaimOwnedObjects over the pods it owns): an owned, active pod whose
// labels no longer match the selector is released, i.e. its controller reference is removed, and the
// CloneSet stops counting it. Like Kruise, orphans are not adopted: only pods we created are ours.
import type { CloneSet } from '../../apis';
import { selectorMatches } from '../../apis/labels';
import type { Pod } from '../inplace';
import { isActive } from './pods';

export interface Claims {
  /** The pods the CloneSet keeps: every inactive one, and active ones its selector matches. */
  claimed: Pod[];
  /** Active pods to release. */
  released: Pod[];
}

export function claimPods(cs: CloneSet, owned: Pod[]): Claims {
  const selector = cs.spec?.selector;
  // A CloneSet being deleted releases nothing: the garbage collector takes its pods.
  if (!selector || cs.metadata?.deletionTimestamp) return { claimed: owned, released: [] };
  const claims: Claims = { claimed: [], released: [] };
  for (const pod of owned) {
    const keep = !isActive(pod) || selectorMatches(selector, pod.metadata.labels);
    (keep ? claims.claimed : claims.released).push(pod);
  }
  return claims;
}

/** Strategic merge patch removing the CloneSet's reference; metadata.uid makes it apply to this pod only. */
export function releasePatch(pod: Pod, ownerUid: string) {
  return {
    metadata: { uid: pod.metadata.uid, ownerReferences: [{ $patch: 'delete', uid: ownerUid }] },
  };
}
