import { setCondition, withFailureCondition } from './conditions';

describe('workload conditions', () => {
  const T1 = '2026-01-01T00:00:00.000Z';
  const T2 = '2026-01-01T00:01:00.000Z';

  it('keeps a condition with the same status and reason, and its transition time when only the reason moves', () => {
    const status = {
      conditions: [{ type: 'Progressing', status: 'True', reason: 'Updated', lastTransitionTime: T1 }],
    };
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'Updated', lastTransitionTime: T2 });
    expect(status.conditions[0]?.lastTransitionTime).toBe(T1);
    setCondition(status, {
      type: 'Progressing',
      status: 'True',
      reason: 'Available',
      lastTransitionTime: T2,
    });
    expect(status.conditions[0]).toMatchObject({ reason: 'Available', lastTransitionTime: T1 });
    setCondition(status, {
      type: 'Progressing',
      status: 'False',
      reason: 'Deadline',
      lastTransitionTime: T2,
    });
    expect(status.conditions[0]).toMatchObject({ status: 'False', lastTransitionTime: T2 });
  });

  it('sets a failure condition True on a copy, replacing an older one of its type', () => {
    const status = { replicas: 1, conditions: [{ type: 'FailedScale', status: 'True', message: 'old' }] };
    const failed = withFailureCondition(status, 'FailedScale', 'boom', new Date(T2));
    expect(failed.conditions).toEqual([
      { type: 'FailedScale', status: 'True', message: 'boom', lastTransitionTime: T2 },
    ]);
    expect(status.conditions[0]?.message).toBe('old');
    expect(failed.replicas).toBe(1);
  });
});
