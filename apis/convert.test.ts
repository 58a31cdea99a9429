import fc from 'fast-check';
import { deepEqual } from '../runtime/json';
import { CONVERSION_STASH_ANNOTATION, ConversionError, convertObject, toInternal } from './convert';
import type { Json } from './convert-util';
import { type JSONSchema, toStructuralSchema } from './crd-schema';
import { crdSchemaErrors } from './crd-validate';
import { KIND_NAMES, KINDS, type KindName } from './kinds';
import { CloneSetScalingExcludePreparingDeleteLabel, SidecarSetCustomVersionLabel } from './well-known';

const template = {
  metadata: { labels: { app: 'web' }, creationTimestamp: null },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25', futureField: { kept: true } }], futureSpec: 1 },
};

// Defaulted objects: v1alpha1 says nothing about PVC reuse (reuse), v1beta1 says it explicitly.
const cloneSetAlpha = (spec: Json, labels?: Record<string, string>) => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'CloneSet',
  metadata: { name: 'web', namespace: 'default', ...(labels && { labels }) },
  spec: { selector: { matchLabels: { app: 'web' } }, template, scaleStrategy: {}, ...spec },
});
const cloneSetBeta = (spec: Json, labels?: Record<string, string>) => ({
  ...cloneSetAlpha({ scaleStrategy: { enablePVCReuse: true }, ...spec }, labels),
  apiVersion: 'apps.kruise.io/v1beta1',
});

const withoutStash = (obj: Json): Json => {
  const copy = structuredClone(obj) as { metadata?: { annotations?: Record<string, string> } };
  delete copy.metadata?.annotations?.[CONVERSION_STASH_ANNOTATION];
  if (copy.metadata?.annotations && Object.keys(copy.metadata.annotations).length === 0) {
    delete copy.metadata.annotations;
  }
  return copy as Json;
};

describe('CloneSet v1alpha1 ↔ v1beta1', () => {
  it.each([
    [
      'ReCreate with rolling fields',
      { updateStrategy: { type: 'ReCreate', partition: '20%', maxSurge: 1, paused: true } },
      {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { podUpdatePolicy: 'ReCreate', partition: '20%', maxSurge: 1, paused: true },
        },
      },
    ],
    [
      'InPlaceIfPossible with in-place and order strategies',
      {
        updateStrategy: {
          type: 'InPlaceIfPossible',
          inPlaceUpdateStrategy: { gracePeriodSeconds: 10, imagePreDownloadParallelism: 2 },
          priorityStrategy: { orderPriority: [{ orderedKey: 'rank' }] },
          scatterStrategy: [{ key: 'zone', value: 'a' }],
        },
      },
      {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            podUpdatePolicy: 'InPlaceIfPossible',
            inPlaceUpdateStrategy: { gracePeriodSeconds: 10, imagePreDownloadParallelism: 2 },
            priorityStrategy: { orderPriority: [{ orderedKey: 'rank' }] },
            scatterStrategy: [{ key: 'zone', value: 'a' }],
          },
        },
      },
    ],
    [
      'OnDelete keeps its rolling fields',
      { updateStrategy: { type: 'OnDelete', maxUnavailable: 2 } },
      { updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 2 } } },
    ],
    [
      'PVC reuse in the inverse sense',
      { scaleStrategy: { disablePVCReuse: true, podsToDelete: ['web-abcde'], maxUnavailable: 1 } },
      { scaleStrategy: { enablePVCReuse: false, podsToDelete: ['web-abcde'], maxUnavailable: 1 } },
    ],
  ])('%s', (_name, alphaSpec, betaSpec) => {
    const alpha = cloneSetAlpha(alphaSpec);
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    expect(withoutStash(beta)).toEqual(cloneSetBeta(betaSpec));
    expect(convertObject(beta, 'apps.kruise.io/v1alpha1')).toEqual(alpha);
    // The v1beta1 spelling converts to the same v1alpha1 object without any stash.
    expect(convertObject(cloneSetBeta(betaSpec), 'apps.kruise.io/v1alpha1')).toEqual(alpha);
  });

  it('maps the exclude-preparing-delete label to scaleStrategy.excludePreparingDelete', () => {
    const alpha = cloneSetAlpha({}, { [CloneSetScalingExcludePreparingDeleteLabel]: 'true', team: 'a' });
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    expect(beta).toEqual(
      cloneSetBeta({ scaleStrategy: { enablePVCReuse: true, excludePreparingDelete: true } }, { team: 'a' }),
    );
    expect(convertObject(beta, 'apps.kruise.io/v1alpha1')).toEqual(alpha);
  });

  it('keeps the original spelling through a stash when the v1beta1 form cannot tell it apart', () => {
    const alpha = cloneSetAlpha({ scaleStrategy: { disablePVCReuse: false } });
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    expect((beta.spec as Json).scaleStrategy).toEqual({ enablePVCReuse: true });
    expect(beta.metadata).toHaveProperty(['annotations', CONVERSION_STASH_ANNOTATION]);
    expect(convertObject(beta, 'apps.kruise.io/v1alpha1')).toEqual(alpha);
  });

  it('never lets a stale stash undo an edit made in the other version', () => {
    const alpha = cloneSetAlpha({ scaleStrategy: { disablePVCReuse: false } });
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1') as { spec: { scaleStrategy: Json } };
    beta.spec.scaleStrategy.enablePVCReuse = false;
    const back = convertObject(beta as Json, 'apps.kruise.io/v1alpha1');
    expect((back.spec as Json).scaleStrategy).toEqual({ disablePVCReuse: true });
    expect(back.metadata).not.toHaveProperty(['annotations', CONVERSION_STASH_ANNOTATION]);
  });
});

