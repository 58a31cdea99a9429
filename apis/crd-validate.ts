// A small validator for the structural subset our generated CRD schemas use (type, enum, required,
// properties, items, additionalProperties, int-or-string, preserve-unknown-fields). It predicts which
// objects the apiserver's schema validation rejects, so tests can check where a rejection comes from.
import type { JSONSchema } from './crd-schema';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOk(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** Violations as "path: problem"; an empty list means the schema accepts the value. */
export function crdSchemaErrors(schema: JSONSchema, value: unknown, path = ''): string[] {
  if (value === undefined) return [];
  const at = path || '<root>';
  if (schema['x-kubernetes-int-or-string']) {
    return Number.isInteger(value) || typeof value === 'string'
      ? []
      : [`${at}: must be an integer or a string`];
  }
  if (!typeOk(schema.type, value)) return [`${at}: must be of type ${schema.type}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${at}: Unsupported value`];
  const errs: string[] = [];
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      errs.push(...crdSchemaErrors(schema.items as JSONSchema, item, `${path}[${i}]`));
    }
  }
  if (isObject(value)) errs.push(...objectErrors(schema, value, path));
  return errs;
}

function objectErrors(schema: JSONSchema, value: Record<string, unknown>, path: string): string[] {
  const errs: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const join = (k: string) => (path ? `${path}.${k}` : k);
  for (const r of (schema.required as string[] | undefined) ?? []) {
    if (value[r] === undefined) errs.push(`${join(r)}: Required value`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (props[k]) errs.push(...crdSchemaErrors(props[k], v, join(k)));
    else if (isObject(schema.additionalProperties)) {
      errs.push(...crdSchemaErrors(schema.additionalProperties as JSONSchema, v, join(k)));
    }
  }
  return errs;
}
