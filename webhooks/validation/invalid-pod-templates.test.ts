import { convertObject, toInternal } from '../../apis/convert';
import { KIND_NAMES, KINDS } from '../../apis/kinds';
import { formatFieldErrors, validate } from '.';
import { baseObject, INVALID_POD_TEMPLATES } from './testing/invalid-pod-templates';

const everyVersion = KIND_NAMES.flatMap((k) => KINDS[k].versions.map((v) => [k, v.apiVersion] as const));

describe('invalid pod templates', () => {
  it('are at least 60, over every kind and served version, with unique names', () => {
    expect(INVALID_POD_TEMPLATES.length).toBeGreaterThanOrEqual(60);
    const seen = new Set(INVALID_POD_TEMPLATES.map((c) => `${c.kind} ${c.object.apiVersion}`));
    for (const [kind, apiVersion] of everyVersion) expect(seen).toContain(`${kind} ${apiVersion}`);
    const names = INVALID_POD_TEMPLATES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(everyVersion)('the %s every case starts from is valid as %s', (kind, apiVersion) => {
    const base = convertObject(baseObject(kind, 'pt-base'), apiVersion);
    expect(formatFieldErrors(validate(kind, toInternal(base)))).toBe('[]');
  });

  it.each(INVALID_POD_TEMPLATES.map((c) => [c.name, c] as const))(
    '%s is rejected naming its field',
    (_name, c) => {
      const errors = validate(c.kind, toInternal(c.object));
      expect(errors.map((e) => e.field)).toContain(c.field);
    },
  );
});
