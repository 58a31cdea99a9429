// Field errors in the shape of k8s.io/apimachinery field.Error: every message starts with the field path.

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'Forbidden'
  | 'NotSupported'
  | 'Duplicate'
  | 'TooLong'
  | 'NotFound';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with [i] indexes, e.g. spec.template.spec.containers[0].image. */
  field: string;
  detail: string;
  value?: unknown;
}

export const required = (field: string, detail = 'is required'): FieldError => ({
  type: 'Required',
  field,
  detail,
});

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'Invalid',
  field,
  value,
  detail,
});

export const forbidden = (field: string, detail: string): FieldError => ({
  type: 'Forbidden',
  field,
  detail,
});

export const duplicate = (field: string, value: unknown): FieldError => ({
  type: 'Duplicate',
  field,
  value,
  detail: `must be unique, ${JSON.stringify(value)} is duplicated`,
});

export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'NotSupported',
  field,
  value,
  detail: `must be one of ${supported.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(value)}`,
});

/** A reference to something that does not exist (a volumeMount naming no volume of the pod). */
export const notFound = (field: string, value: unknown): FieldError => ({
  type: 'NotFound',
  field,
  value,
  detail: `Not found: ${JSON.stringify(value)}`,
});

export const immutable = (field: string): FieldError => ({
  type: 'Forbidden',
  field,
  detail: 'field is immutable',
});

/** Validation stops collecting around this many errors: a denial names the first ones, not 60,000. */
export const MAX_FIELD_ERRORS = 100;

/** "spec.replicas: must be greater than or equal to 0". */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.detail}`;
}

/** All errors as one admission message, like ErrorList.ToAggregate(); at most MAX_FIELD_ERRORS of them. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  if (errors.length === 1) return formatFieldError(errors[0]!);
  const shown = errors.slice(0, MAX_FIELD_ERRORS).map(formatFieldError);
  if (errors.length > MAX_FIELD_ERRORS) shown.push(`and more errors (showing the first ${MAX_FIELD_ERRORS})`);
  return `[${shown.join(', ')}]`;
}

/** Path builder: child('spec', 'template') or index(path, 3). */
export const child = (path: string, ...keys: string[]): string => [path, ...keys].filter(Boolean).join('.');
export const index = (path: string, i: number): string => `${path}[${i}]`;
