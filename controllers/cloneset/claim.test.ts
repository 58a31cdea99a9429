import { claimPods, releasePatch } from './claim';
import { cloneSet, minutesAgo, pod, revisionOf } from './fixtures';

const cs = cloneSet();
const rev = revisionOf(cs);
const names = (pods: { metadata: { name?: string } }[]) => pods.map((p) => p.metadata.name);

describe('claimPods', () => {
  it('releases active pods whose labels no longer match the selector, keeps the rest', () => {
    const relabelled = pod('web-b', rev, { labels: { app: 'debug' } });
    const finished = pod('web-c', rev, { labels: { app: 'debug' }, phase: 'Succeeded' });
    const claims = claimPods(cs, [pod('web-a', rev), relabelled, finished]);
    expect(names(claims.claimed)).toEqual(['web-a', 'web-c']);
    expect(names(claims.released)).toEqual(['web-b']);
  });

  it('releases nothing while the CloneSet is being deleted', () => {
    const deleting = { ...cs, metadata: { ...cs.metadata, deletionTimestamp: minutesAgo(1) } };
    const claims = claimPods(deleting, [pod('web-b', rev, { labels: { app: 'debug' } })]);
    expect(claims.released).toEqual([]);
    expect(names(claims.claimed)).toEqual(['web-b']);
  });

  it('patches only the owner reference away, guarded by the pod uid', () => {
    expect(releasePatch(pod('web-b', rev), 'cs-uid')).toEqual({
      metadata: { uid: 'uid-web-b', ownerReferences: [{ $patch: 'delete', uid: 'cs-uid' }] },
    });
  });
});