describe('Advanced StatefulSet v1beta1 ↔ v1alpha1', () => {
  const beta = {
    apiVersion: 'apps.kruise.io/v1beta1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template,
      reserveOrdinals: [1, '4-6'],
      lifecycle: { preDelete: { labelsHandler: { hold: 'true' } } },
      ordinals: { start: 2 },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 1 } },
    },
    status: {
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      volumeClaims: [],
    },
  };

  it('drops the v1beta1-only fields from the v1alpha1 view and restores them on the way back', () => {
    const alpha = convertObject(beta, 'apps.kruise.io/v1alpha1');
    expect(alpha.spec).not.toHaveProperty('reserveOrdinals');
    expect(alpha.status).not.toHaveProperty('volumeClaims');
    expect(convertObject(alpha, 'apps.kruise.io/v1beta1')).toEqual(beta);
  });

  it('keeps the v1beta1-only fields when the v1alpha1 view is edited', () => {
    const alpha = convertObject(beta, 'apps.kruise.io/v1alpha1') as { spec: Json; status: Json };
    alpha.spec.replicas = 5;
    alpha.status.replicas = 4;
    const back = convertObject(alpha as Json, 'apps.kruise.io/v1beta1') as typeof beta;
    expect(back.spec).toEqual({ ...beta.spec, replicas: 5 });
    expect(back.status).toEqual({ ...beta.status, replicas: 4 });
  });

  it('reads a v1alpha1 manifest as v1beta1 field for field', () => {
    const { reserveOrdinals: _r, lifecycle: _l, ordinals: _o, ...alphaSpec } = beta.spec;
    const alpha = { ...beta, apiVersion: 'apps.kruise.io/v1alpha1', spec: alphaSpec, status: undefined };
    expect(convertObject(alpha, 'apps.kruise.io/v1beta1')).toEqual({
      ...alpha,
      apiVersion: 'apps.kruise.io/v1beta1',
    });
  });
});

describe('SidecarSet v1alpha1 ↔ v1beta1', () => {
  const alpha = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'SidecarSet',
    metadata: { name: 'agent', labels: { [SidecarSetCustomVersionLabel]: 'v2' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      namespace: 'shop',
      containers: [{ name: 'agent', image: 'agent:2', podInjectPolicy: 'AfterAppContainer' }],
    },
  };

  it('turns namespace into a namespaceSelector and the custom-version label into spec.customVersion', () => {
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    expect(withoutStash(beta)).toEqual({
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'SidecarSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
        containers: [{ name: 'agent', image: 'agent:2', podInjectPolicy: 'AfterAppContainer' }],
        customVersion: 'v2',
      },
    });
    // The v1alpha1 view of the stored v1beta1 object still says `namespace: shop`.
    expect(convertObject(beta, 'apps.kruise.io/v1alpha1')).toEqual(alpha);
  });

  it('shows a controller status update in both versions', () => {
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    beta.status = { matchedPods: 3, updatedPods: 2, readyPods: 3, observedGeneration: 4 };
    const back = convertObject(beta, 'apps.kruise.io/v1alpha1');
    expect(back).toEqual({ ...alpha, status: beta.status });
  });
});

describe('BroadcastJob v1alpha1 ↔ v1beta1', () => {
  it('only changes the apiVersion', () => {
    const alpha = {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'BroadcastJob',
      metadata: { name: 'job' },
      spec: { template, parallelism: '50%', completionPolicy: { type: 'Never' } },
    };
    expect(convertObject(alpha, 'apps.kruise.io/v1beta1')).toEqual({
      ...alpha,
      apiVersion: 'apps.kruise.io/v1beta1',
    });
  });
});

