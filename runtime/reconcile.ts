import { TerminalError } from './errors';
import type { Logger } from './log';

export interface ReconcileResult {
  /** Reconcile again after this many milliseconds (polling); resets the key's backoff. */
  requeueAfter?: number;
  /** Reconcile again after the rate limiter's backoff, without it being an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** Aborted when the controller stops (shutdown or lost leadership); pass it to every API call. */
  signal: AbortSignal;
  /** Carries controller, key and reconcileID. */
  log: Logger;
  reconcileID: string;
  controller: string;
  namespace?: string;
  name: string;
}

/**
 * Level-triggered: `key` is "namespace/name"; read the current state from the cache, never from the
 * event that woke you. Throw to retry with backoff; throw TerminalError to give up on this version.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` (Promise<void>) means success.
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | undefined | void>;

export type ReconcileOutcome = { kind: 'error'; error: unknown } | { kind: 'done'; result?: ReconcileResult };

export type QueueAction =
  | { kind: 'forget' }
  | { kind: 'addRateLimited' }
  | { kind: 'forgetAndAddAfter'; delayMs: number };

/** Values of the `result` label of controller_runtime_reconcile_total. */
export type ResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface NextStep {
  action: QueueAction;
  result: ResultLabel;
  terminal: boolean;
}

/** Every "what happens next" decision in one place (controller-runtime's reconcileHandler). */
export function nextStep(outcome: ReconcileOutcome): NextStep {
  if (outcome.kind === 'error') {
    // A terminal error is recorded but not retried; the next change to the object triggers a reconcile.
    const terminal = outcome.error instanceof TerminalError;
    return { action: terminal ? { kind: 'forget' } : { kind: 'addRateLimited' }, result: 'error', terminal };
  }
  const result = outcome.result ?? {};
  if (result.requeueAfter !== undefined && result.requeueAfter > 0) {
    return {
      action: { kind: 'forgetAndAddAfter', delayMs: result.requeueAfter },
      result: 'requeue_after',
      terminal: false,
    };
  }
  if (result.requeue) return { action: { kind: 'addRateLimited' }, result: 'requeue', terminal: false };
  return { action: { kind: 'forget' }, result: 'success', terminal: false };
}
