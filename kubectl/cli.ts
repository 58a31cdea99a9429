// The `kubectl outrigger` command line: finds the command, parses its flags, opens the session, turns
// errors into kubectl-style messages and exit codes; help, and shell completion (bash, zsh, and kubectl's
// plugin completion through `kubectl_complete-outrigger`, which calls `__complete`).
import { ApiError } from '../runtime/errors';
import { type FlagSpec, GLOBAL_FLAGS, type Parsed, parseArgs, UsageError } from './args';
import { KIND_WORDS, kindOf } from './kinds';
import { type CommandDef, ROLLOUT_COMMANDS } from './rollout';
import { type Io, NotFoundError, Session } from './session';
import { WORKLOAD_COMMANDS } from './workloads';

export const COMMANDS: CommandDef[] = [...ROLLOUT_COMMANDS, ...WORKLOAD_COMMANDS];
const GROUPS: Record<string, string> = { rollout: 'Manage the rollout of a workload' };
const PROGRAM = 'kubectl outrigger';

/** The command named by the leading words of argv (commands come before flags), and the words left. */
export function findCommand(argv: readonly string[]): {
  command?: CommandDef;
  group?: string;
  rest: string[];
} {
  const command = COMMANDS.find((c) => c.path.every((word, i) => argv[i] === word));
  if (command) return { command, rest: argv.slice(command.path.length) };
  const first = argv[0];
  if (first && GROUPS[first]) return { group: first, rest: argv.slice(1) };
  return { rest: [...argv] };
}

const flagsOf = (command: CommandDef): FlagSpec[] => [...command.flags, ...GLOBAL_FLAGS];

export function helpText(command?: CommandDef, group?: string): string {
  if (!command) {
    const shown = COMMANDS.filter((c) => !group || c.path[0] === group);
    const rows = shown.map((c) => `  ${c.path.join(' ').padEnd(18)}${c.summary}`);
    const title = group
      ? `${GROUPS[group]}.`
      : 'Operate OpenKruise-compatible workloads (CloneSet, Advanced StatefulSet, BroadcastJob, SidecarSet).';
    return [
      title,
      '',
      'Commands:',
      ...rows,
      ...(group ? [] : ['  completion        Print a shell completion script (bash or zsh)']),
      '',
      'Kinds: cloneset (cs), statefulset (sts, asts: the Advanced StatefulSet, apps.kruise.io), broadcastjob (bcj), sidecarset.',
      '',
      `Usage: ${PROGRAM} ${group ?? '<command>'} [flags]`,
      `Use "${PROGRAM} <command> --help" for more about a command.`,
      '',
    ].join('\n');
  }
  const flags = flagsOf(command).map((f) => {
    const name = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.type === 'boolean' ? '' : `=${f.type === 'list' ? 'a,b' : f.type}`}`;
    const def =
      f.default !== undefined && f.default !== 0 && f.type !== 'duration'
        ? ` (default ${String(f.default)})`
        : '';
    return `  ${name.padEnd(30)}${f.help}${def}`;
  });
  return [
    `${command.summary}.`,
    '',
    `Works on: ${command.kinds.join(', ')}`,
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
    'Flags:',
    ...flags,
    '',
    `Usage: ${PROGRAM} ${command.usage}`,
    '',
  ].join('\n');
}

/** Runs one invocation; the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first] = argv;
  if (first === '__complete') {
    io.out(complete(argv.slice(1)).join('\n'));
    io.out('\n:4\n'); // cobra's ShellCompDirectiveNoFileComp, which kubectl's plugin completion expects
    return 0;
  }
  if (first === 'completion') return completionScript(argv[1], io);
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out(helpText());
    return 0;
  }
  const { command, group, rest } = findCommand(argv);
  if (!command) {
    if (group && (rest.length === 0 || rest.includes('--help') || rest.includes('-h'))) {
      io.out(helpText(undefined, group));
      return 0;
    }
    const unknown = group ? `${group} ${rest[0] ?? ''}`.trim() : first;
    io.err(`error: unknown command "${unknown}" for "${PROGRAM}"\nRun '${PROGRAM} --help' for usage.\n`);
    return 1;
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs(rest, flagsOf(command));
  } catch (err) {
    return usageError(io, command, err as Error);
  }
  if (parsed.flags.help === true) {
    io.out(helpText(command));
    return 0;
  }
  let session: Session | undefined;
  try {
    session = Session.open(parsed, io);
    return await command.run(session, parsed);
  } catch (err) {
    if (err instanceof UsageError) return usageError(io, command, err);
    if (err instanceof NotFoundError) {
      io.err(`Error from server (NotFound): ${err.message}\n`);
      return 1;
    }
    if (err instanceof ApiError) {
      io.err(`Error from server (${err.reason}): ${err.message}\n`);
      return 1;
    }
    io.err(`error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    session?.close();
  }
}

