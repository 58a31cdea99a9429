import { ResourceVersionExpectations } from './resource-version';

describe('ResourceVersionExpectations', () => {
  let now = 0;
  const clock = { now: () => now, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} };
  const pod = (rv: string) => ({ metadata: { uid: 'u1', resourceVersion: rv } });

  it('is unsatisfied until the cache shows our write (or a newer version)', () => {
    const e = new ResourceVersionExpectations(60_000, clock as never);
    e.expect(pod('12'));
    e.observe(pod('11'));
    expect(e.isSatisfied(pod('11'))).toBe(false);
    e.observe(pod('13'));
    expect(e.isSatisfied(pod('13'))).toBe(true);
  });

  it('gives up after the timeout so a lost event cannot wedge the owner', () => {
    const e = new ResourceVersionExpectations(60_000, clock as never);
    now = 0;
    e.expect(pod('12'));
    now = 60_000;
    expect(e.isSatisfied(pod('11'))).toBe(true);
  });
});

describe('ResourceVersionExpectations: the written objects', () => {
  const clock = { now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} };
  const obj = (uid: string, rv: string, owner = 'o1') => ({
    metadata: { uid, resourceVersion: rv, ownerReferences: [{ uid: owner }] },
  });

  it('gives the written object while the cache is behind it, and the cached one after', () => {
    const e = new ResourceVersionExpectations(60_000, clock as never);
    const written = obj('u1', '12');
    e.expect(written);
    expect(e.latest(obj('u1', '11'))).toBe(written);
    const caught = obj('u1', '13');
    e.observe(caught);
    expect(e.latest(caught)).toBe(caught);
  });

  it('lists created objects the cache does not hold, as the filter picks them', () => {
    const e = new ResourceVersionExpectations(60_000, clock as never);
    e.expect(obj('u1', '12'));
    e.expect(obj('u2', '13'));
    e.expect(obj('u3', '14', 'o2'));
    const ofO1 = (o: ReturnType<typeof obj>) => o.metadata.ownerReferences[0]?.uid === 'o1';
    expect(e.unseen(new Set(['u1']), ofO1).map((o) => o.metadata.uid)).toEqual(['u2']);
  });

  it('does not bring back an object whose delete it saw before the write was answered', () => {
    const e = new ResourceVersionExpectations(60_000, clock as never);
    e.delete(obj('u1', '12'));
    e.expect(obj('u1', '12'));
    expect(e.unseen(new Set(), () => true)).toEqual([]);
  });
});
