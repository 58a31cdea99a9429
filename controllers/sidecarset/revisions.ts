// SidecarSet ControllerRevisions (OpenKruise sidecarcontrol/history_control.go): what a revision stores,
// how a past SidecarSet is restored from one, and which revision a new pod gets under
// injectionStrategy.revision. Revisions live in the operator's namespace, labelled with the SidecarSet name.
import { selectorMatches } from '../../apis/labels';
import type { SidecarSet, SidecarSetSpec } from '../../apis/sidecarset';
import {
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetNameLabel,
} from '../../apis/well-known';
import type { ControllerRevision, Pod } from '../inplace';
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

/** injectionStrategy.revision's ControllerRevision: by name, or the newest with the custom version. */
export function specifiedRevision(
  sidecarSet: SidecarSet,
  revisions: readonly ControllerRevision[],
): ControllerRevision | undefined {
  const wanted = sidecarSet.spec?.injectionStrategy?.revision;
  if (!wanted || (wanted.revisionName === undefined && wanted.customVersion === undefined)) return undefined;
  const own = revisionsOf(sidecarSet, revisions);
  const name = sidecarSet.metadata?.name;
  if (wanted.revisionName !== undefined) {
    const found = own.find((r) => r.metadata.name === wanted.revisionName);
    if (!found) {
      throw new RevisionNotFoundError(
        `ControllerRevision ${JSON.stringify(wanted.revisionName)} of SidecarSet ${name} not found`,
      );
    }
    return found;
  }
  const found = own.filter((r) => r.metadata.labels?.[SidecarSetCustomVersionLabel] === wanted.customVersion);
  if (found.length === 0) {
    throw new RevisionNotFoundError(
      `no ControllerRevision of SidecarSet ${name} has customVersion ${JSON.stringify(wanted.customVersion)}`,
    );
  }
  return found.at(-1);
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
  const revision = specifiedRevision(sidecarSet, revisions);
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
