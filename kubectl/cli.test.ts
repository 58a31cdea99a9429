import { COMMANDS, complete, findCommand, helpText, main } from './cli';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      err += t;
    },
    tty: false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('the command line', () => {
  it('finds commands by their leading words', () => {
    expect(findCommand(['rollout', 'plan', 'cs/web', '-o', 'json'])).toMatchObject({
      command: { path: ['rollout', 'plan'] },
      rest: ['cs/web', '-o', 'json'],
    });
    expect(findCommand(['rollout'])).toEqual({ group: 'rollout', rest: [] });
    expect(findCommand(['scaledown', 'cs/web']).command?.path).toEqual(['scaledown']);
  });

  it('every command has help with an example, and --help prints it without a cluster', async () => {
    for (const command of COMMANDS) {
      const { code, out } = await run([...command.path, '--help']);
      expect(code).toBe(0);
      expect(out).toContain(`Usage: kubectl outrigger ${command.usage}`);
      expect(out).toContain('--kubeconfig');
      expect(command.examples.length).toBeGreaterThan(0);
    }
    expect(helpText()).toMatch(/rollout plan\s+Preview a rollout/);
  });

  it('bad input fails before any kubeconfig is read', async () => {
    expect(await run(['rollout', 'frobnicate'])).toEqual({
      code: 1,
      out: '',
      err: `error: unknown command "rollout frobnicate" for "kubectl outrigger"\nRun 'kubectl outrigger --help' for usage.\n`,
    });
    const badKind = await run(['rollout', 'undo', 'deployment/web', '--kubeconfig', '/nonexistent']);
    expect(badKind.code).toBe(1);
    expect(badKind.err).toMatch(/this command does not work on Deployment/);
    const noPods = await run(['scaledown', 'cloneset/web', '--kubeconfig', '/nonexistent']);
    expect(noPods.err).toMatch(/--pods is required/);
    const noTo = await run(['migrate', 'deployment/web', '--kubeconfig', '/nonexistent']);
    expect(noTo.err).toMatch(/--to is required/);
  });

  it('completes commands, kinds and flag values, and answers kubectl plugin completion', async () => {
    expect(complete([''])).toEqual(['rollout', 'scaledown', 'migrate', 'completion']);
    expect(complete(['rollout', 'p'])).toEqual(['pause', 'plan']);
    expect(complete(['rollout', 'plan', ''])).toEqual(['cloneset/', 'statefulset/', 'asts/']);
    expect(complete(['rollout', 'status', 'b'])).toEqual(['broadcastjob/']);
    expect(complete(['migrate', ''])).toEqual(['deployment/']);
    expect(complete(['rollout', 'plan', 'cs/web', '-o', ''])).toEqual(['json', 'yaml']);
    expect(complete(['rollout', 'status', 'cs/web', '--ti'])).toEqual(['--timeout']);
    const { out } = await run(['__complete', 'rollout', 'un']);
    expect(out).toBe('undo\n:4\n');
    expect((await run(['completion', 'bash'])).out).toContain(
      'complete -F _kubectl_outrigger kubectl-outrigger',
    );
    expect((await run(['completion', 'zsh'])).out).toContain('compdef _kubectl_outrigger kubectl-outrigger');
    expect((await run(['completion', 'fish'])).code).toBe(1);
  });
});
