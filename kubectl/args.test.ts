import { type FlagSpec, parseArgs, parseDuration, UsageError } from './args';
import { kindOf, parseTarget } from './kinds';

const specs: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', help: '' },
  { name: 'watch', short: 'w', type: 'boolean', default: true, help: '' },
  { name: 'timeout', type: 'duration', default: 0, help: '' },
  { name: 'to-revision', type: 'int', help: '' },
  { name: 'pods', type: 'list', help: '' },
  { name: 'output', short: 'o', type: 'string', values: ['json', 'yaml'], help: '' },
];

describe('parseArgs', () => {
  it('takes the kubectl spellings of flags', () => {
    const p = parseArgs(
      ['cloneset/web', '-n', 'prod', '--watch=false', '--timeout', '1m30s', '-ojson', '--to-revision=3'],
      specs,
    );
    expect(p.args).toEqual(['cloneset/web']);
    expect(p.flags).toEqual({
      namespace: 'prod',
      watch: false,
      timeout: 90_000,
      output: 'json',
      'to-revision': 3,
    });
  });

  it('keeps defaults, accepts -n=value, bare booleans and repeated or comma-separated lists', () => {
    const p = parseArgs(['-n=dev', '--pods', 'a,b', '--pods=c', '-w', 'x', '--', '--not-a-flag'], specs);
    expect(p.flags).toMatchObject({ namespace: 'dev', pods: ['a', 'b', 'c'], watch: true, timeout: 0 });
    expect(p.args).toEqual(['x', '--not-a-flag']);
  });

  it.each([
    [['--bogus'], 'unknown flag: --bogus'],
    [['-x'], "unknown shorthand flag: 'x' in -x"],
    [['--namespace'], 'flag needs an argument: --namespace'],
    [['--watch=maybe'], 'invalid argument "maybe" for --watch: want true or false'],
    [['--to-revision', 'two'], 'invalid argument "two" for --to-revision: not an integer'],
    [['--timeout', '5 minutes'], 'want a duration such as 30s, 5m or 1h'],
    [['-o', 'table'], 'invalid argument "table" for --output: want one of json, yaml'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseArgs(argv, specs)).toThrow(UsageError);
    expect(() => parseArgs(argv, specs)).toThrow(message);
  });

  it('reads Go durations', () => {
    expect(parseDuration('t', '500ms')).toBe(500);
    expect(parseDuration('t', '1h2m3s')).toBe(3_723_000);
    expect(parseDuration('t', '0')).toBe(0);
    expect(() => parseDuration('t', '10')).toThrow(UsageError);
  });
});

describe('targets', () => {
  it('reads kind/name and kind name, with kubectl-kruise aliases', () => {
    expect(parseTarget(['cs/web'], ['CloneSet']).target).toEqual({ kind: 'CloneSet', name: 'web' });
    expect(parseTarget(['asts', 'db', 'extra'], ['StatefulSet'])).toEqual({
      target: { kind: 'StatefulSet', name: 'db' },
      rest: ['extra'],
    });
    expect(kindOf('statefulset.apps.kruise.io')).toBe('StatefulSet');
    expect(kindOf('BCJ')).toBe('BroadcastJob');
  });

  it.each([
    [[], 'a resource is required, e.g. cloneset/web'],
    [['cloneset'], 'a name is required after "cloneset"'],
    [['pod/x'], 'unknown kind "pod"'],
    [['a/b/c'], '"a/b/c" is not of the form kind/name'],
    [['sidecarset/s'], 'this command does not work on SidecarSet: want one of CloneSet, StatefulSet'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseTarget(args, ['CloneSet', 'StatefulSet'])).toThrow(message);
  });
});
