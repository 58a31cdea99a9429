import { Expectations } from './expectations';
import { createRuntimeMetrics } from './metrics';
import { FakeClock } from './testing/fakeclock';

describe('Expectations', () => {
  it('is unsatisfied until every expected create and delete is observed', () => {
    const exp = new Expectations();
    expect(exp.isSatisfied('ns/web')).toBe(true);
    exp.expect('ns/web', 'create', 'web-a');
    exp.expect('ns/web', 'create', 'web-b');
    exp.expect('ns/web', 'delete', 'web-old');
    expect(exp.isSatisfied('ns/web')).toBe(false);
    exp.observe('ns/web', 'create', 'web-a');
    exp.observe('ns/web', 'create', 'web-b');
    expect(exp.pending('ns/web')).toEqual({ create: [], delete: ['web-old'] });
    expect(exp.isSatisfied('ns/web')).toBe(false);
    exp.observe('ns/web', 'delete', 'web-old');
    expect(exp.isSatisfied('ns/web')).toBe(true);
  });

  it('keeps owners apart and ignores observations nobody expected', () => {
    const exp = new Expectations();
    exp.expect('ns/a', 'create', 'x');
    exp.observe('ns/b', 'create', 'x');
    exp.observe('ns/a', 'delete', 'x'); // wrong action
    expect(exp.isSatisfied('ns/a')).toBe(false);
    expect(exp.isSatisfied('ns/b')).toBe(true);
  });

  it('expires expectations after the timeout and reports them', async () => {
    const clock = new FakeClock();
    const timedOut: string[] = [];
    const metrics = createRuntimeMetrics();
    const exp = new Expectations({
      timeoutMs: 1000,
      clock,
      metrics,
      controller: 'cloneset',
      onTimeout: (owner, action, name) => timedOut.push(`${owner} ${action} ${name}`),
    });
    exp.expect('ns/web', 'create', 'web-a');
    await clock.advance(500);
    exp.expect('ns/web', 'create', 'web-b');
    await clock.advance(500);
    expect(exp.isSatisfied('ns/web')).toBe(false); // web-b is still fresh
    expect(timedOut).toEqual(['ns/web create web-a']);
    await clock.advance(500);
    expect(exp.isSatisfied('ns/web')).toBe(true);
    expect(await metrics.registry.metrics()).toContain(
      'outrigger_expectations_timeouts_total{controller="cloneset"} 2',
    );
  });

  it('delete drops everything for an owner', () => {
    const exp = new Expectations();
    exp.expect('ns/web', 'delete', 'p');
    exp.delete('ns/web');
    expect(exp.isSatisfied('ns/web')).toBe(true);
    expect(exp.pending('ns/web')).toEqual({ create: [], delete: [] });
  });
});
