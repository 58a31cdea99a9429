import { toStructuralSchema } from '../../apis/crd-schema';
import { crdSchemaErrors } from '../../apis/crd-validate';
import { applyDefaults } from '../../apis/defaults';
import { KINDS, type KindName } from '../../apis/kinds';
import type { SidecarSet } from '../../apis/sidecarset';
import { formatFieldError, formatFieldErrors, type PodFacts, validate, validateDelete } from './index';
import { dns1123SubdomainErrors } from './names';
import { expressionError } from './sidecar-containers';
import {
  INVALID_CASES,
  type InvalidCase,
  validBroadcastJob,
  validCloneSet,
  validSidecarSet,
  validStatefulSet,
} from './testing/invalid-cases';

const schemas = Object.fromEntries(
  Object.values(KINDS).map((k) => [k.kind, toStructuralSchema(k.schema)]),
) as Record<KindName, ReturnType<typeof toStructuralSchema>>;

/**
 * What the apiserver itself rejects: the CRD schema (after mutating defaults), ObjectMeta name rules, and
 * the scale subresource's check that spec.replicas is non-negative.
 */
function apiserverErrors(kind: KindName, obj: Record<string, unknown>): string[] {
  const defaulted = applyDefaults(kind, structuredClone(obj)) as { spec?: { replicas?: unknown } };
  const name = (obj.metadata as { name?: string } | undefined)?.name ?? '';
  const errs = [
    ...crdSchemaErrors(schemas[kind], defaulted),
    ...dns1123SubdomainErrors(name).map((m) => `metadata.name: ${m}`),
  ];
  const replicas = defaulted.spec?.replicas;
  if (KINDS[kind].scale && typeof replicas === 'number' && replicas < 0)
    errs.push('.spec.replicas: should be a non-negative integer');
  return errs;
}

// What the cluster holds for a case: its `existing` objects, and no pods.
const ctxOf = (c: InvalidCase) => ({
  sidecarSets: (c.existing ?? []) as SidecarSet[],
  podsToDelete: new Map<string, PodFacts>(),
});

describe('valid base objects', () => {
  it.each([
    ['CloneSet', validCloneSet()],
    ['StatefulSet', validStatefulSet()],
    ['BroadcastJob', validBroadcastJob()],
    ['SidecarSet', validSidecarSet()],
  ] as const)('%s base passes both layers', (kind, obj) => {
    expect(apiserverErrors(kind, obj)).toEqual([]);
    expect(validate(kind, obj)).toEqual([]);
  });
});

