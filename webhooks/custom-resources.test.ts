import { SidecarSetHashAnnotation, SidecarSetHashWithoutImageAnnotation } from '../apis/well-known';
import { applyJsonPatch } from '../runtime/json';
import {
  ADMISSION_V1,
  AdmissionRegistry,
  type AdmissionRequest,
  MAX_MESSAGE_BYTES,
  reviewAdmission,
} from './admission';
import { type CustomResourceWebhookOptions, registerCustomResourceWebhooks } from './custom-resources';
import { MAX_FIELD_ERRORS, type PodFacts } from './validation';

function registry(options: Partial<CustomResourceWebhookOptions> = {}) {
  const r = new AdmissionRegistry();
  registerCustomResourceWebhooks(r, { listSidecarSets: async () => [], ...options });
  return r;
}

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'nginx:1.25' }] },
};

function cloneSet(
  apiVersion: string,
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion,
    kind: 'CloneSet',
    metadata: { name: 'web', namespace: 'shop', uid: 'cs-uid', ...extra },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template, ...spec },
  };
}

async function review(
  path: string,
  object: Record<string, unknown>,
  r = registry(),
  oldObject?: Record<string, unknown>,
) {
  const version = String(object.apiVersion).split('/')[1]!;
  const request: AdmissionRequest = {
    uid: 'req-1',
    kind: { group: 'apps.kruise.io', version, kind: String(object.kind) },
    resource: { group: 'apps.kruise.io', version, resource: 'clonesets' },
    operation: oldObject ? 'UPDATE' : 'CREATE',
    namespace: 'shop',
    name: 'web',
    object,
    oldObject,
  };
  const body = Buffer.from(JSON.stringify({ apiVersion: ADMISSION_V1, kind: 'AdmissionReview', request }));
  const reply = await reviewAdmission(r.get(path)!, body, { timeoutMs: 60_000 });
  return { reply, response: JSON.parse(reply.body).response };
}

const patched = (object: unknown, response: { patch?: string }) =>
  response.patch
    ? (applyJsonPatch(object, JSON.parse(Buffer.from(response.patch, 'base64').toString())) as {
        spec: Record<string, unknown>;
      })
    : (object as { spec: Record<string, unknown> });

describe('CloneSet admission in every served version', () => {
  it('defaults a v1beta1 CloneSet in v1beta1 terms', async () => {
    const object = cloneSet('apps.kruise.io/v1beta1');
    const { response } = await review('/mutate-apps-kruise-io-cloneset', object);
    const spec = patched(object, response).spec;
    expect(spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { podUpdatePolicy: 'ReCreate', partition: 0, maxUnavailable: '20%', maxSurge: 0 },
    });
    // v1beta1 reuses PVCs only when asked to.
    expect(spec.scaleStrategy).toEqual({ enablePVCReuse: false });
    expect(spec.revisionHistoryLimit).toBe(10);
  });

  it('names v1beta1 fields when a v1beta1 CloneSet is invalid', async () => {
    const object = cloneSet('apps.kruise.io/v1beta1', {
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { podUpdatePolicy: 'InPlaceOnly', maxSurge: 1 },
      },
    });
    const { response } = await review('/validate-apps-kruise-io-cloneset', object);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain('spec.updateStrategy.rollingUpdate.maxSurge');
  });
});

describe('scaleStrategy.podsToDelete', () => {
  const facts: Record<string, PodFacts> = {
    'web-mine': { terminating: false, controllerUid: 'cs-uid' },
    'web-going': { terminating: true, controllerUid: 'cs-uid' },
    'other-pod': { terminating: false, controllerUid: 'other-uid' },
  };
  const lookups: string[][] = [];
  const r = registry({
    getPods: async (_ns, names) => {
      lookups.push([...names]);
      return new Map(names.filter((n) => facts[n]).map((n) => [n, facts[n]!]));
    },
  });
  const withPods = (podsToDelete: string[]) =>
    cloneSet('apps.kruise.io/v1alpha1', { scaleStrategy: { podsToDelete } });

  it('accepts pods that exist, are not terminating and belong to this CloneSet', async () => {
    const { response } = await review(
      '/validate-apps-kruise-io-cloneset',
      withPods(['web-mine']),
      r,
      withPods([]),
    );
    expect(response.allowed).toBe(true);
  });

  it.each([
    ['web-missing', 'not found'],
    ['web-going', 'already terminating'],
    ['other-pod', 'not owned by this CloneSet'],
  ])('refuses %s (%s)', async (name, why) => {
    const { response } = await review('/validate-apps-kruise-io-cloneset', withPods([name]), r, withPods([]));
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain('spec.scaleStrategy.podsToDelete');
    expect(response.status.message).toContain(why);
  });

  it('checks only names added by this update', async () => {
    lookups.length = 0;
    const before = withPods(['web-going']);
    const { response } = await review(
      '/validate-apps-kruise-io-cloneset',
      withPods(['web-going', 'web-mine']),
      r,
      before,
    );
    expect(response.allowed).toBe(true);
    expect(lookups).toEqual([['web-mine']]);
  });
});

