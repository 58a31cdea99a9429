import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs to stdout; level from LOG_LEVEL is read by the caller, never at import time. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    name: options.name,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything; the default for components built in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
