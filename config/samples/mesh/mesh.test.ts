// The mesh samples are valid SidecarSets that, together, inject the demo apps as their comments say.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyDefaults } from '../../../apis/defaults';
import type { SidecarSet } from '../../../apis/sidecarset';
import type { Pod } from '../../../controllers/inplace';
import { injectSidecars } from '../../../controllers/sidecarset/inject';
import { matchingSidecarSets } from '../../../controllers/sidecarset/match';
import { withHashes } from '../../../controllers/sidecarset/revisions';
import { formatFieldErrors, validate } from '../../../webhooks/validation';

type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, never>;
const docs = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(__dirname, f), 'utf8')).map((d) => d.toJS() as Doc),
  );
const sidecarSets = docs.filter((d) => d.kind === 'SidecarSet') as unknown as SidecarSet[];
const configuration = (
  docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }
).data;
const namespace = docs.find((d) => d.kind === 'Namespace')!;

function podOf(deployment: string): Pod {
  const d = docs.find((doc) => doc.kind === 'Deployment' && doc.metadata.name === deployment) as unknown as {
    spec: { template: { metadata: Pod['metadata']; spec: Pod['spec'] } };
  };
  return { metadata: { ...d.spec.template.metadata, namespace: 'mesh-demo' }, spec: d.spec.template.spec };
}

function inject(deployment: string): Pod {
  const defaulted = sidecarSets.map((s) => withHashes(applyDefaults('SidecarSet', structuredClone(s))));
  const pod = podOf(deployment);
  const matching = matchingSidecarSets(defaulted, pod, 'mesh-demo', namespace.metadata.labels);
  const result = injectSidecars(pod, matching);
  if (result.type !== 'injected') throw new Error(JSON.stringify(result));
  return result.pod;
}
const names = (list?: { name: string }[]) => (list ?? []).map((c) => c.name);

describe('config/samples/mesh', () => {
  it.each(sidecarSets.map((s) => [s.metadata?.name, s] as const))('%s passes admission', (_name, ss) => {
    const others = sidecarSets.filter((s) => s !== ss);
    expect(
      formatFieldErrors(validate('SidecarSet', ss, undefined, { sidecarSets: others, configuration })),
    ).toBe('[]');
  });

  it('classic: iptables init, Envoy before the app, the log agent after it, prometheus annotations', () => {
    const pod = inject('shop-classic');
    expect(names(pod.spec.initContainers)).toEqual(['mesh-init']);
    expect(names(pod.spec.containers)).toEqual(['envoy', 'app', 'log-agent']);
    expect(pod.spec.containers[0]?.env).toContainEqual({ name: 'SERVICE_NAME', value: 'shop' });
    expect(pod.spec.containers[2]?.env).toContainEqual({ name: 'TZ', value: 'Europe/Paris' });
    expect(pod.spec.containers[2]?.volumeMounts).toContainEqual({
      name: 'logs',
      mountPath: '/var/log/nginx',
    });
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15090',
    });
    expect(pod.metadata.annotations?.['kruise.io/sidecarset-injected-list']).toBe('envoy-classic,log-agent');
  });

  it('native: iptables init then Envoy as a restartPolicy Always init container', () => {
    const pod = inject('shop-native');
    expect(names(pod.spec.initContainers)).toEqual(['mesh-init', 'mesh-proxy']);
    expect(pod.spec.initContainers?.[1]?.restartPolicy).toBe('Always');
    expect(names(pod.spec.containers)).toEqual(['app', 'log-agent']);
  });
});
