import type { ControllerRevision } from '../../apis/core-objects';
import type { SidecarSet } from '../../apis/sidecarset';
import { pod, sidecarSet } from '../../controllers/sidecarset/testing/fixtures';
import { applyJsonPatch } from '../../runtime/json';
import type { AdmissionRequest } from '../admission';
import { type PodInjectionSources, podInjectionHandler } from './handler';

function sources(sets: SidecarSet[], overrides: Partial<PodInjectionSources> = {}) {
  const calls = { namespaceLabels: 0, revisions: 0 };
  const s: PodInjectionSources = {
    waitForSync: async () => true,
    sidecarSets: () => sets,
    namespaceLabels: async () => {
      calls.namespaceLabels++;
      return { env: 'prod' };
    },
    revisions: async (): Promise<ControllerRevision[]> => {
      calls.revisions++;
      return [];
    },
    ...overrides,
  };
  return { s, calls };
}

const request = (overrides: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: 'u1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  namespace: 'team-a',
  operation: 'CREATE',
  // As the apiserver sends it: JSON, no undefined members.
  object: JSON.parse(
    JSON.stringify(pod({}, { namespace: undefined, name: undefined, generateName: 'web-' })),
  ),
  ...overrides,
});

const handle = (s: PodInjectionSources, req: AdmissionRequest) =>
  podInjectionHandler(s, { operatorNamespace: 'outrigger-system', now: () => new Date(0) })(
    req,
    new AbortController().signal,
  );

describe('pod injection webhook handler', () => {
  it('patches a created pod with the sidecars of the SidecarSets selecting it', async () => {
    const { s, calls } = sources([
      sidecarSet('mesh'),
      sidecarSet('db', { selector: { matchLabels: { app: 'db' } } }),
    ]);
    const req = request();
    const result = await handle(s, req);
    if (result.type !== 'patch') throw new Error(JSON.stringify(result));
    const patched = applyJsonPatch(req.object, result.ops) as ReturnType<typeof pod>;
    expect(patched.spec.containers.map((c) => c.name)).toEqual(['mesh-sidecar', 'app']);
    expect(patched.metadata.annotations?.['kruise.io/sidecarset-injected-list']).toBe('mesh');
    expect(calls).toEqual({ namespaceLabels: 0, revisions: 0 });
  });

  it('reads namespace labels only for SidecarSets with a namespaceSelector', async () => {
    const { s, calls } = sources([
      sidecarSet('mesh', { namespaceSelector: { matchLabels: { env: 'prod' } } }),
    ]);
    expect((await handle(s, request())).type).toBe('patch');
    expect(calls.namespaceLabels).toBe(1);
  });

  it('reads revisions only for SidecarSets pinned to one', async () => {
    const pinned = sidecarSet('mesh', {
      injectionStrategy: { revision: { revisionName: 'x', policy: 'Always' } },
    });
    const { s, calls } = sources([pinned]);
    const result = await handle(s, request());
    expect(calls.revisions).toBe(1);
    expect(result).toMatchObject({ type: 'denied', code: 403 });
    expect((result as { message: string }).message).toBe(
      'pod team-a/web-* cannot be injected: SidecarSet mesh: injectionStrategy.revision: ControllerRevision "x" of SidecarSet mesh not found',
    );
  });

  it.each<[string, Partial<AdmissionRequest>]>([
    ['an update', { operation: 'UPDATE', oldObject: pod() as never }],
    ['a subresource', { subResource: 'status' }],
    ['another resource', { resource: { group: '', version: 'v1', resource: 'services' } }],
    ['kube-system', { namespace: 'kube-system' }],
    ['the operator namespace', { namespace: 'outrigger-system' }],
  ])('allows %s unchanged', async (_name, overrides) => {
    const { s } = sources([sidecarSet('mesh')]);
    expect(await handle(s, request(overrides))).toEqual({ type: 'allowed', warnings: undefined });
  });

  it('denies while the caches are not synced instead of admitting a pod without sidecars', async () => {
    const { s } = sources([sidecarSet('mesh')], { waitForSync: async () => false });
    expect(await handle(s, request())).toMatchObject({ type: 'denied', code: 503 });
  });

  it('denies a create without a pod', async () => {
    const { s } = sources([]);
    expect(await handle(s, request({ object: null }))).toMatchObject({ type: 'denied', code: 400 });
  });
});