describe('bounded replies', () => {
  // A ~3.5 MiB review: 60,000 containers, each with three errors.
  const huge = cloneSet('apps.kruise.io/v1alpha1', {
    template: {
      ...template,
      spec: {
        containers: Array.from({ length: 60_000 }, (_, i) => ({
          name: `C_${i}`,
          ports: [{ containerPort: 0 }],
        })),
      },
    },
  });

  it('a denial names at most about 100 field errors in at most 8 KiB', async () => {
    const { reply, response } = await review('/validate-apps-kruise-io-cloneset', huge);
    expect(response.allowed).toBe(false);
    const message: string = response.status.message;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(message).toContain('spec.template.spec.containers[0].name');
    expect(message.split('spec.template.spec.containers[').length - 1).toBeLessThanOrEqual(
      MAX_FIELD_ERRORS + 1,
    );
    expect(reply.body.length).toBeLessThan(MAX_MESSAGE_BYTES + 1024);
  });

  it('a patch too large to store is a clear denial', async () => {
    const { reply, response } = await review('/mutate-apps-kruise-io-cloneset', huge);
    expect(response.allowed).toBe(false);
    expect(response.status).toMatchObject({ code: 413, message: expect.stringContaining('-byte patch') });
    expect(reply.body.length).toBeLessThan(1024);
  });

  it('a patch of many small changes is sent as a few whole-member replacements', async () => {
    const many = cloneSet('apps.kruise.io/v1alpha1', {
      template: {
        ...template,
        spec: {
          containers: Array.from({ length: 4_000 }, (_, i) => ({ name: `c-${i}`, image: 'nginx:1.25' })),
        },
      },
    });
    const { response } = await review('/mutate-apps-kruise-io-cloneset', many);
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString());
    expect(ops.length).toBeLessThanOrEqual(3);
    const containers = (
      patched(many, response).spec.template as { spec: { containers: { imagePullPolicy?: string }[] } }
    ).spec.containers;
    expect(containers.every((c) => c.imagePullPolicy === 'Always')).toBe(true);
  });
});

describe('SidecarSet admission in every served version', () => {
  const sidecarSet = (apiVersion: string, spec: Record<string, unknown> = {}) => ({
    apiVersion,
    kind: 'SidecarSet',
    metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      containers: [{ name: 'agent', image: 'busybox:1.36' }],
      ...spec,
    },
  });
  const annotations = (object: unknown, response: { patch?: string }) =>
    (patched(object, response) as unknown as { metadata: { annotations?: Record<string, string> } }).metadata
      .annotations;

  it('stamps the same revision hashes whichever version the SidecarSet is written in', async () => {
    const alpha = sidecarSet('apps.kruise.io/v1alpha1');
    const beta = sidecarSet('apps.kruise.io/v1beta1');
    const a = annotations(alpha, (await review('/mutate-apps-kruise-io-sidecarset', alpha)).response);
    const b = annotations(beta, (await review('/mutate-apps-kruise-io-sidecarset', beta)).response);
    expect(a?.[SidecarSetHashAnnotation]).toMatch(/\S/);
    expect(b?.[SidecarSetHashAnnotation]).toBe(a?.[SidecarSetHashAnnotation]);
    expect(b?.[SidecarSetHashWithoutImageAnnotation]).toBe(a?.[SidecarSetHashWithoutImageAnnotation]);
  });

  it('defaults a SidecarSet with a malformed quantity without hashes, and validation names the field', async () => {
    const object = sidecarSet('apps.kruise.io/v1beta1', {
      containers: [{ name: 'agent', image: 'busybox:1.36', resources: { requests: { cpu: 'half' } } }],
    });
    const mutated = await review('/mutate-apps-kruise-io-sidecarset', object);
    expect(mutated.response.allowed).toBe(true);
    expect(annotations(object, mutated.response)?.[SidecarSetHashAnnotation]).toBeUndefined();
    const { response } = await review('/validate-apps-kruise-io-sidecarset', object);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain('spec.containers[0].resources.requests[cpu]');
  });

  it('checks a v1beta1 SidecarSet against its references, naming the field', async () => {
    const seen: unknown[] = [];
    const r = registry({
      sidecarSetReferences: async (ss) => {
        seen.push(ss.apiVersion);
        return { revisions: [] };
      },
    });
    const object = sidecarSet('apps.kruise.io/v1beta1', {
      injectionStrategy: { revision: { customVersion: 'v2' } },
    });
    const { response } = await review('/validate-apps-kruise-io-sidecarset', object, r);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain('spec.injectionStrategy.revision');
    // The rule reads the internal version, as the controller does.
    expect(seen).toEqual(['apps.kruise.io/v1alpha1']);
  });
});
