/** A failed API request: the HTTP code and the reason from the apiserver's Status object. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: number,
    /** Status.reason, e.g. NotFound, Conflict, AlreadyExists, Expired; or a transport reason such as ECONNRESET. */
    readonly reason: string,
    message: string,
    readonly method = '',
    readonly path = '',
    /** Seconds from a Retry-After header or Status.details.retryAfterSeconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** 0 = the request never got an HTTP answer (socket error, timeout). */
  get isTransport(): boolean {
    return this.code === 0;
  }
}

const hasCode = (err: unknown, code: number, reason?: string): boolean =>
  err instanceof ApiError && err.code === code && (reason === undefined || err.reason === reason);

export const isNotFound = (err: unknown) => hasCode(err, 404);
export const isConflict = (err: unknown) => hasCode(err, 409, 'Conflict');
export const isAlreadyExists = (err: unknown) => hasCode(err, 409, 'AlreadyExists');
/** 410: the resourceVersion is too old (watch or continue token); relist. */
export const isGone = (err: unknown) => hasCode(err, 410);
export const isTooManyRequests = (err: unknown) => hasCode(err, 429);

/** Socket errors, timeouts, 429 and 5xx: worth retrying later. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.code === 0 || err.code === 429 || err.code >= 500;
}

/** Reconcile errors that must not be retried (controller-runtime's reconcile.TerminalError). */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
