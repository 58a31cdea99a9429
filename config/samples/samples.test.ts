import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { applyDefaults } from '../../apis/defaults';
import { isKindName, KINDS } from '../../apis/kinds';
import { formatFieldErrors, validate } from '../../webhooks/validation';

const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.yaml'));
const samples = files.map((f) => [f, parse(fs.readFileSync(path.join(__dirname, f), 'utf8'))] as const);

describe('config/samples', () => {
  it('has one sample per kind', () => {
    expect(samples.map(([, s]) => s.kind).sort()).toEqual([
      'BroadcastJob',
      'CloneSet',
      'SidecarSet',
      'StatefulSet',
    ]);
  });

  it.each(samples)('%s uses the served apiVersion and scope', (_file, sample) => {
    expect(isKindName(sample.kind)).toBe(true);
    const info = KINDS[sample.kind as keyof typeof KINDS];
    expect(sample.apiVersion).toBe(info.apiVersion);
    expect(Boolean(sample.metadata.namespace)).toBe(info.scope === 'Namespaced');
  });

  it.each(samples)('%s parses with the zod schema before and after defaulting', (_file, sample) => {
    const info = KINDS[sample.kind as keyof typeof KINDS];
    expect(info.schema.safeParse(sample).success).toBe(true);
    expect(info.schema.safeParse(applyDefaults(info.kind, structuredClone(sample))).success).toBe(true);
  });

  it.each(samples)('%s passes the validating rules, on create and as a no-op update', (_file, sample) => {
    const errors = validate(sample.kind, sample);
    expect(formatFieldErrors(errors)).toBe('[]');
    expect(validate(sample.kind, sample, sample)).toEqual([]);
  });

  it('the BroadcastJob sample pre-pulls an image on every node and finishes', () => {
    const job = samples.find(([, s]) => s.kind === 'BroadcastJob')![1];
    expect(job.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(job.spec.template.spec.nodeSelector).toBeUndefined();
    expect(job.spec.completionPolicy.type).toBe('Always');
  });

  it('the CloneSet sample demonstrates an in-place update strategy', () => {
    const clone = samples.find(([, s]) => s.kind === 'CloneSet')![1];
    expect(['InPlaceIfPossible', 'InPlaceOnly']).toContain(clone.spec.updateStrategy.type);
  });
});
