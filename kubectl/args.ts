// Command-line parsing the kubectl way: `--flag value`, `--flag=value`, `-n value`, `-nvalue`, booleans
// as `--watch` or `--watch=false`, repeatable flags, `--` ends the flags. Unknown flags are errors.

export type FlagType = 'string' | 'boolean' | 'duration' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  help: string;
  default?: string | boolean | number;
  /** Values offered by shell completion. */
  values?: readonly string[];
}

export type FlagValue = string | boolean | number | string[];

export interface Parsed {
  args: string[];
  flags: Record<string, FlagValue | undefined>;
}

export class UsageError extends Error {}

/** The flags every command takes (kubectl's global ones we honour). */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', help: 'the namespace (default: the context namespace)' },
  { name: 'kubeconfig', type: 'string', help: 'path to the kubeconfig file' },
  { name: 'context', type: 'string', help: 'the kubeconfig context to use' },
  { name: 'help', short: 'h', type: 'boolean', help: 'help for this command' },
];

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags: Parsed['flags'] = {};
  for (const s of specs) if (s.default !== undefined) flags[s.name] = s.default;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
      inline = eq >= 0 ? token.slice(eq + 1) : undefined;
      spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
    } else if (token.startsWith('-') && token.length > 1) {
      spec = byShort.get(token[1] as string);
      if (!spec) throw new UsageError(`unknown shorthand flag: '${token[1]}' in ${token}`);
      if (token.length > 2) inline = token[2] === '=' ? token.slice(3) : token.slice(2);
    } else {
      args.push(token);
      continue;
    }
    if (spec.type === 'boolean') {
      flags[spec.name] = parseBoolean(spec.name, inline ?? 'true');
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${spec.name}`);
      value = argv[++i] as string;
    }
    flags[spec.name] = convert(spec, value, flags[spec.name]);
  }
  return { args, flags };
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`invalid argument "${value}" for --${name}: want true or false`);
}

function convert(spec: FlagSpec, value: string, previous: FlagValue | undefined): FlagValue {
  if (spec.values && spec.type === 'string' && !spec.values.includes(value)) {
    throw new UsageError(
      `invalid argument "${value}" for --${spec.name}: want one of ${spec.values.join(', ')}`,
    );
  }
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(value))
        throw new UsageError(`invalid argument "${value}" for --${spec.name}: not an integer`);
      return Number(value);
    }
    case 'duration':
      return parseDuration(spec.name, value);
    case 'list': {
      const list = Array.isArray(previous) ? previous : [];
      return [...list, ...value.split(',').filter((v) => v !== '')];
    }
    default:
      return value;
  }
}

/** A Go duration (`90s`, `5m`, `1h30m`, `500ms`; `0` means none) in milliseconds. */
export function parseDuration(name: string, value: string): number {
  if (value === '0') return 0;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new UsageError(`invalid argument "${value}" for --${name}: want a duration such as 30s, 5m or 1h`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] as string] as number), 0);
}

export const str = (p: Parsed, name: string) => p.flags[name] as string | undefined;
export const bool = (p: Parsed, name: string) => p.flags[name] === true;
export const num = (p: Parsed, name: string) => p.flags[name] as number | undefined;
export const list = (p: Parsed, name: string) => (p.flags[name] as string[] | undefined) ?? [];