describe('convertObject', () => {
  it('refuses kinds and versions that are not ours, with a message naming the served ones', () => {
    expect(() => convertObject({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'apps/v1')).toThrow(
      ConversionError,
    );
    expect(() =>
      convertObject({ apiVersion: 'apps.kruise.io/v1', kind: 'CloneSet' }, 'apps.kruise.io/v1alpha1'),
    ).toThrow(/served: apps.kruise.io\/v1alpha1, apps.kruise.io\/v1beta1/);
  });

  it('ignores a stash that is not ours to read', () => {
    const alpha = cloneSetAlpha({});
    (alpha.metadata as Json).annotations = { [CONVERSION_STASH_ANNOTATION]: '{not json' };
    const beta = convertObject(alpha, 'apps.kruise.io/v1beta1');
    expect(beta.metadata).not.toHaveProperty('annotations');
  });

  it('converts to the internal version for the controllers', () => {
    expect(toInternal(cloneSetBeta({ updateStrategy: { type: 'RollingUpdate' } }))).toEqual(
      cloneSetAlpha({ updateStrategy: { type: 'ReCreate' } }),
    );
  });
});

// Random objects from each version's CRD schema: every shape the apiserver would store, with unknown
// fields inside the preserve-unknown-fields subtrees (pod templates, containers, volumes).
const SPECIAL_LABELS = [CloneSetScalingExcludePreparingDeleteLabel, SidecarSetCustomVersionLabel, 'app'];

function arbitraryFor(schema: JSONSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema['x-kubernetes-int-or-string']) {
    return fc.oneof(fc.integer({ min: -2, max: 200 }), fc.constantFrom('25%', '100%', '3', 'x'));
  }
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'integer':
      return fc.integer({ min: -3, max: 1000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'string':
      return schema.format === 'date-time'
        ? fc.constantFrom('2026-01-02T03:04:05Z', '2025-12-31T23:59:59Z')
        : fc.constantFrom('', 'a', 'web', 'shop', 'true', 'false', 'ReCreate', 'é/✓');
    case 'array':
      return fc.array(arbitraryFor(schema.items as JSONSchema, depth + 1), { maxLength: 2 });
    default:
      return objectArbitrary(schema, depth);
  }
}

function objectArbitrary(schema: JSONSchema, depth: number): fc.Arbitrary<unknown> {
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const extra = schema.additionalProperties as JSONSchema | undefined;
  if (extra)
    return fc.dictionary(fc.constantFrom('a', 'b', 'c'), arbitraryFor(extra, depth + 1), { maxKeys: 2 });
  const known = fc.record(
    Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arbitraryFor(s, depth + 1)])),
    { requiredKeys: (schema.required as string[] | undefined) ?? [] },
  );
  if (!schema['x-kubernetes-preserve-unknown-fields']) return known;
  const unknown = fc.dictionary(fc.constantFrom('future', 'x-1', 'nested'), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 2,
  });
  return fc.tuple(unknown, known).map(([u, k]) => ({ ...u, ...(k as Json) }));
}

function objectsOf(kind: KindName, apiVersion: string, schema: JSONSchema): fc.Arbitrary<Json> {
  const props = schema.properties as Record<string, JSONSchema>;
  const labels = fc.dictionary(
    fc.constantFrom(...SPECIAL_LABELS),
    fc.constantFrom('true', 'false', 'v1', ''),
    {
      maxKeys: 3,
    },
  );
  const metadata = fc.record(
    { name: fc.constant('obj'), labels, annotations: fc.dictionary(fc.constantFrom('note'), fc.string()) },
    { requiredKeys: ['name'] },
  );
  return fc
    .record(
      { metadata, spec: arbitraryFor(props.spec!), status: arbitraryFor(props.status!) },
      { requiredKeys: ['metadata'] },
    )
    .map((o) => ({ apiVersion, kind, ...o }));
}

describe('conversion properties', () => {
  const cases = KIND_NAMES.flatMap((kind) =>
    KINDS[kind].versions.flatMap((from) =>
      KINDS[kind].versions.filter((to) => to !== from).map((to) => [kind, from, to] as const),
    ),
  );

  it.each(cases.map(([k, f, t]) => [`${k} ${f.name} → ${t.name} → ${f.name}`, k, f, t] as const))(
    '%s returns the same object, valid in the other version on the way',
    (_name, kind, from, to) => {
      const fromSchema = toStructuralSchema(from.schema);
      const toSchema = toStructuralSchema(to.schema);
      fc.assert(
        fc.property(objectsOf(kind, from.apiVersion, fromSchema), (obj) => {
          const converted = convertObject(obj, to.apiVersion);
          expect(converted.apiVersion).toBe(to.apiVersion);
          expect(crdSchemaErrors(toSchema, { ...converted, metadata: {} })).toEqual([]);
          const back = convertObject(converted, from.apiVersion);
          expect(deepEqual(back, obj)).toBe(true);
        }),
        { numRuns: Number(process.env.CONVERSION_RUNS ?? 300) },
      );
    },
  );
});
