// SidecarSet ControllerRevisions (OpenKruise sidecarcontrol/history_control.go): what a revision stores,
// how a past SidecarSet is restored from one, and which revision a new pod gets under
// injectionStrategy.revision. Revisions live in the operator's namespace, labelled with the SidecarSet name.

import type { ControllerRevision, Pod } from '../../apis/core-objects';
import { selectorMatches } from '../../apis/labels';
import type { SidecarSet, SidecarSetSpec } from '../../apis/sidecarset';
import {
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetNameLabel,
} from '../../apis/well-known';
import type { RevisionAction } from '../workload/actions';
import { activeRevisions, type RevisionSource, truncateHistory } from '../workload/history';
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
 * What a SidecarSet revision is made of, for the kit's history helpers: it lives in the operator's
 * namespace, is named `<sidecarset>-<hash>`, carries the SidecarSet's labels plus its name (and custom
 * version) and its annotations (so both hashes), and is owned by the SidecarSet.
 */
export function revisionSource(sidecarSet: SidecarSet, namespace: string): RevisionSource {
  const name = sidecarSet.metadata?.name ?? '';
  const customVersion = sidecarSet.metadata?.labels?.[SidecarSetCustomVersionLabel];
  return {
    owner: { name, namespace, annotations: { ...withHashes(sidecarSet).metadata?.annotations } },
    ref: {
      apiVersion: sidecarSet.apiVersion ?? SidecarSetApiVersion,
      kind: 'SidecarSet',
      name,
      uid: sidecarSet.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
    data: revisionData(sidecarSet),
    labels: {
      ...sidecarSet.metadata?.labels,
      [SidecarSetNameLabel]: name,
      ...(customVersion ? { [SidecarSetCustomVersionLabel]: customVersion } : {}),
    },
    collisionCount: sidecarSet.status?.collisionCount,
  };
}

export interface LatestRevision {
  latest: ControllerRevision;
  collisionCount: number;
  /** To apply in order: at most one create or renumber, a relabel, then deletions beyond the limit. */
  actions: RevisionAction[];
}

/**
 * registerLatestRevision, on the kit's history: reuse the newest revision equal to the SidecarSet,
 * renumber an older equal one (rollback), or create one (probing collisionCount on a name clash); move
 * the custom version label onto it; then keep at most revisionHistoryLimit (default 10, at least 1)
 * revisions in all, never deleting the latest, one a pod still uses, or the one injectionStrategy pins.
 */
export function registerLatestRevision(
  sidecarSet: SidecarSet,
  existing: readonly ControllerRevision[],
  namespace: string,
  podRevisions: ReadonlySet<string>,
): LatestRevision {
  const own = revisionsOf(sidecarSet, existing);
  const active = activeRevisions(revisionSource(sidecarSet, namespace), own);
  let latest = active.updateRevision;
  const actions: RevisionAction[] = active.actions.map((a) =>
    a.type === 'createRevision' ? a : { ...a, namespace },
  );
  const customVersion = sidecarSet.metadata?.labels?.[SidecarSetCustomVersionLabel];
  if (customVersion && latest.metadata.labels?.[SidecarSetCustomVersionLabel] !== customVersion) {
    const labels = { ...latest.metadata.labels, [SidecarSetCustomVersionLabel]: customVersion };
    latest = { ...latest, metadata: { ...latest.metadata, labels } };
    actions.push({ type: 'labelRevision', name: latest.metadata.name ?? '', labels, namespace });
  }
  const kept = [...own.filter((r) => r.metadata.name !== latest.metadata.name), latest];
  const pinned = lookupSpecifiedRevision(sidecarSet, kept).revision?.metadata.name;
  const live = new Set([latest.metadata.name ?? '', ...podRevisions, ...(pinned ? [pinned] : [])]);
  // OpenKruise counts every revision against the limit (the kit counts only those not live): give the
  // kit what is left of the limit once the live revisions are counted.
  const limit = Math.max(1, sidecarSet.spec?.revisionHistoryLimit ?? 10);
  const liveCount = kept.filter((r) => live.has(r.metadata.name ?? '')).length;
  const deletions = truncateHistory(kept, [], [...live], Math.max(0, limit - liveCount));
  actions.push(...deletions.map((a) => ({ ...a, namespace })));
  return { latest, collisionCount: active.collisionCount, actions };
}
