import { ApiError } from './errors';
import { nextWatcherState, type WatcherState, type WatcherStep } from './watcher';

const list: WatcherState = { phase: 'list', reason: 'initial' };
const watching: WatcherState = { phase: 'watch', resourceVersion: '10' };
const err = (code: number, retryAfterSeconds?: number) =>
  new ApiError(code, 'X', 'x', 'GET', '/', retryAfterSeconds);

describe('nextWatcherState', () => {
  const cases: Array<[string, WatcherState, WatcherStep, ReturnType<typeof nextWatcherState>]> = [
    [
      'a list leads to a watch from its resourceVersion, without resetting the backoff',
      list,
      { kind: 'listed', resourceVersion: '7' },
      { next: { phase: 'watch', resourceVersion: '7' }, backoff: false, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'a failed list is retried with backoff',
      list,
      { kind: 'listFailed', error: err(500) },
      { next: list, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'a 429 list waits at least Retry-After',
      { phase: 'list', reason: 'gone' },
      { kind: 'listFailed', error: err(429, 2) },
      { next: { phase: 'list', reason: 'gone' }, backoff: true, resetBackoff: false, minDelayMs: 2000 },
    ],
    [
      'a watch closed after events resumes at once from the last resourceVersion',
      watching,
      { kind: 'watchClosed', resourceVersion: '12', sawEvents: true },
      { next: { phase: 'watch', resourceVersion: '12' }, backoff: false, resetBackoff: true, minDelayMs: 0 },
    ],
    [
      'a watch closed without events backs off (no hot loop)',
      watching,
      { kind: 'watchClosed', resourceVersion: '10', sawEvents: false },
      { next: watching, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'a socket error re-watches with backoff',
      watching,
      { kind: 'watchFailed', resourceVersion: '11', error: err(0) },
      { next: { phase: 'watch', resourceVersion: '11' }, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'a 5xx re-watches with backoff',
      watching,
      { kind: 'watchFailed', resourceVersion: '10', error: err(503, 1) },
      { next: watching, backoff: true, resetBackoff: false, minDelayMs: 1000 },
    ],
    [
      '410 Gone relists after a backoff step',
      watching,
      { kind: 'watchFailed', resourceVersion: '10', error: err(410) },
      { next: { phase: 'list', reason: 'gone' }, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'the watchdog relists after a backoff step',
      watching,
      { kind: 'watchdog' },
      { next: { phase: 'list', reason: 'watchdog' }, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'a failed relist after an error keeps its reason',
      { phase: 'list', reason: 'watchdog' },
      { kind: 'listFailed', error: new Error('boom') },
      { next: { phase: 'list', reason: 'watchdog' }, backoff: true, resetBackoff: false, minDelayMs: 0 },
    ],
    [
      'stop ends everything',
      watching,
      { kind: 'stop' },
      { next: { phase: 'stopped' }, backoff: false, resetBackoff: false, minDelayMs: 0 },
    ],
  ];

  it.each(cases)('%s', (_name, state, step, expected) => {
    expect(nextWatcherState(state, step)).toEqual(expected);
  });

  it('stays stopped', () => {
    expect(nextWatcherState({ phase: 'stopped' }, { kind: 'listed', resourceVersion: '1' }).next).toEqual({
      phase: 'stopped',
    });
  });
});
