// Two manager processes elect exactly one leader through a Lease; SIGKILL the leader and the other one
// takes over within leaseDuration + 5 s.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { installCrds } from '../../apis/install';
import { REPO_ROOT } from '../../cluster/binaries';
import { freePort } from '../../cluster/net';
import { waitFor } from '../../cluster/wait';
import { isNotFound } from '../../runtime/errors';
import { type KubeObject, Leases } from '../../runtime/meta';
import { e2eClient, e2eKubeconfigPath } from '../cluster/e2e';

const LEASE_DURATION_MS = 15_000;
const LEASE_NAMESPACE = 'default';

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseTransitions?: number };
}

/** One `cmd/manager.ts` process, its health port and its log output (pino JSON). */
interface ManagerProcess {
  child: ChildProcess;
  port: number;
  output: string;
}

function startManagerProcess(port: number, leaseName: string): ManagerProcess {
  const args = [
    '--import',
    'tsx',
    path.join(REPO_ROOT, 'cmd', 'manager.ts'),
    '--kubeconfig',
    e2eKubeconfigPath(),
    '--health-addr',
    `127.0.0.1:${port}`,
    '--leader-election-namespace',
    LEASE_NAMESPACE,
    '--leader-election-id',
    leaseName,
  ];
  // OUTRIGGER_EXIT_WITH_PARENT: should jest die before afterAll, the managers stop on their own.
  const env = { ...process.env, OUTRIGGER_EXIT_WITH_PARENT: '1' };
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: ManagerProcess = { child, port, output: '' };
  child.stdout?.on('data', (chunk) => (proc.output += chunk));
  child.stderr?.on('data', (chunk) => (proc.output += chunk));
  return proc;
}

/** The identity in the process's "became leader" log line (pino JSON), if it logged one. */
function leaderIdentityLogged(proc: ManagerProcess): string | undefined {
  // The last element may be a line still being written.
  for (const line of proc.output.split('\n').slice(0, -1)) {
    if (line.includes('"became leader"')) return (JSON.parse(line) as { identity?: string }).identity;
  }
  return undefined;
}

function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

/** leader_election_master_status for the lease on one process's /metrics; undefined if it does not answer. */
async function masterStatus(proc: ManagerProcess, leaseName: string): Promise<number | undefined> {
  try {
    const { body } = await httpGet(proc.port, '/metrics');
    const line = body
      .split('\n')
      .find((l) => l.startsWith(`leader_election_master_status{name="${leaseName}"}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  } catch {
    return undefined;
  }
}

describe('leader election between two manager processes', () => {
  const leaseName = `runtime-e2e-${randomBytes(3).toString('hex')}`;
  const leases = () => e2eClient().resource<Lease>(Leases);
  const managers: ManagerProcess[] = [];
  const holder = async () =>
    (await leases().get({ namespace: LEASE_NAMESPACE, name: leaseName })).spec?.holderIdentity;

  // The managers' informers watch our CRs: they sync, and so campaign, only once the CRDs exist.
  beforeAll(async () => {
    await installCrds(e2eClient());
  });

  afterAll(async () => {
    for (const { child } of managers)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await leases()
      .delete({ namespace: LEASE_NAMESPACE, name: leaseName })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  });

  it('elects exactly one leader and hands over within leaseDuration + 5 s after a SIGKILL', async () => {
    for (const port of [await freePort(), await freePort()])
      managers.push(startManagerProcess(port, leaseName));
    const statuses = () => Promise.all(managers.map((m) => masterStatus(m, leaseName)));
    const [leader, follower] = await waitFor(
      'one manager to lead and the other to follow',
      async () => {
        const [a, b] = await statuses();
        if (a === 1 && b === 0) return managers;
        if (a === 0 && b === 1) return [managers[1], managers[0]];
        return undefined;
      },
      120_000,
    ).catch((err: Error) => {
      const logs = managers.map((m) => `--- manager on port ${m.port}:\n${m.output.slice(-3000)}`);
      throw new Error([err.message, ...logs].join('\n'));
    });
    if (!leader || !follower) throw new Error('two managers expected');
    const leaderIdentity = await waitFor('the leader to log its identity', () =>
      leaderIdentityLogged(leader),
    );
    expect(leaderIdentity).toMatch(/^.+_[0-9a-f-]{36}$/); // hostname_uuid
    expect(await holder()).toBe(leaderIdentity);
    expect(leaderIdentityLogged(follower)).toBeUndefined();
    // Still exactly one after a few renewals.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await statuses()).toEqual(managers.map((m) => (m === leader ? 1 : 0)));
    expect(await holder()).toBe(leaderIdentity);
    expect((await httpGet(follower.port, '/healthz')).status).toBe(200);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await waitFor(
      'the follower to take over',
      async () => (await masterStatus(follower, leaseName)) === 1,
      60_000,
    );
    const handoverMs = Date.now() - killedAt;
    const followerIdentity = await waitFor('the new leader to log', () => leaderIdentityLogged(follower));
    expect(followerIdentity).not.toBe(leaderIdentity);
    expect(await holder()).toBe(followerIdentity);
    expect(handoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + 5000);

    // SIGTERM: the new leader stops, releases the lease and exits cleanly.
    const exited = new Promise((resolve) => follower.child.once('exit', (code) => resolve(code)));
    follower.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await holder()).toBe('');
  });
});
