// ControllerRevision history for any workload (k8s pkg/controller/history, Kruise's revision control).
// A revision's name is `<owner>-<hash>` where hash = SafeEncodeString(FNV-32(canonical data +
// collisionCount)); what a revision stores is the kind's business (CloneSet and Advanced StatefulSet
// store `{"spec":{"template":{...,"$patch":"replace"}}}`).
import type { ControllerRevision, Pod, PodTemplateSpec } from '../../apis';
import { ControllerRevisionHashLabel } from '../../apis/well-known';
import { canonicalJson } from '../../runtime/json';
import type { OwnerReference } from '../../runtime/meta';
import type { RevisionAction } from './actions';
import { SAFE_ALPHANUMS } from './naming';
import type { OwnerMeta } from './ownership';
import { isAtRevision } from './pods';

/** Everything a revision of one owner is made from; the kind builds it from its own object. */
export interface RevisionSource {
  /** The owner's metadata: name and namespace name the revision, annotations are copied onto it. */
  owner: OwnerMeta | undefined;
  /** The controller reference every revision carries. */
  ref: OwnerReference;
  /** What the revision stores. */
  data: ControllerRevision['data'];
  /** The revision's labels besides the hash (the pod template's labels). */
  labels?: Record<string, string>;
  /** status.collisionCount */
  collisionCount?: number;
  /** status.currentRevision */
  currentRevision?: string;
}

/** A workload whose revisions store its pod template (CloneSet, Advanced StatefulSet). */
interface TemplateOwner {
  metadata?: OwnerMeta;
  spec?: { template: PodTemplateSpec };
  status?: { collisionCount?: number; currentRevision?: string };
}

/** Kruise newRevision of CloneSet and ASTS: `{"spec":{"template":{...,"$patch":"replace"}}}`, template labels. */
export function templateRevisionSource(owner: TemplateOwner, ref: OwnerReference): RevisionSource {
  return {
    owner: owner.metadata,
    ref,
    data: { spec: { template: { ...owner.spec!.template, $patch: 'replace' } as never } },
    labels: owner.spec?.template.metadata?.labels,
    collisionCount: owner.status?.collisionCount,
    currentRevision: owner.status?.currentRevision,
  };
}

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

/** Kruise/k8s NewRevision: the source's labels + hash label, the owner's annotations, a controller ref. */
export function newRevision(
  source: RevisionSource,
  revision: number,
  collisionCount: number,
): ControllerRevision {
  const hash = hashRevision(source.data, collisionCount);
  const prefix = (source.owner?.name ?? '').slice(0, 223);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${prefix}-${hash}`,
      namespace: source.owner?.namespace,
      labels: { ...source.labels, [ControllerRevisionHashLabel]: hash },
      annotations: { ...source.owner?.annotations },
      ownerReferences: [source.ref],
    },
    data: source.data,
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
export function activeRevisions(source: RevisionSource, revisions: ControllerRevision[]): ActiveRevisions {
  const sorted = sortRevisions(revisions);
  const newest = sorted.at(-1);
  const next = (newest?.revision ?? 0) + 1;
  let collisionCount = source.collisionCount ?? 0;
  let candidate = newRevision(source, next, collisionCount);
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
      candidate = newRevision(source, next, collisionCount);
    }
    updateRevision = candidate;
    actions.push({ type: 'createRevision', revision: candidate });
  }
  const current = sorted.find((r) => r.metadata.name === source.currentRevision) ?? updateRevision;
  return { currentRevision: current, updateRevision, collisionCount, actions };
}

/** Kruise truncateHistory: delete the oldest revisions no pod uses beyond `limit` (default 10). */
export function truncateHistory(
  revisions: ControllerRevision[],
  pods: Pod[],
  live: string[],
  limit = 10,
): RevisionAction[] {
  const history = sortRevisions(revisions).filter((r) => {
    const name = r.metadata.name ?? '';
    return !live.includes(name) && !pods.some((p) => isAtRevision(p, name));
  });
  if (history.length <= limit) return [];
  return history
    .slice(0, history.length - limit)
    .map((r) => ({ type: 'deleteRevision', name: r.metadata.name ?? '' }) as const);
}
