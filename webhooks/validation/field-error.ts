// Field errors in the shape of k8s.io/apimachinery field.Error: every message starts with the field path.

export type FieldErrorType = 'Required' | 'Invalid' | 'Forbidden' | 'NotSupported' | 'Duplicate' | 'TooLong';

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

export const immutable = (field: string): FieldError => ({
  type: 'Forbidden',
  field,
  detail: 'field is immutable',
});

/** "spec.replicas: must be greater than or equal to 0". */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${e.detail}`;
}

/** All errors as one admission message, like ErrorList.ToAggregate(). */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.length === 1 ? formatFieldError(errors[0]!) : `[${errors.map(formatFieldError).join(', ')}]`;
}

/** Path builder: child('spec', 'template') or index(path, 3). */
export const child = (path: string, ...keys: string[]): string => [path, ...keys].filter(Boolean).join('.');
export const index = (path: string, i: number): string => `${path}[${i}]`;