describe('invalid cases', () => {
  it('has at least 60 cases spread across the four kinds, with unique names', () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(60);
    for (const kind of Object.keys(KINDS)) {
      expect(INVALID_CASES.filter((c) => c.kind === kind).length).toBeGreaterThanOrEqual(10);
    }
    const names = INVALID_CASES.map((c) => `${c.kind}/${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  const table = INVALID_CASES.map((c) => [`${c.kind} ${c.name} (${c.layer})`, c] as const);

  it.each(table)('%s is rejected naming its field', (_label, c) => {
    if (c.oldObject) {
      expect(validate(c.kind, c.oldObject)).toEqual([]);
    }
    for (const existing of c.existing ?? []) expect(validate(c.kind, existing)).toEqual([]);
    const errors = validate(c.kind, c.object, c.oldObject, ctxOf(c));
    expect(errors.map((e) => e.field)).toEqual(expect.arrayContaining([expect.stringContaining(c.field)]));
    expect(formatFieldErrors(errors)).toContain(`${c.field}`);
  });

  it.each(table)('%s is rejected by the layer it names', (_label, c) => {
    const byApiserver = apiserverErrors(c.kind, c.object);
    if (c.layer === 'schema') {
      expect(byApiserver).toEqual(expect.arrayContaining([expect.stringContaining(c.field)]));
    } else {
      expect(byApiserver).toEqual([]);
    }
  });

  it('passes once the conflicting SidecarSet is gone', () => {
    const c = INVALID_CASES.find((x) => x.existing)!;
    expect(validate(c.kind, c.object)).toEqual([]);
  });
});

describe('error format', () => {
  it('puts the field path first', () => {
    const obj = validCloneSet();
    obj.spec.updateStrategy = { maxUnavailable: 0, maxSurge: 0 };
    const [err] = validate('CloneSet', obj);
    expect(formatFieldError(err!)).toMatch(/^spec\.updateStrategy\.maxUnavailable: must be /);
  });

  it('reports non-objects at the root', () => {
    expect(validate('CloneSet', 'x')[0]?.field).toBe('<root>');
  });
});

describe('rules that need a closer look', () => {
  it('accepts StatefulSet maxUnavailable > 1 with Parallel', () => {
    const obj = validStatefulSet();
    obj.spec.podManagementPolicy = 'Parallel';
    obj.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '50%' } };
    expect(validate('StatefulSet', obj)).toEqual([]);
  });

  it('allows SidecarSet selector with a zero partition', () => {
    const obj = validSidecarSet();
    obj.spec.updateStrategy = { partition: 0, selector: { matchLabels: { canary: 'true' } } };
    expect(validate('SidecarSet', obj)).toEqual([]);
  });

  it('treats any string SidecarSet partition, even 0%, as set when a selector is given', () => {
    const obj = validSidecarSet();
    obj.spec.updateStrategy = { partition: '0%', selector: { matchLabels: { canary: 'true' } } };
    expect(validate('SidecarSet', obj)[0]?.field).toBe('spec.updateStrategy.partition');
    obj.spec.updateStrategy.type = 'NotUpdate';
    expect(validate('SidecarSet', obj)).toEqual([]);
  });

  it('allows image-only template changes under InPlaceOnly', () => {
    const old = validCloneSet();
    old.spec.updateStrategy = { type: 'InPlaceOnly' };
    const next = structuredClone(old);
    next.spec.template.spec.containers[0].image = 'nginx:1.26';
    next.spec.replicas = 5;
    expect(validate('CloneSet', next, old)).toEqual([]);
  });

  it('allows a template label read by env under InPlaceOnly (the controller restarts the container in place)', () => {
    const old = validCloneSet();
    old.spec.updateStrategy = { type: 'InPlaceOnly' };
    old.spec.template.spec.containers[0].env = [
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
    ];
    const next = structuredClone(old);
    next.spec.template.metadata.labels.tier = 'b';
    expect(validate('CloneSet', next, old)).toEqual([]);
  });

  it('accepts fractional percentages, which the controller resolves with the same parser', () => {
    const obj = validCloneSet();
    obj.spec.updateStrategy = { maxUnavailable: '12.5%', partition: '37.5%' };
    expect(validate('CloneSet', obj)).toEqual([]);
  });

  it('allows BroadcastJob TTL with completionPolicy Always', () => {
    const obj = validBroadcastJob();
    obj.spec.completionPolicy = { type: 'Always', ttlSecondsAfterFinished: 10, activeDeadlineSeconds: 60 };
    expect(validate('BroadcastJob', obj)).toEqual([]);
  });

  it('ignores SidecarSets in other namespaces or with disjoint selectors', () => {
    const mine = validSidecarSet('mine');
    mine.spec.containers[0].name = 'shared';
    mine.spec.namespace = 'team-a';
    const other = validSidecarSet('other');
    other.spec.selector = mine.spec.selector;
    other.spec.containers[0].name = 'shared';
    other.spec.namespace = 'team-b';
    expect(validate('SidecarSet', mine, undefined, { sidecarSets: [other] })).toEqual([]);
    other.spec.namespace = 'team-a';
    expect(validate('SidecarSet', mine, undefined, { sidecarSets: [other] })[0]?.field).toBe(
      'spec.containers[0].name',
    );
  });
});

describe('resource expressions', () => {
  it.each([
    ['cpu', undefined],
    ['max(cpu * 50%, 50m)', undefined],
    ['min(cpu*2, 100m) + 10m', undefined],
    ['-(cpu / 2)', 'calculation result is negative'],
    ['memory', 'undefined variable: memory'],
    ['cpu * (2', 'parse error: expected ")"'],
    ['cpu +', 'parse error: unexpected end of expression'],
    ['cpu # 2', 'parse error: unexpected "#" at 5'],
  ])('%s', (expr, want) => {
    expect(expressionError(expr, 'cpu')).toBe(want);
  });
});

describe('validateDelete (deletion protection)', () => {
  const withLabel = (value: string, replicas: number) => {
    const obj = validCloneSet();
    obj.metadata.labels = { 'policy.kruise.io/delete-protection': value };
    obj.spec.replicas = replicas;
    return obj;
  };

  it('forbids deleting an Always-protected CloneSet or StatefulSet', () => {
    expect(validateDelete('CloneSet', withLabel('Always', 0))[0]?.field).toBe(
      'metadata.labels[policy.kruise.io/delete-protection]',
    );
    expect(validateDelete('StatefulSet', withLabel('Always', 0))).toHaveLength(1);
  });

  it('forbids Cascading deletion only while replicas > 0', () => {
    expect(validateDelete('CloneSet', withLabel('Cascading', 2))).toHaveLength(1);
    expect(validateDelete('CloneSet', withLabel('Cascading', 0))).toEqual([]);
  });

  it('allows unprotected objects, objects already being deleted, and other kinds', () => {
    expect(validateDelete('CloneSet', validCloneSet())).toEqual([]);
    const deleting = withLabel('Always', 1);
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(validateDelete('CloneSet', deleting)).toEqual([]);
    expect(validateDelete('BroadcastJob', withLabel('Always', 1))).toEqual([]);
  });
});

describe('StatefulSet template checks', () => {
  it('check the whole pod spec at admission, not only when pods are created (upstream checks labels only)', () => {
    const obj = validStatefulSet();
    delete obj.spec.template.spec.containers[0].image;
    expect(validate('StatefulSet', obj).map((e) => e.field)).toEqual([
      'spec.template.spec.containers[0].image',
    ]);
  });

  it('count volumeClaimTemplates as volumes for volumeMounts', () => {
    const obj = validStatefulSet();
    obj.spec.volumeClaimTemplates = [
      { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } },
    ];
    obj.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    expect(validate('StatefulSet', obj)).toEqual([]);
  });

  it('take names that are DNS labels, not subdomains', () => {
    expect(validate('StatefulSet', validStatefulSet('db.primary')).map((e) => e.field)).toEqual([
      'metadata.name',
    ]);
  });
});

describe('status', () => {
  it('is ignored: the webhook validates what users write', () => {
    const obj = validCloneSet();
    obj.status = {};
    expect(validate('CloneSet', obj)).toEqual([]);
  });
});
