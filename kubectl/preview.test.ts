// The preview runs the controllers' own plans; these check what it makes of them for the common
// strategies (the e2e test compares a preview with the real rollout that follows).
import type { CloneSet, StatefulSet } from '../apis';
import * as cs from '../controllers/cloneset/testing/fixtures';
import * as sts from '../controllers/statefulset/testing/fixtures';
import { type Preview, previewRollout } from './preview';

const names = (p: Preview) => p.batches.map((b) => b.pods.map((u) => `${u.pod}:${u.how}`));

function cloneSetPreview(spec: Partial<NonNullable<CloneSet['spec']>>, change: (c: CloneSet) => CloneSet) {
  const before = cs.cloneSet(spec);
  const r1 = cs.revisionOf(before, 1);
  const pods = [0, 1, 2, 3].map((i) => cs.pod(`web-p${i}`, r1, { node: `n${i}`, createdMinutesAgo: 60 - i }));
  const after = change(before);
  after.status = {
    replicas: 4,
    readyReplicas: 4,
    availableReplicas: 4,
    updatedReplicas: 4,
    updatedReadyReplicas: 4,
    currentRevision: r1.metadata.name,
    updateRevision: r1.metadata.name,
  };
  return previewRollout({
    kind: 'CloneSet',
    owner: after,
    pods,
    revisions: [r1],
    pvcs: [],
    now: cs.NOW,
    resizeSupported: true,
  });
}

describe('previewRollout: CloneSet', () => {
  it('an image change, InPlaceIfPossible, maxUnavailable 1: one pod per batch, in place', () => {
    const p = cloneSetPreview({ updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 1 } }, (c) =>
      cs.withImage(c, 'nginx:2'),
    );
    expect(p.batches).toHaveLength(4);
    expect(p.batches.every((b) => b.pods.length === 1 && b.pods[0]?.how === 'in place')).toBe(true);
    expect(p.batches[0]?.pods[0]?.why).toBe('image main=nginx:2');
    expect(p.held).toEqual([]);
    expect(p.stopped).toBeUndefined();
    expect(p.updateRevision).not.toBe(p.currentRevision === '' ? 'x' : '');
  });

  it('ReCreate with maxUnavailable 2: two batches of two, recreated, replacements created', () => {
    const p = cloneSetPreview({ updateStrategy: { type: 'ReCreate', maxUnavailable: 2 } }, (c) =>
      cs.withImage(c, 'nginx:2'),
    );
    expect(names(p).map((b) => b.length)).toEqual([2, 2]);
    expect(
      p.batches
        .flatMap((b) => b.pods)
        .every((u) => u.how === 'recreate' && u.why.startsWith('policy ReCreate')),
    ).toBe(true);
    expect(p.batches.reduce((n, b) => n + b.created, 0)).toBe(4);
  });

  it('partition holds pods back and says so', () => {
    const p = cloneSetPreview(
      { updateStrategy: { type: 'InPlaceIfPossible', maxUnavailable: 2, partition: 3 } },
      (c) => cs.withImage(c, 'nginx:2'),
    );
    expect(p.batches.flatMap((b) => b.pods)).toHaveLength(1);
    expect(p.held).toHaveLength(3);
    expect(p.held.every((h) => h.why === 'partition 3')).toBe(true);
  });

  it('paused: nothing moves, and the note says why', () => {
    const p = cloneSetPreview({ updateStrategy: { type: 'ReCreate', paused: true } }, (c) =>
      cs.withImage(c, 'nginx:2'),
    );
    expect(p.batches).toEqual([]);
    expect(p.held.map((h) => h.why)).toEqual(['paused', 'paused', 'paused', 'paused']);
    expect(p.notes.join()).toMatch(/paused/);
  });
});

describe('previewRollout: Advanced StatefulSet', () => {
  function stsPreview(spec: Partial<StatefulSet['spec'] & object>) {
    const before = sts.statefulSet({ replicas: 4, ...spec });
    const r1 = sts.revisionOf(before, 1);
    const pods = sts.podsAt([0, 1, 2, 3], r1);
    const after = sts.withImage(before, 'nginx:2');
    after.status = {
      replicas: 4,
      readyReplicas: 4,
      currentRevision: r1.metadata.name,
      updateRevision: r1.metadata.name,
    } as StatefulSet['status'];
    return previewRollout({
      kind: 'StatefulSet',
      owner: after,
      pods,
      revisions: [r1],
      pvcs: [],
      now: sts.NOW,
      resizeSupported: true,
    });
  }

  it('highest ordinal first, recreated by default', () => {
    const p = stsPreview({});
    expect(names(p)).toEqual([
      ['web-3:recreate'],
      ['web-2:recreate'],
      ['web-1:recreate'],
      ['web-0:recreate'],
    ]);
  });

  it('InPlaceIfPossible with maxUnavailable 2 and partition 1', () => {
    const p = stsPreview({
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { podUpdatePolicy: 'InPlaceIfPossible', maxUnavailable: 2, partition: 1 },
      },
    });
    expect(names(p)).toEqual([['web-3:in place', 'web-2:in place'], ['web-1:in place']]);
    expect(p.held).toEqual([{ pod: 'web-0', why: 'partition 1' }]);
  });
});

describe('previewRollout: scale in with the update', () => {
  it('pods removed by fewer replicas are listed apart from the batches', () => {
    const p = cloneSetPreview({ updateStrategy: { type: 'ReCreate', maxUnavailable: 4 } }, (c) => {
      const next = cs.withImage(c, 'nginx:2');
      next.spec!.replicas = 2;
      return next;
    });
    expect(p.removed).toHaveLength(2);
    const updated = p.batches.flatMap((b) => b.pods.map((u) => u.pod));
    expect(updated).toHaveLength(2);
    expect(updated.some((n) => p.removed.includes(n))).toBe(false);
    expect(p.held).toEqual([]);
  });
});

describe('previewRollout: maxSurge', () => {
  it('a recreate rollout with a surge pod: the pod a scale in takes back is an update, not a removal', () => {
    const p = cloneSetPreview({ updateStrategy: { type: 'ReCreate', maxUnavailable: 1, maxSurge: 1 } }, (c) =>
      cs.withImage(c, 'nginx:2'),
    );
    expect(p.removed).toEqual([]);
    const updates = p.batches.flatMap((b) => b.pods);
    expect(updates.map((u) => u.pod).sort()).toEqual(['web-p0', 'web-p1', 'web-p2', 'web-p3']);
    expect(updates.filter((u) => u.why.startsWith('replaced by a surge pod'))).toHaveLength(1);
    expect(p.batches.reduce((n, b) => n + b.created, 0)).toBe(4);
    expect(p.currentRevision).not.toBe(p.updateRevision);
  });
});
