import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { type JSONSchema, structuralViolations } from './crd-schema';
import { CRD_DIR, generateCrds } from './gen-crds';

const generated = generateCrds();
const crds = Object.fromEntries(Object.entries(generated).map(([name, text]) => [name, parse(text)]));

const INTERNAL: Record<string, string> = {
  'apps.kruise.io_clonesets.yaml': 'v1alpha1',
  'apps.kruise.io_statefulsets.yaml': 'v1beta1',
  'apps.kruise.io_broadcastjobs.yaml': 'v1alpha1',
  'apps.kruise.io_sidecarsets.yaml': 'v1alpha1',
};

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML.
const versionOf = (file: string, name = INTERNAL[file]): any =>
  crds[file].spec.versions.find((v: { name: string }) => v.name === name);

function schemaOf(file: string, version?: string): JSONSchema {
  return versionOf(file, version).schema.openAPIV3Schema;
}

function at(schema: JSONSchema, dotted: string): JSONSchema {
  let node: JSONSchema | undefined = schema;
  for (const key of dotted.split('.')) {
    node =
      key === '[]' ? (node?.items as JSONSchema) : (node?.properties as Record<string, JSONSchema>)?.[key];
  }
  if (!node) throw new Error(`no schema at ${dotted}`);
  return node;
}

describe('crds/ is up to date', () => {
  it('has exactly the generated files', () => {
    const onDisk = fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.sort()).toEqual(Object.keys(generated).sort());
  });

  it.each(Object.keys(generated))('%s matches the zod schemas (run `npm run gen:crds` if not)', (file) => {
    expect(fs.readFileSync(path.join(CRD_DIR, file), 'utf8')).toBe(generated[file]);
  });
});

