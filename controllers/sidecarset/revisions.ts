// SidecarSet ControllerRevisions (OpenKruise sidecarcontrol/history_control.go): what a revision stores,
// how a past SidecarSet is restored from one, and which revision a new pod gets under
// injectionStrategy.revision. Revisions live in the operator's namespace, labelled with the SidecarSet name.

import type { ControllerRevision, Pod } from '../../apis/core-objects';
import { selectorMatches } from '../../apis/labels';
import type { SidecarSet, SidecarSetSpec } from '../../apis/sidecarset';
import {
  ControllerRevisionHashLabel,
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetNameLabel,
} from '../../apis/well-known';
import { canonicalJson } from '../../runtime/json';
import { hashRevision } from '../workload/history';
import { hashesOf, sidecarSetHash, sidecarSetHashWithoutImage } from './hash';

/** The spec fields a revision records; restoring replaces the whole spec with them ($patch: replace). */
const RECORDED_FIELDS = [
  'volumes',
  'containers',
  'initContainers',
  'imagePullSecrets',
  'patchPodMetadata',
] as const;

/** `{"spec":{"$patch":"replace",...}}`, absent fields as null, as OpenKruise's getPatch writes it. */
export function revisionData(sidecarSet: SidecarSet): ControllerRevision['data'] {
  const spec: Record<string, unknown> = { $patch: 'replace' };
  for (const field of RECORDED_FIELDS) spec[field] = sidecarSet.spec?.[field] ?? null;
  return { spec } as ControllerRevision['data'];
}

