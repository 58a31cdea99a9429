import {
  resolveBroadcastJobParallelism,
  resolveCloneSetMaxSurge,
  resolveCloneSetMaxUnavailable,
  resolveCloneSetScaleMaxUnavailable,
  resolvePartition,
  resolveSidecarSetMaxUnavailable,
  resolveStatefulSetMaxUnavailable,
  scaledValue,
  valueFromIntOrPercent,
} from './intstr';

describe('scaledValue (Kruise util.GetScaledValueFromIntOrPercent)', () => {
  it.each([
    [3, 10, true, 3],
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    ['12.5%', 8, true, 1],
    ['0%', 10, true, 0],
  ])('%p of %p (roundUp=%p) = %p', (v, total, up, want) => {
    expect(scaledValue(v, total, up)).toBe(want);
  });

  it('rejects strings that are not percentages', () => {
    expect(() => scaledValue('5', 10, true)).toThrow(/not a percentage/);
    expect(() => scaledValue('abc%', 10, true)).toThrow();
  });
});

describe('valueFromIntOrPercent (k8s intstr.GetValueFromIntOrPercent)', () => {
  it('accepts integer strings and integer percents only', () => {
    expect(valueFromIntOrPercent('5', 10, true)).toBe(5);
    expect(valueFromIntOrPercent('15%', 10, true)).toBe(2);
    expect(valueFromIntOrPercent('15%', 10, false)).toBe(1);
    expect(() => valueFromIntOrPercent('1.5%', 10, true)).toThrow();
    expect(() => valueFromIntOrPercent('x', 10, true)).toThrow();
  });
});

describe('resolvePartition (util.CalculatePartitionReplicas)', () => {
  it.each([
    [undefined, 5, 0],
    [2, 5, 2],
    [9, 5, 5],
    [-1, 5, 0],
    ['50%', 5, 3],
    ['99%', 4, 3],
    ['100%', 4, 4],
    ['99%', 1, 1],
  ])('partition %p of %p replicas = %p', (partition, replicas, want) => {
    expect(resolvePartition(partition, replicas)).toBe(want);
  });

  it('treats unset replicas as 1', () => {
    expect(resolvePartition('100%', undefined)).toBe(1);
  });
});

describe('workload-specific rounding', () => {
  it('CloneSet maxUnavailable rounds up without surge and down with surge', () => {
    expect(resolveCloneSetMaxUnavailable('25%', 10, 0)).toBe(3);
    expect(resolveCloneSetMaxUnavailable('25%', 10, 1)).toBe(2);
    expect(resolveCloneSetMaxUnavailable(undefined, 4, 0)).toBe(1);
    expect(resolveCloneSetMaxUnavailable(undefined, 4, 1)).toBe(0);
  });

  it('CloneSet resolves with the parser its admission uses: fractions pass, bare numbers in strings do not', () => {
    expect(resolveCloneSetMaxUnavailable('12.5%', 10, 0)).toBe(2);
    expect(resolveCloneSetMaxUnavailable('12.5%', 10, 1)).toBe(1);
    expect(resolveCloneSetMaxSurge('12.5%', 10, false)).toBe(2);
    expect(resolveCloneSetScaleMaxUnavailable('33.3%', 10)).toBe(4);
    expect(() => resolveCloneSetMaxUnavailable('2', 10, 0)).toThrow(/not a percentage/);
  });

  it('CloneSet maxSurge rounds up and is 0 while paused', () => {
    expect(resolveCloneSetMaxSurge('10%', 11, false)).toBe(2);
    expect(resolveCloneSetMaxSurge('10%', 11, true)).toBe(0);
    expect(resolveCloneSetMaxSurge(undefined, 11, false)).toBe(0);
  });

  it('CloneSet scale maxUnavailable is unlimited when unset', () => {
    expect(resolveCloneSetScaleMaxUnavailable(undefined, 3)).toBe(2147483647);
    expect(resolveCloneSetScaleMaxUnavailable('50%', 3)).toBe(2);
  });

  it('StatefulSet maxUnavailable rounds down with a floor of 1', () => {
    expect(resolveStatefulSetMaxUnavailable('50%', 5)).toBe(2);
    expect(resolveStatefulSetMaxUnavailable('10%', 5)).toBe(1);
    expect(resolveStatefulSetMaxUnavailable(undefined, 5)).toBe(1);
  });

  it('SidecarSet maxUnavailable rounds up, default 1', () => {
    expect(resolveSidecarSetMaxUnavailable('10%', 15)).toBe(2);
    expect(resolveSidecarSetMaxUnavailable(undefined, 15)).toBe(1);
  });

  it('BroadcastJob parallelism rounds up, default unlimited', () => {
    expect(resolveBroadcastJobParallelism('30%', 5)).toBe(2);
    expect(resolveBroadcastJobParallelism(undefined, 5)).toBe(2147483647);
  });
});