describe('generated CRDs', () => {
  it.each(Object.keys(generated))('%s has structural schemas in every version', (file) => {
    for (const { name } of crds[file].spec.versions) {
      const schema = schemaOf(file, name);
      expect(schema.type).toBe('object');
      expect(structuralViolations(schema)).toEqual([]);
    }
  });

  it('serves the versions OpenKruise v1.9.0 serves, with its storage versions, and CloneSet v1beta1', () => {
    const versions = Object.fromEntries(
      Object.values(crds).map((c) => [
        c.metadata.name,
        c.spec.versions.map((v: { name: string; served: boolean; storage: boolean }) =>
          [v.name, v.served, v.storage].join(' '),
        ),
      ]),
    );
    expect(versions).toEqual({
      'clonesets.apps.kruise.io': ['v1alpha1 true true', 'v1beta1 true false'],
      'statefulsets.apps.kruise.io': ['v1alpha1 true false', 'v1beta1 true true'],
      'broadcastjobs.apps.kruise.io': ['v1alpha1 true false', 'v1beta1 true true'],
      'sidecarsets.apps.kruise.io': ['v1alpha1 true false', 'v1beta1 true true'],
    });
  });

  it('converts through our webhook Service where versions differ, and by apiVersion alone for BroadcastJob', () => {
    const webhook = {
      strategy: 'Webhook',
      webhook: {
        clientConfig: {
          service: {
            name: 'outrigger-webhook-service',
            namespace: 'outrigger-system',
            path: '/convert',
            port: 443,
          },
        },
        conversionReviewVersions: ['v1'],
      },
    };
    const conversion = (file: string) => crds[file].spec.conversion;
    expect(conversion('apps.kruise.io_clonesets.yaml')).toEqual(webhook);
    expect(conversion('apps.kruise.io_statefulsets.yaml')).toEqual(webhook);
    expect(conversion('apps.kruise.io_sidecarsets.yaml')).toEqual(webhook);
    expect(conversion('apps.kruise.io_broadcastjobs.yaml')).toEqual({ strategy: 'None' });
    expect(schemaOf('apps.kruise.io_broadcastjobs.yaml', 'v1beta1')).toEqual(
      schemaOf('apps.kruise.io_broadcastjobs.yaml', 'v1alpha1'),
    );
  });

  it('shapes each version as OpenKruise does', () => {
    const cloneBeta = schemaOf('apps.kruise.io_clonesets.yaml', 'v1beta1');
    expect(Object.keys(at(cloneBeta, 'spec.updateStrategy').properties as object)).toEqual([
      'type',
      'rollingUpdate',
    ]);
    expect(at(cloneBeta, 'spec.updateStrategy.rollingUpdate.podUpdatePolicy').enum).toEqual([
      'ReCreate',
      'InPlaceIfPossible',
      'InPlaceOnly',
    ]);
    expect(at(cloneBeta, 'spec.scaleStrategy.enablePVCReuse')).toEqual({ type: 'boolean', default: false });
    expect(at(cloneBeta, 'spec.scaleStrategy.excludePreparingDelete')).toEqual({ type: 'boolean' });
    const stsAlpha = schemaOf('apps.kruise.io_statefulsets.yaml', 'v1alpha1');
    for (const f of ['reserveOrdinals', 'lifecycle', 'scaleStrategy', 'ordinals']) {
      expect(at(stsAlpha, 'spec').properties).not.toHaveProperty(f);
    }
    expect(at(stsAlpha, 'status').properties).not.toHaveProperty('volumeClaims');
    const sidecarBeta = schemaOf('apps.kruise.io_sidecarsets.yaml', 'v1beta1');
    expect(at(sidecarBeta, 'spec').properties).not.toHaveProperty('namespace');
    expect(at(sidecarBeta, 'spec.customVersion').type).toBe('string');
  });

  it('uses OpenKruise names, scopes and short names', () => {
    const names = Object.values(crds).map((c) => [
      c.metadata.name,
      c.spec.scope,
      c.spec.names.shortNames ?? [],
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        ['clonesets.apps.kruise.io', 'Namespaced', ['clone']],
        ['statefulsets.apps.kruise.io', 'Namespaced', ['sts', 'asts']],
        ['broadcastjobs.apps.kruise.io', 'Namespaced', ['bcj']],
        ['sidecarsets.apps.kruise.io', 'Cluster', []],
      ]),
    );
  });

  it('serves the compatibility versions with status and scale subresources', () => {
    const version = (file: string) => versionOf(file);
    const scale = {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.labelSelector',
    };
    expect(version('apps.kruise.io_clonesets.yaml').subresources).toEqual({ status: {}, scale });
    expect(version('apps.kruise.io_statefulsets.yaml').subresources).toEqual({ status: {}, scale });
    expect(version('apps.kruise.io_broadcastjobs.yaml').subresources).toEqual({ status: {} });
    expect(version('apps.kruise.io_sidecarsets.yaml').subresources).toEqual({ status: {} });
  });

  it('has the OpenKruise printer columns', () => {
    const cols = (file: string) =>
      versionOf(file).additionalPrinterColumns.map((c: { name: string }) => c.name);
    expect(cols('apps.kruise.io_clonesets.yaml')).toEqual([
      'DESIRED',
      'UPDATED',
      'UPDATED_READY',
      'UPDATED_AVAILABLE',
      'READY',
      'TOTAL',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ]);
    expect(cols('apps.kruise.io_statefulsets.yaml')).toEqual([
      'DESIRED',
      'CURRENT',
      'UPDATED',
      'READY',
      'AGE',
      'CONTAINERS',
      'IMAGES',
    ]);
    expect(cols('apps.kruise.io_broadcastjobs.yaml')).toEqual([
      'Desired',
      'Active',
      'Succeeded',
      'Failed',
      'AGE',
    ]);
    expect(cols('apps.kruise.io_sidecarsets.yaml')).toEqual(['MATCHED', 'UPDATED', 'READY', 'AGE']);
  });

  it('keeps embedded Kubernetes types schemaless', () => {
    const clone = schemaOf('apps.kruise.io_clonesets.yaml');
    expect(at(clone, 'spec.template')).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(at(clone, 'spec.template').properties).toBeUndefined();
    expect(at(clone, 'spec.volumeClaimTemplates.[]')['x-kubernetes-preserve-unknown-fields']).toBe(true);
    const sidecar = at(schemaOf('apps.kruise.io_sidecarsets.yaml'), 'spec.containers.[]');
    expect(sidecar['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(Object.keys(sidecar.properties as object)).toEqual(
      expect.arrayContaining(['podInjectPolicy', 'upgradeStrategy', 'shareVolumePolicy', 'transferEnv']),
    );
    expect(sidecar.properties).not.toHaveProperty('image');
  });

  it('emits int-or-string fields the way controller-gen does', () => {
    const intOrString = {
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    };
    const clone = schemaOf('apps.kruise.io_clonesets.yaml');
    for (const f of ['partition', 'maxUnavailable', 'maxSurge']) {
      expect(at(clone, `spec.updateStrategy.${f}`)).toEqual(intOrString);
    }
    const sts = schemaOf('apps.kruise.io_statefulsets.yaml');
    expect(at(sts, 'spec.updateStrategy.rollingUpdate.maxUnavailable')).toEqual(intOrString);
    expect(at(sts, 'spec.updateStrategy.rollingUpdate.partition')).toEqual({
      type: 'integer',
      format: 'int32',
    });
    expect(at(sts, 'spec.reserveOrdinals.[]')).toEqual(intOrString);
    expect(at(schemaOf('apps.kruise.io_broadcastjobs.yaml'), 'spec.parallelism')).toEqual({
      ...intOrString,
      description: expect.any(String),
    });
  });

  it('requires selector and template, and the OpenKruise status fields', () => {
    const clone = schemaOf('apps.kruise.io_clonesets.yaml');
    expect(at(clone, 'spec').required).toEqual(['selector', 'template']);
    expect(at(clone, 'status').required).toEqual([
      'replicas',
      'readyReplicas',
      'availableReplicas',
      'updatedReplicas',
      'updatedReadyReplicas',
    ]);
    expect(at(schemaOf('apps.kruise.io_broadcastjobs.yaml'), 'spec').required).toEqual(['template']);
    expect(at(schemaOf('apps.kruise.io_sidecarsets.yaml'), 'spec').required).toBeUndefined();
  });

  it('carries the defaults OpenKruise puts in its CRDs', () => {
    const sidecar = schemaOf('apps.kruise.io_sidecarsets.yaml');
    expect(at(sidecar, 'spec.injectionStrategy.revision.policy').default).toBe('Always');
    expect(at(sidecar, 'spec.containers.[].resourcesPolicy.targetContainersNameRegex').default).toBe('.*');
    expect(at(sidecar, 'spec.imagePullSecrets.[].name').default).toBe('');
  });
});

describe('structuralViolations', () => {
  it('flags the constructs the apiserver rejects', () => {
    const bad: JSONSchema = {
      type: 'object',
      properties: {
        untyped: {},
        union: { anyOf: [{ type: 'string' }, { type: 'object' }] },
        ref: { $ref: '#/x', type: 'object' },
        closed: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      },
      required: ['missing'],
    };
    expect(structuralViolations(bad)).toEqual([
      '.untyped: missing type',
      '.union: missing type',
      '.union: anyOf without int-or-string',
      '.ref: $ref not allowed',
      '.closed: additionalProperties false',
      ': required missing not in properties',
    ]);
  });
});
