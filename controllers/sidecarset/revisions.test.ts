import type { ControllerRevision } from '../../apis/core-objects';
import type { SidecarSet } from '../../apis/sidecarset';
import {
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetNameLabel,
} from '../../apis/well-known';
import { historicalSidecarSet, registerLatestRevision, revisionData } from './revisions';
import { sidecarSet } from './testing/fixtures';

const NS = 'outrigger-system';
const v = (image: string, extra: Partial<SidecarSet['metadata']> = {}) => {
  const ss = sidecarSet('mesh', { containers: [{ name: 'proxy', image }], revisionHistoryLimit: 2 });
  return { ...ss, metadata: { ...ss.metadata, ...extra } };
};
/** The revisions after applying `actions` to `existing`. */
function apply(existing: ControllerRevision[], ss: SidecarSet, inUse = new Set<string>()) {
  const result = registerLatestRevision(ss, existing, NS, inUse);
  let next = [...existing];
  for (const a of result.actions) {
    if (a.type === 'createRevision') next.push(a.revision);
    if (a.type === 'updateRevisionNumber')
      next = next.map((r) => (r.metadata.name === a.name ? { ...r, revision: a.revision } : r));
    if (a.type === 'labelRevision')
      next = next.map((r) =>
        r.metadata.name === a.name ? { ...r, metadata: { ...r.metadata, labels: a.labels } } : r,
      );
    if (a.type === 'deleteRevision') next = next.filter((r) => r.metadata.name !== a.name);
  }
  return { ...result, revisions: next };
}

describe('SidecarSet revisions', () => {
  it('creates the first revision in the operator namespace, labelled, owned, with the hashes', () => {
    const { latest, actions } = registerLatestRevision(v('p:1'), [], NS, new Set());
    expect(actions).toEqual([{ type: 'createRevision', revision: latest }]);
    expect(latest).toMatchObject({
      metadata: {
        namespace: NS,
        labels: { [SidecarSetNameLabel]: 'mesh', 'controller-revision-hash': expect.any(String) },
        annotations: {
          [SidecarSetHashAnnotation]: v('p:1').metadata?.annotations?.[SidecarSetHashAnnotation],
        },
        ownerReferences: [{ kind: 'SidecarSet', name: 'mesh', uid: 'uid-mesh', controller: true }],
      },
      revision: 1,
      data: revisionData(v('p:1')),
    });
    expect(latest.metadata.name).toMatch(/^mesh-[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('reuses an equal newest revision, renumbers an older one on rollback, and keeps the limit', () => {
    let state = apply([], v('p:1'));
    const first = state.latest.metadata.name;
    expect(apply(state.revisions, v('p:1')).actions).toEqual([]);
    state = apply(state.revisions, v('p:2'));
    expect(state.latest.revision).toBe(2);
    state = apply(state.revisions, v('p:1'));
    expect(state.latest.metadata.name).toBe(first);
    expect(state.actions).toEqual([
      { type: 'updateRevisionNumber', name: first, revision: 3, namespace: NS },
    ]);
    state = apply(state.revisions, v('p:3'));
    expect(state.revisions.map((r) => r.revision).sort()).toEqual([3, 4]);
  });

  it('spares revisions pods use and the pinned one when truncating', () => {
    let state = apply([], v('p:1'));
    const used = state.latest.metadata.name!;
    state = apply(state.revisions, v('p:2'));
    state = apply(state.revisions, v('p:3'), new Set([used]));
    expect(state.revisions.some((r) => r.metadata.name === used)).toBe(true);
    expect(state.revisions).toHaveLength(2);
  });

  it('probes collisionCount when the name is taken by other data', () => {
    const taken = apply([], v('p:1')).latest;
    const impostor = { ...taken, data: revisionData(v('other')) };
    const { latest, collisionCount } = registerLatestRevision(v('p:1'), [impostor], NS, new Set());
    expect(collisionCount).toBe(1);
    expect(latest.metadata.name).not.toBe(taken.metadata.name);
  });

  it('moves the custom version label onto a reused revision', () => {
    const state = apply([], v('p:1'));
    const labelled = v('p:1', { labels: { [SidecarSetCustomVersionLabel]: 'stable' } });
    expect(apply(state.revisions, labelled).actions).toEqual([
      {
        type: 'labelRevision',
        name: state.latest.metadata.name,
        labels: {
          [SidecarSetNameLabel]: 'mesh',
          [SidecarSetCustomVersionLabel]: 'stable',
          'controller-revision-hash': state.latest.metadata.labels?.['controller-revision-hash'],
        },
        namespace: NS,
      },
    ]);
  });

  it('restores a past SidecarSet: recorded spec only, its hashes and revision name', () => {
    const past = apply([], v('p:1')).latest;
    const restored = historicalSidecarSet(v('p:2'), past);
    expect(restored.spec).toEqual({ containers: [{ name: 'proxy', image: 'p:1' }] });
    expect(restored.metadata?.annotations?.[SidecarSetHashAnnotation]).toBe(
      v('p:1').metadata?.annotations?.[SidecarSetHashAnnotation],
    );
    expect(restored.status?.latestRevision).toBe(past.metadata.name);
  });
});
