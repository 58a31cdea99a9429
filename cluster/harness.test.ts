// Bad input to the harness gets a clear error, before anything starts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, resolveBinDir } from './binaries';
import { assertPortFree, freePort } from './net';

describe('resolveBinDir', () => {
  const saved = process.env.OUTRIGGER_K8S_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.OUTRIGGER_K8S_BIN;
    else process.env.OUTRIGGER_K8S_BIN = saved;
  });

  it('names every missing binary and how to get them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-bin-'));
    fs.writeFileSync(path.join(dir, 'etcd'), '#!/bin/sh\n', { mode: 0o755 });
    process.env.OUTRIGGER_K8S_BIN = dir;
    expect(() => resolveBinDir()).toThrow(
      /missing in OUTRIGGER_K8S_BIN=.*kube-apiserver, kube-controller-manager, kube-scheduler, kwok/,
    );
    expect(() => resolveBinDir()).toThrow(/npm run build:k8s/);
  });
});

describe('build-control-plane.sh', () => {
  // A copy of tools/ in an empty checkout: no cached binaries there.
  function scratchCheckout(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-tools-'));
    fs.cpSync(path.join(REPO_ROOT, 'tools'), path.join(root, 'tools'), { recursive: true });
    return root;
  }
  const run = (root: string, env: Record<string, string>) =>
    spawnSync('bash', [path.join(root, 'tools', 'build-control-plane.sh')], {
      env: { HOME: os.tmpdir(), ...env },
      encoding: 'utf8',
    });

  it('without Go and without cached binaries, says Go is needed and what else works', () => {
    const result = run(scratchCheckout(), { PATH: '/usr/bin:/bin' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no 'go' on PATH/);
    expect(result.stderr).toMatch(/Go >= 1\.26/);
    expect(result.stderr).toMatch(/OUTRIGGER_K8S_BIN/);
  });

  it('without Go but with binaries already built, uses them', () => {
    const root = scratchCheckout();
    const version = /K8S_VERSION=(\S+)/.exec(
      fs.readFileSync(path.join(root, 'tools', 'versions.env'), 'utf8'),
    )?.[1];
    const bin = path.join(root, '.cache', 'k8s', version ?? '', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'kwok']) {
      fs.writeFileSync(path.join(bin, name), '#!/bin/sh\n', { mode: 0o755 });
    }
    const result = run(root, { PATH: '/usr/bin:/bin' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(bin);
  });

  it('rejects an OUTRIGGER_K8S_BIN that lacks a binary', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrigger-bin-'));
    const result = run(scratchCheckout(), { PATH: '/usr/bin:/bin', OUTRIGGER_K8S_BIN: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/has no executable 'kube-apiserver'/);
  });
});

describe('assertPortFree', () => {
  it('names the port and the flag when something already listens there', async () => {
    const server = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await expect(assertPortFree(port, 'manager --health-port')).rejects.toThrow(
        `manager --health-port: port 127.0.0.1:${port} is already in use`,
      );
    } finally {
      server.close();
    }
  });

  it('passes for a free port', async () => {
    await expect(assertPortFree(await freePort(), 'x')).resolves.toBeUndefined();
  });
});
