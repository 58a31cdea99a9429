// config/samples/<kind>/<feature>.yaml: one file per documented feature, one document per served version
// that can express it. The documents of a file are the same object, so each must convert into the others.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { convertObject, toInternal } from '../../apis/convert';
import type { Json } from '../../apis/convert-util';
import { applyDefaults } from '../../apis/defaults';
import { isKindName, KIND_NAMES, KINDS } from '../../apis/kinds';
import { deepEqual } from '../../runtime/json';
import { formatFieldErrors, validate } from '../../webhooks/validation';
import { SAMPLES_DIR, sampleFiles } from './testing/samples';

const files = sampleFiles();
const docs = files.flatMap(({ file, docs }) => docs.map((doc) => ({ file, doc })));
const kindOf = (doc: Json) => doc.kind as keyof typeof KINDS;
/** Every document under config/samples, mesh/ included. */
const allSampleDocs = () =>
  fs
    .readdirSync(SAMPLES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(SAMPLES_DIR, file), 'utf8')).map((d) => ({
        file,
        doc: d.toJS() as Json | null,
      })),
    );
type PodSpec = { tolerations?: { key?: string }[] };
/** The pod specs a document carries: a Pod's own, or a workload's template. */
const podTemplates = (doc: Json | null): PodSpec[] => {
  const spec = doc?.spec as Json | undefined;
  if (!spec) return [];
  if (doc?.kind === 'Pod') return [spec as PodSpec];
  const template = spec.template as { spec?: PodSpec } | undefined;
  return template?.spec ? [template.spec] : [];
};
/** The parts two versions of one object must agree on once converted. */
const content = (o: Json) => ({ labels: (o.metadata as Json)?.labels, spec: o.spec });

describe('config/samples', () => {
  it('has several features per kind, each in every served version that can express it', () => {
    for (const kind of KIND_NAMES) {
      const ofKind = files.filter(({ docs }) => docs[0]?.kind === kind);
      expect(ofKind.length).toBeGreaterThanOrEqual(5);
      for (const v of KINDS[kind].versions) {
        expect(docs.some(({ doc }) => doc.kind === kind && doc.apiVersion === v.apiVersion)).toBe(true);
      }
    }
  });

  it('names each object once per kind and namespace, and keeps files to one kind folder', () => {
    const seen = new Map<string, string>();
    for (const { file, docs } of files) {
      expect(file.split(path.sep)[0]).toBe(String(docs[0]?.kind).toLowerCase());
      for (const doc of docs) {
        const meta = doc.metadata as Json;
        const key = `${doc.kind}/${meta.namespace ?? ''}/${meta.name}`;
        expect([undefined, file]).toContain(seen.get(key));
        seen.set(key, file);
      }
    }
  });

  it.each(files.map((f) => [f.file, f] as const))(
    '%s: its documents are one object in different versions',
    (_f, { docs }) => {
      expect(new Set(docs.map((d) => `${d.kind}/${(d.metadata as Json).name}`)).size).toBe(1);
      expect(new Set(docs.map((d) => d.apiVersion)).size).toBe(docs.length);
      // What etcd keeps: defaulted, in the storage version.
      const stored = (d: Json) => {
        const storage = KINDS[kindOf(d)].versions.find((v) => v.storage)!.apiVersion;
        return content(convertObject(applyDefaults(kindOf(d), toInternal(d)) as Json, storage));
      };
      const seen = docs.map(stored);
      for (const other of seen.slice(1)) expect(other).toEqual(seen[0]);
    },
  );

  it.each(docs.map(({ file, doc }) => [`${file} ${doc.apiVersion}`, doc] as const))(
    '%s uses a served version and its scope, parses with its schema and passes validation',
    (_name, doc) => {
      expect(isKindName(doc.kind)).toBe(true);
      const info = KINDS[kindOf(doc)];
      const version = info.versions.find((v) => v.apiVersion === doc.apiVersion);
      expect(version).toBeDefined();
      expect(Boolean((doc.metadata as Json).namespace)).toBe(info.scope === 'Namespaced');
      expect(version!.schema.safeParse(doc).success).toBe(true);
      const internal = toInternal(doc);
      expect(formatFieldErrors(validate(info.kind, internal))).toBe('[]');
      expect(validate(info.kind, internal, internal)).toEqual([]);
      const defaulted = applyDefaults(info.kind, structuredClone(internal));
      expect(info.schema.safeParse(defaulted).success).toBe(true);
      // Defaults seen through the sample's own version change nothing the sample said.
      const back = convertObject(defaulted as Json, String(doc.apiVersion));
      expect(deepEqual(content(back).labels, content(doc).labels)).toBe(true);
    },
  );

  it('pod templates need no toleration for the nodes of npm start, which carry no kwok taint', () => {
    const kwokTolerations = allSampleDocs().flatMap(({ file, doc }) =>
      podTemplates(doc)
        .flatMap((spec) => spec.tolerations ?? [])
        .filter((t) => t.key?.startsWith('kwok.x-k8s.io/'))
        .map(() => file),
    );
    expect(kwokTolerations).toEqual([]);
  });
});

// The service-mesh walkthrough (config/samples/mesh/) is written in v1alpha1 only: its SidecarSets must still
// be expressible in every served version, unchanged by the round trip.
describe('config/samples/mesh SidecarSets', () => {
  const dir = path.join(SAMPLES_DIR, 'mesh');
  const sidecarSets = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Json),
    )
    .filter((doc) => doc?.kind === 'SidecarSet');

  it('are there', () => {
    expect(sidecarSets.length).toBeGreaterThanOrEqual(2);
  });

  it.each(
    sidecarSets.flatMap((doc) =>
      KINDS.SidecarSet.versions.map((v) => [(doc.metadata as Json).name, v.apiVersion, doc] as const),
    ),
  )('%s converts to %s and back unchanged, and validates there', (_name, apiVersion, doc) => {
    const converted = convertObject(doc, apiVersion);
    expect(
      KINDS.SidecarSet.versions.find((v) => v.apiVersion === apiVersion)!.schema.safeParse(converted).success,
    ).toBe(true);
    expect(formatFieldErrors(validate('SidecarSet', toInternal(converted)))).toBe('[]');
    expect(convertObject(converted, String(doc.apiVersion))).toEqual(doc);
  });
});