/** The revisions of `sidecarSet`, oldest first. */
export function revisionsOf(sidecarSet: SidecarSet, revisions: readonly ControllerRevision[]) {
  const name = sidecarSet.metadata?.name;
  return revisions
    .filter((r) => r.metadata.labels?.[SidecarSetNameLabel] === name)
    .sort((a, b) => a.revision - b.revision || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

export class RevisionNotFoundError extends Error {}

/**
 * injectionStrategy.revision's ControllerRevision: by name, or the newest with the custom version.
 * `missing` says why when one is specified but does not exist.
 */
export function lookupSpecifiedRevision(
  sidecarSet: SidecarSet,
  revisions: readonly ControllerRevision[],
): { revision?: ControllerRevision; missing?: string } {
  const wanted = sidecarSet.spec?.injectionStrategy?.revision;
  if (!wanted || (wanted.revisionName === undefined && wanted.customVersion === undefined)) return {};
  const own = revisionsOf(sidecarSet, revisions);
  const name = sidecarSet.metadata?.name;
  if (wanted.revisionName !== undefined) {
    const revision = own.find((r) => r.metadata.name === wanted.revisionName);
    if (revision) return { revision };
    return {
      missing: `ControllerRevision ${JSON.stringify(wanted.revisionName)} of SidecarSet ${name} not found`,
    };
  }
  const revision = own
    .filter((r) => r.metadata.labels?.[SidecarSetCustomVersionLabel] === wanted.customVersion)
    .at(-1);
  if (revision) return { revision };
  return {
    missing: `no ControllerRevision of SidecarSet ${name} has customVersion ${JSON.stringify(wanted.customVersion)}`,
  };
}

/** The SidecarSet as it was at `revision` (GetHistorySidecarSet): recorded spec, hashes, revision name. */
export function historicalSidecarSet(sidecarSet: SidecarSet, revision: ControllerRevision): SidecarSet {
  const recorded = (revision.data?.spec ?? {}) as Record<string, unknown>;
  const spec: Record<string, unknown> = {};
  for (const field of RECORDED_FIELDS) if (recorded[field] != null) spec[field] = recorded[field];
  const restored = spec as SidecarSetSpec;
  const annotations = revision.metadata.annotations ?? {};
  return {
    ...sidecarSet,
    metadata: {
      ...sidecarSet.metadata,
      annotations: {
        ...sidecarSet.metadata?.annotations,
        [SidecarSetHashAnnotation]: annotations[SidecarSetHashAnnotation] || sidecarSetHash(restored),
        [SidecarSetHashWithoutImageAnnotation]:
          annotations[SidecarSetHashWithoutImageAnnotation] || sidecarSetHashWithoutImage(restored),
      },
    },
    spec: restored,
    status: { ...emptyStatus, ...sidecarSet.status, latestRevision: revision.metadata.name },
  };
}

const emptyStatus = { matchedPods: 0, updatedPods: 0, readyPods: 0 };

/** A SidecarSet with its hash annotations filled in (they are normally stamped at admission). */
export function withHashes(sidecarSet: SidecarSet): SidecarSet {
  const { hash, withoutImage } = hashesOf(sidecarSet);
  const annotations = sidecarSet.metadata?.annotations ?? {};
  if (
    annotations[SidecarSetHashAnnotation] === hash &&
    annotations[SidecarSetHashWithoutImageAnnotation] === withoutImage
  )
    return sidecarSet;
  return {
    ...sidecarSet,
    metadata: {
      ...sidecarSet.metadata,
      annotations: {
        ...annotations,
        [SidecarSetHashAnnotation]: hash,
        [SidecarSetHashWithoutImageAnnotation]: withoutImage,
      },
    },
  };
}

/**
 * The version of `sidecarSet` a new pod gets (getSuitableRevisionSidecarSet on CREATE). Without
 * injectionStrategy.revision: the latest. With it: the specified revision, except that policy Always
 * gives pods matching updateStrategy.selector the latest while the update is not paused, and policy
 * Partial gives the specified revision to pods outside updateStrategy.selector and otherwise the latest
 * with probability 1 − partition (a percentage; anything else counts as 0%).
 * Throws RevisionNotFoundError when the specified revision does not exist.
 */
export function suitableSidecarSet(
  sidecarSet: SidecarSet,
  pod: Pick<Pod, 'metadata'>,
  revisions: readonly ControllerRevision[],
  random: () => number = Math.random,
): SidecarSet {
  const latest = withHashes(sidecarSet);
  const { revision, missing } = lookupSpecifiedRevision(sidecarSet, revisions);
  if (missing) throw new RevisionNotFoundError(missing);
  if (!revision) return latest;
  const history = historicalSidecarSet(latest, revision);
  const strategy = sidecarSet.spec?.updateStrategy ?? {};
  if (strategy.paused) return history;
  const inCanary = strategy.selector !== undefined && selectorMatches(strategy.selector, pod.metadata.labels);
  if (sidecarSet.spec?.injectionStrategy?.revision?.policy !== 'Partial') return inCanary ? latest : history;
  if (strategy.selector && !inCanary) return history;
  const partition = strategy.partition;
  if (typeof partition !== 'string') return latest;
  const probability = Number.parseFloat(partition.replace(/%$/, '')) / 100;
  return random() <= probability ? history : latest;
}

export const SidecarSetApiVersion = 'apps.kruise.io/v1alpha1';

/**
 * NewRevision: a ControllerRevision of `sidecarSet` in the operator's namespace, named
 * `<sidecarset>-<hash>`, labelled with the hash, the SidecarSet name (and its custom version), carrying the
 * SidecarSet's annotations (so both hashes), owned by the SidecarSet.
 */
export function newRevision(
  sidecarSet: SidecarSet,
  namespace: string,
  revision: number,
  collisionCount: number,
): ControllerRevision {
  const data = revisionData(sidecarSet);
  const name = sidecarSet.metadata?.name ?? '';
  const customVersion = sidecarSet.metadata?.labels?.[SidecarSetCustomVersionLabel];
  const hash = hashRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${name.slice(0, 223)}-${hash}`,
      namespace,
      labels: {
        ...sidecarSet.metadata?.labels,
        [ControllerRevisionHashLabel]: hash,
        [SidecarSetNameLabel]: name,
        ...(customVersion ? { [SidecarSetCustomVersionLabel]: customVersion } : {}),
      },
      annotations: { ...withHashes(sidecarSet).metadata?.annotations },
      ownerReferences: [
        {
          apiVersion: sidecarSet.apiVersion ?? SidecarSetApiVersion,
          kind: 'SidecarSet',
          name,
          uid: sidecarSet.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data,
    revision,
  };
}

export type RevisionAction =
  | { type: 'createRevision'; revision: ControllerRevision }
  /** The newest equal revision is older than the newest one (a rollback): renumber it. */
  | { type: 'updateRevisionNumber'; name: string; revision: number }
  /** The custom version label moved to the latest revision. */
  | { type: 'labelRevision'; name: string; labels: Record<string, string> }
  | { type: 'deleteRevision'; name: string };

export interface LatestRevision {
  latest: ControllerRevision;
  collisionCount: number;
  /** To apply in order: at most one create or renumber, a relabel, then deletions beyond the limit. */
  actions: RevisionAction[];
}

/**
 * registerLatestRevision: reuse the newest revision equal to the SidecarSet, renumber an older equal
 * one (rollback), or create one (probing collisionCount on a name clash); then keep at most
 * revisionHistoryLimit (default 10, at least 1) revisions, never deleting one a pod still uses.
 */
export function registerLatestRevision(
  sidecarSet: SidecarSet,
  existing: readonly ControllerRevision[],
  namespace: string,
  podRevisions: ReadonlySet<string>,
): LatestRevision {
  const sorted = revisionsOf(sidecarSet, existing);
  const newest = sorted.at(-1);
  const next = (newest?.revision ?? 0) + 1;
  let collisionCount = sidecarSet.status?.collisionCount ?? 0;
  let candidate = newRevision(sidecarSet, namespace, next, collisionCount);
  const equal = sorted.filter((r) => canonicalJson(r.data) === canonicalJson(candidate.data));
  const lastEqual = equal.at(-1);
  const actions: RevisionAction[] = [];
  let latest: ControllerRevision;
  let kept = sorted;
  if (lastEqual && lastEqual === newest) {
    latest = lastEqual;
  } else if (lastEqual) {
    latest = { ...lastEqual, revision: next };
    actions.push({ type: 'updateRevisionNumber', name: lastEqual.metadata.name ?? '', revision: next });
    kept = [...sorted.filter((r) => r !== lastEqual), latest];
  } else {
    while (sorted.some((r) => r.metadata.name === candidate.metadata.name)) {
      collisionCount++;
      candidate = newRevision(sidecarSet, namespace, next, collisionCount);
    }
    latest = candidate;
    actions.push({ type: 'createRevision', revision: candidate });
    kept = [...sorted, candidate];
  }
  const customVersion = sidecarSet.metadata?.labels?.[SidecarSetCustomVersionLabel];
  if (customVersion && latest.metadata.labels?.[SidecarSetCustomVersionLabel] !== customVersion) {
    const labels = { ...latest.metadata.labels, [SidecarSetCustomVersionLabel]: customVersion };
    latest = { ...latest, metadata: { ...latest.metadata, labels } };
    if (actions[0]?.type === 'createRevision') actions[0] = { type: 'createRevision', revision: latest };
    else actions.push({ type: 'labelRevision', name: latest.metadata.name ?? '', labels });
  }
  const limit = Math.max(1, sidecarSet.spec?.revisionHistoryLimit ?? 10);
  // The revision injectionStrategy.revision names is never truncated.
  const pinned = lookupSpecifiedRevision(sidecarSet, kept).revision?.metadata.name;
  let excess = kept.length - limit;
  for (const r of kept.slice(0, -1)) {
    if (excess <= 0) break;
    if (podRevisions.has(r.metadata.name ?? '') || r.metadata.name === pinned) continue;
    actions.push({ type: 'deleteRevision', name: r.metadata.name ?? '' });
    excess--;
  }
  return { latest, collisionCount, actions };
}
