import type { ControllerRevision, LifecycleState } from '../../apis';
import { isAtRevision, isPodAvailable, isPodUpdateReady, isSpecifiedDelete, shortHash } from './pods';
import { minutesAgo, NOW, pod } from './testing/pods';

const rev: ControllerRevision = { metadata: { name: 'web-abc12' }, data: {}, revision: 1 };

describe('pod facts', () => {
  it.each([
    ['', true],
    ['Normal', true],
    ['PreparingNormal', false],
    ['PreparingUpdate', false],
    ['Updating', false],
    ['Updated', false],
    ['PreparingDelete', false],
  ])('a ready pod in lifecycle state %j is available: %p (Kruise IsPodAvailable)', (state, want) => {
    const p = pod('web-a', rev, { state: state as LifecycleState });
    if (state === '') delete p.metadata.labels!['lifecycle.apps.kruise.io/state'];
    expect(isPodAvailable(p, 0, NOW)).toBe(want);
  });

  it('is update-ready only when Running, Ready for minReadySeconds and InPlaceUpdateReady is not False', () => {
    expect(isPodUpdateReady(pod('web-a', rev, { readyMinutesAgo: 1 }), 30, NOW)).toBe(true);
    expect(isPodUpdateReady(pod('web-a', rev, { readyMinutesAgo: 1 }), 90, NOW)).toBe(false);
    expect(isPodUpdateReady(pod('web-a', rev, { phase: 'Pending' }), 0, NOW)).toBe(false);
    const drained = pod('web-a', rev, { conditions: [{ type: 'InPlaceUpdateReady', status: 'False' }] });
    expect(isPodUpdateReady(drained, 0, NOW)).toBe(false);
    expect(minutesAgo(0)).toBe(NOW.toISOString());
  });

  it('matches a revision by full name or short hash (Kruise EqualToRevisionHash)', () => {
    const p = pod('web-a', rev);
    expect(isAtRevision(p, 'web-abc12')).toBe(true);
    expect(isAtRevision(p, 'other-abc12')).toBe(true);
    expect(isAtRevision(p, 'web-xyz')).toBe(false);
    expect(isAtRevision(p, 'web-abc13')).toBe(false);
    expect(isAtRevision(p, 'web-abc1')).toBe(false);
    expect(isAtRevision(p, 'abc12')).toBe(true);
    const shortLabel = pod('web-a', rev, { labels: { 'controller-revision-hash': 'abc12' } });
    expect(isAtRevision(shortLabel, 'web-abc12')).toBe(true);
    expect(shortHash('my-web-abc12')).toBe('abc12');
  });

  it('is specified for deletion by label or by name in podsToDelete', () => {
    expect(isSpecifiedDelete(pod('web-a', rev, { labels: { 'apps.kruise.io/specified-delete': 'x' } }))).toBe(
      true,
    );
    expect(isSpecifiedDelete(pod('web-a', rev), ['web-a'])).toBe(true);
    expect(isSpecifiedDelete(pod('web-a', rev), ['web-b'])).toBe(false);
  });
});
