// `npm start` end to end: the local cluster and the manager come up, answer, and Ctrl-C leaves nothing behind.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../cluster/binaries';
import { freePort, probe } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { createClient } from '../../runtime/client';
import { type KubeObject, Nodes } from '../../runtime/meta';
import { itOnLocalCluster } from '../cluster/e2e';

/** PIDs whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('npm start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  itOnLocalCluster('runs the cluster and the manager until Ctrl-C, then stops everything', async () => {
    const healthPort = await freePort();
    child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'cmd', 'start.ts'), '--health-port', String(healthPort)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let output = '';
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));

    const kubeconfig = await waitFor(
      'the ready message',
      () => /kubeconfig:\s+(\S+)/.exec(output)?.[1],
      120_000,
    );
    expect(output).toContain(`kubectl --kubeconfig ${kubeconfig} get nodes`);
    const clusterDir = path.dirname(kubeconfig);

    const nodes = await createClient(kubeconfig)
      .resource<KubeObject & { status: { conditions: { type: string; status: string }[] } }>(Nodes)
      .list();
    expect(nodes.items).toHaveLength(3);
    for (const node of nodes.items) {
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    await waitFor(
      'the manager to be ready',
      async () => (await probe(`http://127.0.0.1:${healthPort}/readyz`)) === 200,
      60_000,
    );
    expect(await probe(`http://127.0.0.1:${healthPort}/healthz`)).toBe(200);
    expect(processesMentioning(clusterDir).length).toBeGreaterThanOrEqual(5);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('outrigger start: stopped');
    expect(processesMentioning(clusterDir)).toEqual([]);
    expect(processesMentioning(`127.0.0.1:${healthPort}`)).toEqual([]);
  });
});
