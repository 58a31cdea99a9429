import type { Runnable } from './controller';
import { createLogger, logLevelFromEnv } from './log';
import { LeaderElectionLostError, Manager, type ManagerOptions } from './manager';

/** Registers a controller (or anything else) with the manager, e.g. via controller(mgr).for(...).complete(...). */
export type ControllerSetup = (mgr: Manager) => void | Promise<void>;

export interface StartManagerOptions extends ManagerOptions {
  controllers?: ControllerSetup[];
  runnables?: Runnable[];
  /** Stops the manager when aborted, like a SIGTERM (benchmarks, tests). */
  signal?: AbortSignal;
  /** Stop on SIGTERM/SIGINT (a second signal exits at once). Default true. */
  handleSignals?: boolean;
  /** Called with the exit code when the manager stops; default process.exit. Pass false to just return. */
  exit?: ((code: number) => void) | false;
}

/**
 * The entry point for cmd/manager.ts: builds a Manager, registers controllers and runnables, runs it
 * until SIGTERM/SIGINT or a failure, and exits. Exit code 0 after a clean stop, 1 after a lost lease or
 * an error (controller-runtime exits on a lost lease so the restarted pod campaigns afresh).
 */
export async function startManager(options: StartManagerOptions = {}): Promise<number> {
  // The process's logger: its level from LOG_LEVEL (the Helm chart's manager.log.level).
  const logger =
    options.logger ?? createLogger({ name: options.name ?? 'outrigger', level: logLevelFromEnv() });
  const mgr = new Manager({ ...options, logger });
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const removeSignalHandlers = options.handleSignals === false ? () => undefined : onStopSignals(mgr, stop);
  let code = 0;
  try {
    for (const setup of options.controllers ?? []) await setup(mgr);
    for (const runnable of options.runnables ?? []) mgr.add(runnable);
    await mgr.start(stop.signal);
  } catch (error) {
    code = 1;
    const message = error instanceof LeaderElectionLostError ? 'leader election lost' : 'manager failed';
    mgr.logger.error({ err: error }, message);
  } finally {
    removeSignalHandlers();
  }
  const exit = options.exit ?? ((exitCode: number) => process.exit(exitCode));
  if (exit) {
    mgr.logger.flush();
    exit(code);
  }
  return code;
}

function onStopSignals(mgr: Manager, stop: AbortController): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      mgr.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    mgr.logger.info({ signal }, 'stopping');
    stop.abort();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
