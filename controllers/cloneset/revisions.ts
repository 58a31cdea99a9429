// ControllerRevision history for CloneSet (Kruise cloneset/revision + k8s pkg/controller/history).
// A revision stores `{"spec":{"template":{...,"$patch":"replace"}}}`; its name is `<cloneset>-<hash>`
// where hash = SafeEncodeString(FNV-32(data + collisionCount)).
import { type CloneSet, ControllerRevisionHashLabel } from '../../apis';
import type { OwnerReference } from '../../runtime/meta';
import { type ControllerRevision, canonicalJson, type Pod } from '../inplace';
import { isAtRevision } from './pods';

export const CloneSetApiVersion = 'apps.kruise.io/v1alpha1';
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export type RevisionAction =
  | { type: 'createRevision'; revision: ControllerRevision }
  /** Rollback to an older equal revision: bump its `revision` number (update, not create). */
  | { type: 'updateRevisionNumber'; name: string; revision: number }
  | { type: 'deleteRevision'; name: string };

export interface ActiveRevisions {
  currentRevision: ControllerRevision;
  updateRevision: ControllerRevision;
  collisionCount: number;
  /** At most one create or renumber, to apply before anything that uses updateRevision. */
  actions: RevisionAction[];
}

/** k8s hash.FNV-32 (not 32a) over UTF-8 bytes. */
function fnv32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash >>> 0;
}

/** k8s rand.SafeEncodeString: maps each character to a consonant/digit so a hash never spells words. */
export function safeEncode(text: string): string {
  return [...text].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}

/** history.HashControllerRevision over the canonical JSON of `data`, probed with collisionCount. */
export function hashRevision(data: unknown, collisionCount: number): string {
  return safeEncode(String(fnv32(canonicalJson(data) + String(collisionCount))));
}

export function revisionData(cs: CloneSet): ControllerRevision['data'] {
  return { spec: { template: { ...cs.spec!.template, $patch: 'replace' } as never } };
}

export function controllerRef(cs: CloneSet): OwnerReference {
  return {
    apiVersion: cs.apiVersion ?? CloneSetApiVersion,
    kind: 'CloneSet',
    name: cs.metadata?.name ?? '',
    uid: cs.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Kruise NewRevision: template labels + hash label, the CloneSet's annotations, a controller ownerRef. */
export function newRevision(cs: CloneSet, revision: number, collisionCount: number): ControllerRevision {
  const data = revisionData(cs);
  const hash = hashRevision(data, collisionCount);
  const prefix = (cs.metadata?.name ?? '').slice(0, 223);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${prefix}-${hash}`,
      namespace: cs.metadata?.namespace,
      labels: { ...cs.spec?.template.metadata?.labels, [ControllerRevisionHashLabel]: hash },
      annotations: { ...cs.metadata?.annotations },
      ownerReferences: [controllerRef(cs)],
    },
    data,
    revision,
  };
}

export function sortRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort(
    (a, b) => a.revision - b.revision || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

function sameData(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** Kruise getActiveRevisions: reuse the newest equal revision, renumber an older one (rollback), or create. */
export function activeRevisions(cs: CloneSet, revisions: ControllerRevision[]): ActiveRevisions {
  const sorted = sortRevisions(revisions);
  const newest = sorted.at(-1);
  const next = (newest?.revision ?? 0) + 1;
  let collisionCount = cs.status?.collisionCount ?? 0;
  let candidate = newRevision(cs, next, collisionCount);
  const equal = sorted.filter((r) => sameData(r, candidate));
  const actions: RevisionAction[] = [];
  let updateRevision: ControllerRevision;
  const lastEqual = equal.at(-1);
  if (lastEqual && lastEqual === newest) {
    updateRevision = lastEqual;
  } else if (lastEqual) {
    updateRevision = { ...lastEqual, revision: next };
    actions.push({ type: 'updateRevisionNumber', name: lastEqual.metadata.name!, revision: next });
  } else {
    // A name taken by different data is a hash collision: probe again with collisionCount + 1.
    while (sorted.some((r) => r.metadata.name === candidate.metadata.name)) {
      collisionCount++;
      candidate = newRevision(cs, next, collisionCount);
    }
    updateRevision = candidate;
    actions.push({ type: 'createRevision', revision: candidate });
  }
  const current = sorted.find((r) => r.metadata.name === cs.status?.currentRevision) ?? updateRevision;
  return { currentRevision: current, updateRevision, collisionCount, actions };
}

/** Kruise truncateHistory: delete the oldest revisions no pod uses beyond revisionHistoryLimit. */
export function truncateHistory(
  cs: CloneSet,
  pods: Pod[],
  revisions: ControllerRevision[],
  live: string[],
): RevisionAction[] {
  const limit = cs.spec?.revisionHistoryLimit ?? 10;
  const history = sortRevisions(revisions).filter((r) => {
    const name = r.metadata.name ?? '';
    return !live.includes(name) && !pods.some((p) => isAtRevision(p, name));
  });
  if (history.length <= limit) return [];
  return history
    .slice(0, history.length - limit)
    .map((r) => ({ type: 'deleteRevision', name: r.metadata.name ?? '' }) as const);
}
