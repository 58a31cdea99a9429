// Small helpers the per-kind conversion pairs share. They work on plain JSON and keep every key they do
// not know about, so fields inside preserve-unknown-fields subtrees pass through untouched.

import { isPlainObject } from '../runtime/json';

export type Json = Record<string, unknown>;

/** Splits `obj` into the listed keys that are set and everything else. */
export function splitKeys(obj: Json, keys: readonly string[]): [picked: Json, rest: Json] {
  const picked: Json = {};
  const rest: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (keys.includes(k)) picked[k] = v;
    else rest[k] = v;
  }
  return [picked, rest];
}

function withLabels(obj: Json, labels: Record<string, string>): void {
  const metadata = isPlainObject(obj.metadata) ? { ...obj.metadata } : {};
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  else delete metadata.labels;
  obj.metadata = metadata;
}

function labelsOf(obj: Json): Record<string, string> | undefined {
  const meta = obj.metadata;
  return isPlainObject(meta) && isPlainObject(meta.labels)
    ? (meta.labels as Record<string, string>)
    : undefined;
}

/**
 * A boolean label ("true"/"false") that a newer version spells as a spec field: removes it from `obj`'s
 * labels and returns its value. Any other value stays a label (undefined is returned).
 */
export function moveLabelToField(obj: Json, key: string): boolean | undefined {
  const value = labelsOf(obj)?.[key];
  if (value !== 'true' && value !== 'false') return undefined;
  const { [key]: _moved, ...rest } = labelsOf(obj)!;
  withLabels(obj, rest);
  return value === 'true';
}

/** The reverse of moveLabelToField (or a string field kept as a label): sets the label when defined. */
export function moveFieldToLabel(obj: Json, key: string, value: unknown): void {
  if (value === undefined) return;
  withLabels(obj, { ...labelsOf(obj), [key]: String(value) });
}

/** A string label that a newer version spells as a spec field: removed from `obj`, value returned. */
export function takeLabel(obj: Json, key: string): string | undefined {
  const labels = labelsOf(obj);
  if (labels?.[key] === undefined) return undefined;
  const { [key]: value, ...rest } = labels;
  withLabels(obj, rest);
  return value;
}
