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
