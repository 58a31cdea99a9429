import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SUPERVISOR = path.join(__dirname, 'supervise.sh');
const STOP_TIMEOUT_MS = 10_000;

/** Every component started by this process, so exit and signal hooks can stop them all. */
const running = new Set<ManagedProcess>();

/**
 * One control-plane component, run in its own process group under supervise.sh, with its
 * stdout and stderr in a log file.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly binary: string,
    readonly args: string[],
    readonly logFile: string,
  ) {}

  start(): void {
    if (!fs.existsSync(this.binary)) {
      throw new Error(`${this.name}: binary ${this.binary} does not exist (run 'npm run build:k8s')`);
    }
    fs.appendFileSync(
      this.logFile,
      `\n=== ${new Date().toISOString()} ${this.binary} ${this.args.join(' ')}\n`,
    );
    this.exitCode = undefined;
    const child = spawn('bash', [SUPERVISOR, String(process.pid), this.logFile, this.binary, ...this.args], {
      detached: true,
      stdio: 'ignore',
    });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        running.delete(this);
        resolve(code);
      });
      child.on('error', () => resolve(null));
    });
    running.add(this);
  }

  /** True while the component runs; false once it exited (crashed or stopped). */
  get alive(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGTERM to the whole process group, then SIGKILL after a timeout. */
  async stop(): Promise<void> {
    if (!this.alive || !this.child?.pid) return;
    const group = -this.child.pid;
    signalGroup(group, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    signalGroup(group, 'SIGKILL'); // anything the component itself left in its group
  }

  /** SIGKILL without grace, for tests of crash behaviour. */
  kill(): void {
    if (this.child?.pid) signalGroup(-this.child.pid, 'SIGKILL');
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    return logTail(this.logFile, lines);
  }
}

/** The last lines of a log file, for error messages; "(no log)" when it cannot be read. */
export function logTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch {
    // already gone
  }
}

/** Synchronous, because 'exit' handlers cannot await: SIGKILL is all that is left there. */
function killAllNow(): void {
  for (const p of running) p.kill();
}

let exitHookInstalled = false;
let signalHooksInstalled = false;

/**
 * Stop every component when this process exits, and (unless the program handles signals itself
 * and stops the cluster in order) when it is interrupted.
 */
export function installExitHooks(handleSignals: boolean): void {
  if (!exitHookInstalled) process.on('exit', killAllNow);
  exitHookInstalled = true;
  if (!handleSignals || signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.kill(process.pid, signal));
    });
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

const CLOCK_TICKS_PER_SECOND = 100;

/** A process as /proc/<pid>/stat shows it: its parent, its command name and its user + system CPU seconds. */
export interface ProcessStat {
  ppid: number;
  /** The kernel keeps the first 15 characters. */
  name: string;
  cpuSeconds: number;
}

function readStat(pid: number | string): ProcessStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name may hold spaces and parentheses: the fields start after its last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      name: stat.slice(stat.indexOf('(') + 1, close),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** User + system CPU seconds a process has used so far, from /proc (0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  return readStat(pid)?.cpuSeconds ?? 0;
}

/** The command name /proc shows for a program called `name`: the kernel keeps its first 15 characters. */
export function commandName(name: string): string {
  return name.slice(0, 15);
}

/** `root`'s descendants now, by pid; only those whose command name is `name`, when given. */
export function descendants(root: number, name?: string): Map<number, ProcessStat> {
  const all = new Map<number, ProcessStat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat) all.set(Number(entry), stat);
  }
  const descends = (pid: number): boolean => {
    for (let p = all.get(pid)?.ppid; p !== undefined && p > 1; p = all.get(p)?.ppid) {
      if (p === root) return true;
    }
    return false;
  };
  const wanted = name === undefined ? undefined : commandName(name);
  return new Map([...all].filter(([pid, p]) => (wanted === undefined || p.name === wanted) && descends(pid)));
}

/** The pids of `root`'s descendants whose command name is `name` (e.g. the kube-apiserver a cluster started). */
export function descendantPids(root: number, name: string): number[] {
  return [...descendants(root, name).keys()];
}
