import { TerminalError } from './errors';
import { type NextStep, nextStep, type ReconcileOutcome } from './reconcile';

describe('nextStep (reconcile outcome → queue action)', () => {
  const cases: Array<[string, ReconcileOutcome, NextStep]> = [
    [
      'error → rate-limited retry',
      { kind: 'error', error: new Error('x') },
      { action: { kind: 'addRateLimited' }, result: 'error', terminal: false },
    ],
    [
      'non-Error throw → rate-limited retry',
      { kind: 'error', error: 'boom' },
      { action: { kind: 'addRateLimited' }, result: 'error', terminal: false },
    ],
    [
      'terminal error → forget, no retry',
      { kind: 'error', error: new TerminalError('bad spec') },
      { action: { kind: 'forget' }, result: 'error', terminal: true },
    ],
    [
      'undefined result → success',
      { kind: 'done', result: undefined },
      { action: { kind: 'forget' }, result: 'success', terminal: false },
    ],
    [
      'empty result → success',
      { kind: 'done', result: {} },
      { action: { kind: 'forget' }, result: 'success', terminal: false },
    ],
    [
      'requeueAfter → forget + addAfter',
      { kind: 'done', result: { requeueAfter: 1500 } },
      { action: { kind: 'forgetAndAddAfter', delayMs: 1500 }, result: 'requeue_after', terminal: false },
    ],
    [
      'requeueAfter wins over requeue',
      { kind: 'done', result: { requeueAfter: 10, requeue: true } },
      { action: { kind: 'forgetAndAddAfter', delayMs: 10 }, result: 'requeue_after', terminal: false },
    ],
    [
      'requeueAfter 0 → success',
      { kind: 'done', result: { requeueAfter: 0 } },
      { action: { kind: 'forget' }, result: 'success', terminal: false },
    ],
    [
      'requeueAfter 0 with requeue → rate-limited',
      { kind: 'done', result: { requeueAfter: 0, requeue: true } },
      { action: { kind: 'addRateLimited' }, result: 'requeue', terminal: false },
    ],
    [
      'requeue → rate-limited, not an error',
      { kind: 'done', result: { requeue: true } },
      { action: { kind: 'addRateLimited' }, result: 'requeue', terminal: false },
    ],
  ];

  it.each(cases)('%s', (_name, outcome, expected) => {
    expect(nextStep(outcome)).toEqual(expected);
  });
});
