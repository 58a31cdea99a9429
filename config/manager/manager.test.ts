// The manager's Deployment serves failurePolicy: Fail webhooks: the settings that keep one replica up and
// let a stopping one finish cleanly are checked here, so an edit cannot silently drop them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_GRACEFUL_SHUTDOWN_MS } from '../../runtime/manager';

interface Manifest {
  kind: string;
  metadata: { name: string };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec: any;
}

const read = (file: string) =>
  parseAllDocuments(fs.readFileSync(path.join(__dirname, file), 'utf8')).map((d) => d.toJS() as Manifest);
const kustomization = read('kustomization.yaml')[0] as unknown as { resources: string[] };
const objects = kustomization.resources.flatMap(read);
const deployment = objects.find((o) => o.kind === 'Deployment')!;
const pod = deployment.spec.template.spec;
const manager = pod.containers.find((c: { name: string }) => c.name === 'manager');
const podLabels = deployment.spec.template.metadata.labels;

describe('config/manager', () => {
  it('runs two replicas and replaces them new-first', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
  });

  it('has a PodDisruptionBudget keeping one replica through drains', () => {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0]!.spec.minAvailable).toBe(1);
    expect(pdbs[0]!.spec.selector.matchLabels).toEqual(podLabels);
  });

  it('spreads the replicas over nodes', () => {
    const byHost = pod.topologySpreadConstraints.find(
      (c: { topologyKey: string }) => c.topologyKey === 'kubernetes.io/hostname',
    );
    expect(byHost).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(byHost.labelSelector.matchLabels).toEqual(podLabels);
  });

  it('runs with the RuntimeDefault seccomp profile, non-root, without capabilities', () => {
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(manager.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('fits the preStop delay and the whole shutdown budget into the grace period', () => {
    const preStopSeconds = manager.lifecycle.preStop.sleep.seconds;
    expect(preStopSeconds).toBeGreaterThanOrEqual(5);
    expect(preStopSeconds * 1000 + DEFAULT_GRACEFUL_SHUTDOWN_MS).toBeLessThan(
      pod.terminationGracePeriodSeconds * 1000,
    );
  });
});
