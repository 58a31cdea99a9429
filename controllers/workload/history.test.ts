import { ControllerRevisionHashLabel } from '../../apis';
import { activeRevisions, hashRevision, newRevision, type RevisionSource, truncateHistory } from './history';
import { pod } from './testing/pods';

const ref = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  name: 'web',
  uid: 'owner-uid',
  controller: true,
  blockOwnerDeletion: true,
};
const dataOf = (image: string) => ({
  spec: {
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'main', image }] },
      $patch: 'replace',
    },
  },
});
/** A workload at `image`, its status naming `current` (as any kind builds its RevisionSource). */
const source = (image: string, current?: string, collisionCount = 0): RevisionSource => ({
  owner: { name: 'web', namespace: 'ns', uid: 'owner-uid', annotations: { team: 'a' } },
  ref,
  data: dataOf(image) as never,
  labels: { app: 'web' },
  collisionCount,
  currentRevision: current,
});

describe('revision hashing', () => {
  it('is stable: the same data hashes the same whatever its key order', () => {
    const a = {
      spec: {
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        },
      },
    };
    const b = {
      spec: {
        template: {
          spec: { containers: [{ image: 'x:1', name: 'c' }] },
          metadata: { labels: { app: 'web' } },
        },
      },
    };
    expect(hashRevision(a, 0)).toBe(hashRevision(b, 0));
    expect(hashRevision(a, 0)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
  it('changes with the data and with collisionCount', () => {
    const base = hashRevision(dataOf('nginx:1'), 0);
    expect(hashRevision(dataOf('nginx:2'), 0)).not.toBe(base);
    expect(hashRevision(dataOf('nginx:1'), 1)).not.toBe(base);
  });
  it("names the revision <owner>-<hash>, labels it with the hash and carries the owner's reference", () => {
    const rev = newRevision(source('nginx:1'), 1, 0);
    const hash = rev.metadata.labels![ControllerRevisionHashLabel]!;
    expect(rev.metadata).toMatchObject({
      name: `web-${hash}`,
      namespace: 'ns',
      labels: { app: 'web' },
      annotations: { team: 'a' },
      ownerReferences: [ref],
    });
    expect(rev.data).toEqual(dataOf('nginx:1'));
  });
});

describe('activeRevisions', () => {
  const r1 = newRevision(source('nginx:1'), 1, 0);
  const r2 = newRevision(source('nginx:2'), 2, 0);

  it('creates the first revision and makes it current', () => {
    const res = activeRevisions(source('nginx:1'), []);
    expect(res.actions).toEqual([{ type: 'createRevision', revision: res.updateRevision }]);
    expect(res.currentRevision).toBe(res.updateRevision);
    expect(res.updateRevision.revision).toBe(1);
  });
  it('reuses the newest revision when the data is unchanged', () => {
    const res = activeRevisions(source('nginx:1', r1.metadata.name), [r1]);
    expect(res.actions).toEqual([]);
    expect(res.updateRevision).toBe(r1);
  });
  it('creates a new revision on a change, keeping the current one', () => {
    const res = activeRevisions(source('nginx:2', r1.metadata.name), [r1]);
    expect(res.actions.map((a) => a.type)).toEqual(['createRevision']);
    expect(res.currentRevision).toBe(r1);
    expect(res.updateRevision.metadata.name).toBe(r2.metadata.name);
  });
  it('rolls back by renumbering an older equal revision', () => {
    const res = activeRevisions(source('nginx:1', r2.metadata.name), [r1, r2]);
    expect(res.actions).toEqual([{ type: 'updateRevisionNumber', name: r1.metadata.name, revision: 3 }]);
    expect(res.updateRevision.revision).toBe(3);
  });
  it('probes with collisionCount+1 when the name is taken by different data', () => {
    const squatter = { ...r2, data: { spec: { template: { spec: { containers: [] } } } } };
    const res = activeRevisions(source('nginx:2', r1.metadata.name), [r1, squatter]);
    expect(res.collisionCount).toBe(1);
    expect(res.updateRevision.metadata.name).toBe(newRevision(source('nginx:2'), 3, 1).metadata.name);
    expect(res.updateRevision.metadata.name).not.toBe(r2.metadata.name);
  });
});

describe('truncateHistory', () => {
  const revs = [1, 2, 3, 4, 5].map((n) => newRevision(source(`nginx:${n}`), n, 0));
  it('deletes the oldest revisions no pod uses and no status names, beyond the limit', () => {
    const pods = [pod('web-a', revs[1]!)];
    const live = [revs[4]!.metadata.name!];
    expect(truncateHistory(revs, pods, live, 1)).toEqual([
      { type: 'deleteRevision', name: revs[0]!.metadata.name },
      { type: 'deleteRevision', name: revs[2]!.metadata.name },
    ]);
  });
  it('keeps everything within the limit (10 by default)', () => {
    expect(truncateHistory(revs, [], [])).toEqual([]);
  });
});
