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

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The level the LOG_LEVEL environment variable names, in any case (default info); an unknown name is an error. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  return level;
}
