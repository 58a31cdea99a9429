import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
} from './ratelimiter';
import { FakeClock } from './testing/fakeclock';

describe('ItemExponentialRateLimiter', () => {
  it('doubles per failure of a key, caps, and forgets', () => {
    const limiter = new ItemExponentialRateLimiter(5, 100);
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(limiter.numRequeues('a')).toBe(6);
    expect(limiter.when('b')).toBe(5);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });
});

describe('BucketRateLimiter', () => {
  it('allows a burst, then spaces requests at 1/qps, and refills over time', async () => {
    const clock = new FakeClock();
    const limiter = new BucketRateLimiter(10, 3, clock);
    expect([1, 2, 3].map(() => limiter.when('x'))).toEqual([0, 0, 0]);
    expect(limiter.when('x')).toBeCloseTo(100);
    expect(limiter.when('y')).toBeCloseTo(200); // shared by all keys
    await clock.advance(1000); // +10 tokens, capped at the burst of 3, minus the 2 borrowed
    expect(limiter.when('x')).toBe(0);
    expect(limiter.numRequeues('x')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay and forgets in every limiter', () => {
    const clock = new FakeClock();
    const limiter = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter(5, 1000),
      new BucketRateLimiter(1, 1, clock),
    );
    expect(limiter.when('a')).toBe(5); // bucket still has its token
    expect(limiter.when('a')).toBeCloseTo(1000); // bucket empty: 1 s at 1 qps beats 10 ms
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
  });

  it('is the controller-runtime default: 5 ms first retry, 10 qps overall after a burst of 100', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    expect(limiter.when('a')).toBe(5);
    for (let i = 0; i < 99; i++) limiter.when(`k${i}`);
    expect(limiter.when('z')).toBeCloseTo(100);
  });
});
