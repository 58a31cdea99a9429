import { logLevelFromEnv } from './log';

describe('logLevelFromEnv', () => {
  it('reads LOG_LEVEL, info when unset or empty', () => {
    expect(logLevelFromEnv({ LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevelFromEnv({ LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(logLevelFromEnv({})).toBe('info');
    expect(logLevelFromEnv({ LOG_LEVEL: '' })).toBe('info');
  });

  it('rejects an unknown level, naming the known ones', () => {
    expect(() => logLevelFromEnv({ LOG_LEVEL: 'verbose' })).toThrow(
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    );
  });
});
