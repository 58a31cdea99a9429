// Generated names: k8s rand's alphabet (consonants and digits, so a name never spells a word) and pod
// names derived from a key, for kinds whose pods each stand for one key (BroadcastJob: a node).
import { createHash } from 'node:crypto';

export const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

const KEYED_SUFFIX_LENGTH = 10;
const MAX_NAME_LENGTH = 253;

/**
 * `<owner>-<10 characters>`, the same for the same owner (uid) and key. While a pod for a key exists, the
 * apiserver refuses a second one with AlreadyExists: no duplicate survives a stale cache or an operator
 * restart. 27^10 suffixes make two keys of one owner sharing a name a 1-in-10^14 event.
 */
export function keyedPodName(owner: { name?: string; uid?: string }, key: string): string {
  const digest = createHash('sha256')
    .update(`${owner.uid ?? ''}/${key}`)
    .digest();
  let suffix = '';
  for (let i = 0; i < KEYED_SUFFIX_LENGTH; i++) suffix += SAFE_ALPHANUMS[digest[i]! % SAFE_ALPHANUMS.length];
  const prefix = (owner.name ?? '').slice(0, MAX_NAME_LENGTH - KEYED_SUFFIX_LENGTH - 1);
  return `${prefix}-${suffix}`;
}
