// The list-watch state machine, as a pure function so every transition can be tested without I/O.
// States follow kube-rs's watcher: list (initial or relist) → watch from the list's resourceVersion →
// back to list on 410 Gone or a silent connection; every other failure retries. Every relist and every
// failed or empty watch waits a backoff step, and only a watch that delivered events resets it: a
// successful LIST proves nothing about the watch that follows, so persistent 410s (or a watchdog that
// keeps firing) are throttled to one LIST per backoff step instead of a hot LIST loop.
import { ApiError, isGone } from './errors';

export type RelistReason = 'initial' | 'gone' | 'watchdog' | 'error';

export type WatcherState =
  | { phase: 'list'; reason: RelistReason }
  | { phase: 'watch'; resourceVersion: string }
  | { phase: 'stopped' };

/** What happened in the state just run. */
export type WatcherStep =
  | { kind: 'listed'; resourceVersion: string }
  | { kind: 'listFailed'; error: unknown }
  /** The server ended the watch cleanly (timeoutSeconds reached, apiserver shutting down). */
  | { kind: 'watchClosed'; resourceVersion: string; sawEvents: boolean }
  | { kind: 'watchFailed'; resourceVersion: string; error: unknown }
  /** No event or bookmark for too long: the connection may be dead without anyone noticing. */
  | { kind: 'watchdog' }
  | { kind: 'stop' };

export interface Transition {
  next: WatcherState;
  /** Wait a backoff step before running `next`. */
  backoff: boolean;
  /** The connection proved healthy: the next failure starts from the shortest delay again. */
  resetBackoff: boolean;
  /** Lower bound for the wait, from Retry-After. */
  minDelayMs: number;
}

const go = (next: WatcherState, backoff = false, resetBackoff = false, minDelayMs = 0): Transition => ({
  next,
  backoff,
  resetBackoff,
  minDelayMs,
});

function retryAfterMs(error: unknown): number {
  return error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
}

export function nextWatcherState(state: WatcherState, step: WatcherStep): Transition {
  if (state.phase === 'stopped' || step.kind === 'stop') return go({ phase: 'stopped' });
  switch (step.kind) {
    case 'listed':
      return go({ phase: 'watch', resourceVersion: step.resourceVersion });
    case 'listFailed':
      return go(
        { phase: 'list', reason: state.phase === 'list' ? state.reason : 'error' },
        true,
        false,
        retryAfterMs(step.error),
      );
    case 'watchClosed':
      // A watch that ends before delivering anything is treated like a failure, so a server that closes
      // watches immediately does not get a hot loop of requests (client-node #1933).
      return go({ phase: 'watch', resourceVersion: step.resourceVersion }, !step.sawEvents, step.sawEvents);
    case 'watchFailed':
      if (isGone(step.error)) return go({ phase: 'list', reason: 'gone' }, true);
      return go(
        { phase: 'watch', resourceVersion: step.resourceVersion },
        true,
        false,
        retryAfterMs(step.error),
      );
    case 'watchdog':
      return go({ phase: 'list', reason: 'watchdog' }, true);
  }
}
