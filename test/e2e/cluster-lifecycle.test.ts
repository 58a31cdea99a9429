// The harness itself: data survives an apiserver restart, and no component outlives the cluster,
// whether it is stopped or the process that started it is SIGKILLed.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../cluster/binaries';
import { startLocalCluster } from '../../cluster/cluster';
import { waitFor } from '../../cluster/wait';
import { createClient } from '../../runtime/client';
import { ConfigMaps, type KubeObject } from '../../runtime/meta';
import { itOnLocalCluster } from '../cluster/e2e';

/** PIDs of processes whose command line mentions `dir` (every component gets paths under its work dir). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && !cmdline.includes('cluster-lifecycle')) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-lifecycle-'));

describe('local cluster lifecycle', () => {
  itOnLocalCluster('kube-apiserver restarts on the same etcd and keeps the data', async () => {
    const workDir = tempDir();
    const cluster = await startLocalCluster({
      workDir,
      controllerManager: false,
      scheduler: false,
      kwok: false,
    });
    try {
      const client = createClient(cluster.kubeconfigPath);
      const configMaps = client.resource<KubeObject & { data?: Record<string, string> }>(ConfigMaps);
      const created = await configMaps.create({
        metadata: { name: 'keep-me', namespace: 'default' },
        data: { k: 'v' },
      });
      await cluster.restartApiServer();
      const read = await configMaps.get({ namespace: 'default', name: 'keep-me' });
      expect(read.metadata?.uid).toBe(created.metadata?.uid);
      expect(read.data).toEqual({ k: 'v' });
      client.close();
    } finally {
      await cluster.stop();
    }
    expect(processesUsing(workDir)).toEqual([]);
  });

  itOnLocalCluster('stop() ends every component', async () => {
    const workDir = tempDir();
    const cluster = await startLocalCluster({ workDir, nodes: [{ name: 'lifecycle-node' }] });
    expect(processesUsing(workDir).length).toBeGreaterThanOrEqual(5);
    await cluster.stop();
    expect(processesUsing(workDir)).toEqual([]);
  });

  itOnLocalCluster('a SIGKILLed harness process leaves no orphaned component', async () => {
    const workDir = tempDir();
    const script = `
      const { startLocalCluster } = require(${JSON.stringify(path.join(REPO_ROOT, 'cluster/cluster.ts'))});
      startLocalCluster({ workDir: ${JSON.stringify(workDir)}, nodes: [] }).then(() => console.log('cluster-ready'));
      setInterval(() => {}, 1000);`;
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    await waitFor('the child cluster to start', () => output.includes('cluster-ready'), 120_000);
    expect(processesUsing(workDir).length).toBeGreaterThanOrEqual(5);
    child.kill('SIGKILL');
    await waitFor('every component to exit', () => processesUsing(workDir).length === 0, 30_000);
  });
});