function usageError(io: Io, command: CommandDef, err: Error): number {
  io.err(`error: ${err.message}\nSee '${PROGRAM} ${command.path.join(' ')} --help' for usage.\n`);
  return 1;
}

// ---- completion

/**
 * Candidates for the last word of `words` (the words typed after the program name; the last may be
 * empty). Commands, then kinds, then object names are not looked up (no cluster call while typing).
 */
export function complete(words: readonly string[]): string[] {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const matching = (list: readonly string[]) => list.filter((w) => w.startsWith(current));
  const positional = before.filter((w) => !w.startsWith('-'));
  if (positional.length === 0)
    return matching([...new Set(COMMANDS.map((c) => c.path[0] as string)), 'completion']);
  if (positional[0] === 'completion') return positional.length === 1 ? matching(['bash', 'zsh']) : [];
  if (positional[0] === 'rollout' && positional.length === 1) {
    return matching(COMMANDS.filter((c) => c.path[0] === 'rollout').map((c) => c.path[1] as string));
  }
  const { command } = findCommand(before);
  if (!command) return [];
  const flags = flagsOf(command);
  const previous = before[before.length - 1] ?? '';
  const flag = flags.find((f) => previous === `--${f.name}` || (f.short && previous === `-${f.short}`));
  if (flag && flag.type !== 'boolean') return flag.values ? matching(flag.values) : [];
  if (current.startsWith('-')) return matching(flags.map((f) => `--${f.name}`));
  const args = positional.slice(command.path.length);
  if (args.length === 0) {
    const words = command.kinds.includes('Deployment')
      ? ['deployment/']
      : KIND_WORDS.filter((w) => command.kinds.includes(kindOf(w))).map((w) => `${w}/`);
    return matching(words);
  }
  return [];
}

function completionScript(shell: string | undefined, io: Io): number {
  if (shell === 'bash') {
    io.out(`# kubectl-outrigger bash completion: source <(kubectl-outrigger completion bash)
_kubectl_outrigger() {
  local IFS=$'\\n'
  local words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=($(kubectl-outrigger __complete "\${words[@]}" 2>/dev/null | grep -v '^:'))
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == */ ]] && compopt -o nospace
}
complete -F _kubectl_outrigger kubectl-outrigger
`);
    return 0;
  }
  if (shell === 'zsh') {
    io.out(`#compdef kubectl-outrigger
# kubectl-outrigger zsh completion: source <(kubectl-outrigger completion zsh)
_kubectl_outrigger() {
  local -a candidates
  candidates=("\${(@f)$(kubectl-outrigger __complete "\${(@)words[2,CURRENT]}" 2>/dev/null | grep -v '^:')}")
  compadd -S '' -- "\${candidates[@]}"
}
compdef _kubectl_outrigger kubectl-outrigger
`);
    return 0;
  }
  io.err('error: completion needs a shell: bash or zsh\n');
  return 1;
}
