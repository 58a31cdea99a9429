import { ControllerRevisionHashLabel } from '../../apis';
import { cloneSet, pod, withImage } from './fixtures';
import { activeRevisions, hashRevision, newRevision, revisionData, truncateHistory } from './revisions';

describe('revision hashing', () => {
  it('is stable: the same template hashes the same whatever its key order', () => {
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
  it('changes with the template and with collisionCount', () => {
    const cs = cloneSet();
    const base = hashRevision(revisionData(cs), 0);
    expect(hashRevision(revisionData(withImage(cs, 'nginx:2')), 0)).not.toBe(base);
    expect(hashRevision(revisionData(cs), 1)).not.toBe(base);
  });
  it('names the revision <cloneset>-<hash> and labels it with the hash', () => {
    const rev = newRevision(cloneSet(), 1, 0);
    const hash = rev.metadata.labels![ControllerRevisionHashLabel]!;
    expect(rev.metadata.name).toBe(`web-${hash}`);
    expect(rev.data).toEqual({ spec: { template: { ...cloneSet().spec!.template, $patch: 'replace' } } });
    expect(rev.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'CloneSet',
        name: 'web',
        uid: 'cs-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });
});

describe('activeRevisions', () => {
  const v1 = cloneSet();
  const v2 = withImage(v1, 'nginx:2');
  const r1 = newRevision(v1, 1, 0);
  const r2 = newRevision(v2, 2, 0);

  it('creates the first revision and makes it current', () => {
    const res = activeRevisions(v1, []);
    expect(res.actions).toEqual([{ type: 'createRevision', revision: res.updateRevision }]);
    expect(res.currentRevision).toBe(res.updateRevision);
    expect(res.updateRevision.revision).toBe(1);
  });
  it('reuses the newest revision when the template is unchanged', () => {
    const res = activeRevisions({ ...v1, status: { ...emptyStatus, currentRevision: r1.metadata.name } }, [
      r1,
    ]);
    expect(res.actions).toEqual([]);
    expect(res.updateRevision).toBe(r1);
  });
  it('creates a new revision on a template change, keeping the current one', () => {
    const res = activeRevisions({ ...v2, status: { ...emptyStatus, currentRevision: r1.metadata.name } }, [
      r1,
    ]);
    expect(res.actions.map((a) => a.type)).toEqual(['createRevision']);
    expect(res.currentRevision).toBe(r1);
    expect(res.updateRevision.metadata.name).toBe(r2.metadata.name);
  });
  it('rolls back by renumbering an older equal revision', () => {
    const res = activeRevisions({ ...v1, status: { ...emptyStatus, currentRevision: r2.metadata.name } }, [
      r1,
      r2,
    ]);
    expect(res.actions).toEqual([{ type: 'updateRevisionNumber', name: r1.metadata.name, revision: 3 }]);
    expect(res.updateRevision.revision).toBe(3);
  });
  it('probes with collisionCount+1 when the name is taken by different data', () => {
    const squatter = { ...r2, data: { spec: { template: { spec: { containers: [] } } } } };
    const res = activeRevisions({ ...v2, status: { ...emptyStatus, currentRevision: r1.metadata.name } }, [
      r1,
      squatter,
    ]);
    expect(res.collisionCount).toBe(1);
    expect(res.updateRevision.metadata.name).toBe(newRevision(v2, 3, 1).metadata.name);
    expect(res.updateRevision.metadata.name).not.toBe(r2.metadata.name);
  });
});

describe('truncateHistory', () => {
  const revs = [1, 2, 3, 4, 5].map((n) => newRevision(withImage(cloneSet(), `nginx:${n}`), n, 0));
  it('deletes the oldest unused revisions beyond revisionHistoryLimit', () => {
    const cs = cloneSet({ revisionHistoryLimit: 1 });
    const pods = [pod('web-a', revs[1]!)];
    const live = [revs[4]!.metadata.name!];
    expect(truncateHistory(cs, pods, revs, live)).toEqual([
      { type: 'deleteRevision', name: revs[0]!.metadata.name },
      { type: 'deleteRevision', name: revs[2]!.metadata.name },
    ]);
  });
  it('keeps everything within the limit', () => {
    expect(truncateHistory(cloneSet(), [], revs, [])).toEqual([]);
  });
});

const emptyStatus = {
  replicas: 0,
  readyReplicas: 0,
  availableReplicas: 0,
  updatedReplicas: 0,
  updatedReadyReplicas: 0,
};
