import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const COMPONENTS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'etcd',
  'kwok',
] as const;
export type Component = (typeof COMPONENTS)[number];

/** The versions tools/build-control-plane.sh builds, from tools/versions.env. */
export function controlPlaneVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'tools', 'versions.env'), 'utf8');
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) versions[match[1]] = match[2];
  }
  return versions;
}

/**
 * Where the control-plane binaries are: OUTRIGGER_K8S_BIN, or the build cache.
 * Throws an error that says how to get them when any is missing.
 */
export function resolveBinDir(): string {
  const fromEnv = process.env.OUTRIGGER_K8S_BIN;
  const dir =
    fromEnv ?? path.join(REPO_ROOT, '.cache', 'k8s', controlPlaneVersions().K8S_VERSION ?? 'unknown', 'bin');
  const missing = COMPONENTS.filter((name) => !isExecutable(path.join(dir, name)));
  if (missing.length > 0) {
    const source = fromEnv ? `OUTRIGGER_K8S_BIN=${fromEnv}` : dir;
    throw new Error(
      `control-plane binaries missing in ${source}: ${missing.join(', ')}.\n` +
        "Build them with 'npm run build:k8s' (needs Go >= 1.26), point OUTRIGGER_K8S_BIN at a directory " +
        'that has them, or set OUTRIGGER_TEST_KUBECONFIG to use an existing cluster.',
    );
  }
  return dir;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
