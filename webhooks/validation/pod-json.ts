// Reading the schemaless parts of pod templates (probes, security contexts, volume sources, ...): the
// CRDs store them as x-kubernetes-preserve-unknown-fields, so any JSON can arrive and a wrong type must
// be reported as the apiserver's decoder would, not crash a check.
import { tryParseQuantity } from '../../apis/quantity';
import { isPlainObject } from '../../runtime/json';
import { child, type FieldError, invalid, required } from './field-error';

export type J = Record<string, unknown>;

export const asObj = (v: unknown): J | undefined => (isPlainObject(v) ? v : undefined);
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const isSet = (v: unknown) => v !== undefined && v !== null;

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'boolean';

function typeOf(v: unknown): JsonType | 'number' | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

/** Type errors for the listed members of `obj` (absent members are fine). */
export function memberTypes(obj: J, path: string, types: Record<string, JsonType>): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, type] of Object.entries(types)) {
    const v = obj[key];
    if (isSet(v) && typeOf(v) !== type) errs.push(invalid(child(path, key), v, `must be of type ${type}`));
  }
  return errs;
}

/** An object at `path` (or absent); a non-object value is an error. */
export function objectAt(v: unknown, path: string, errs: FieldError[]): J | undefined {
  if (!isSet(v)) return undefined;
  const o = asObj(v);
  if (!o) errs.push(invalid(path, v, 'must be of type object'));
  return o;
}

/**
 * Visits each object of the list at `path` (entries that are not objects are reported), collecting
 * what `visit` pushes onto `errs`.
 */
export function eachObject(
  value: unknown,
  path: string,
  visit: (obj: J, path: string, errs: FieldError[], i: number) => void,
): FieldError[] {
  const errs: FieldError[] = [];
  listAt(value, path, errs).forEach((raw, i) => {
    const p = `${path}[${i}]`;
    const obj = objectAt(raw, p, errs);
    if (obj) visit(obj, p, errs, i);
  });
  return errs;
}

/** A list at `path` (or empty when absent); a non-list value is an error. */
export function listAt(v: unknown, path: string, errs: FieldError[]): unknown[] {
  if (!isSet(v)) return [];
  if (!Array.isArray(v)) errs.push(invalid(path, v, 'must be of type array'));
  return asList(v);
}

export function nonNegativeInt(v: unknown, path: string): FieldError[] {
  if (!isSet(v)) return [];
  if (!Number.isInteger(v)) return [invalid(path, v, 'must be of type integer')];
  return (v as number) < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function positiveInt(v: unknown, path: string): FieldError[] {
  if (!isSet(v)) return [];
  if (!Number.isInteger(v)) return [invalid(path, v, 'must be of type integer')];
  return (v as number) <= 0 ? [invalid(path, v, 'must be greater than 0')] : [];
}

/** A required non-empty string. */
export function requiredString(v: unknown, path: string): FieldError[] {
  if (!isSet(v) || v === '') return [required(path)];
  return typeof v === 'string' ? [] : [invalid(path, v, 'must be of type string')];
}

/** A resource.Quantity: string or number in the Kubernetes grammar; undefined when invalid. */
export function quantity(v: unknown, path: string, errs: FieldError[]): number | undefined {
  const value = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
  if (value === undefined) {
    errs.push(
      invalid(path, v, "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
    );
  }
  return value;
}

/** IsValidPortNum: 1..65535. */
export function portNumber(v: unknown, path: string): FieldError[] {
  if (!Number.isInteger(v)) return [invalid(path, v, 'must be of type integer')];
  const n = v as number;
  return n < 1 || n > 65535 ? [invalid(path, n, 'must be between 1 and 65535, inclusive')] : [];
}
