// Checks shared by several kinds: numbers, int-or-percent values, update ordering strategies, and
// comparing old/new specs on update.

import { isEmptySelector } from '../../apis/labels';
import type { UpdatePriorityStrategy, UpdateScatterStrategy } from '../../apis/pub';
import type { IntOrString } from '../../apis/zod-k8s';
import { deepEqual, diffJson } from '../../runtime/json';
import { child, type FieldError, forbidden, immutable, invalid, required } from './field-error';
import { isValidPercent } from './names';
import { validateLabelSelector } from './selectors';

export function nonNegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** apps validation.ValidatePositiveIntOrPercent: an integer ≥ 0 or "N%". */
export function positiveIntOrPercent(value: IntOrString | undefined, path: string): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'string') {
    return isValidPercent(value)
      ? []
      : [invalid(path, value, "must be an integer or a percentage such as '5%'")];
  }
  return nonNegative(value, path);
}

/** UpdatePriorityStrategy.FieldsValidation (reported as Required on the strategy, like Kruise). */
export function validatePriorityStrategy(s: UpdatePriorityStrategy | undefined, path: string): FieldError[] {
  if (!s) return [];
  const weights = s.weightPriority ?? [];
  if (weights.length > 0 && (s.orderPriority ?? []).length > 0) {
    return [required(path, 'only one of weightPriority and orderPriority can be used')];
  }
  for (const [i, w] of weights.entries()) {
    const p = `${path}.weightPriority[${i}]`;
    if (w.weight < 0 || w.weight > 100)
      return [invalid(child(p, 'weight'), w.weight, 'must be in the range 0-100')];
    if (isEmptySelector(w.matchSelector))
      return [required(child(p, 'matchSelector'), 'selector can not be empty')];
    const selErrs = validateLabelSelector(w.matchSelector, child(p, 'matchSelector'));
    if (selErrs.length > 0) return selErrs;
  }
  for (const [i, o] of (s.orderPriority ?? []).entries()) {
    if (!o.orderedKey)
      return [required(`${path}.orderPriority[${i}].orderedKey`, 'order key can not be empty')];
  }
  return [];
}

/** UpdateScatterStrategy.FieldsValidation. */
export function validateScatterStrategy(s: UpdateScatterStrategy | undefined, path: string): FieldError[] {
  const seen = new Set<string>();
  for (const [i, term] of (s ?? []).entries()) {
    if (!term.key) return [required(`${path}[${i}].key`, 'key should not be empty')];
    const id = `${term.key}:${term.value}`;
    if (seen.has(id))
      return [invalid(`${path}[${i}]`, term, `duplicated key=${term.key} value=${term.value}`)];
    seen.add(id);
  }
  return [];
}

/** Every spec field outside `mutable` must be unchanged; one error per changed field. */
export function immutableSpecFields(
  spec: Record<string, unknown>,
  oldSpec: Record<string, unknown>,
  mutable: readonly string[],
): FieldError[] {
  const keys = new Set([...Object.keys(spec), ...Object.keys(oldSpec)]);
  return [...keys]
    .filter((k) => !mutable.includes(k) && !deepEqual(spec[k], oldSpec[k]))
    .sort()
    .map((k) => immutable(`spec.${k}`));
}

/** InPlaceOnly: the template spec may only change container images (replace /containers/N/image). */
export function inPlaceOnlyTemplateChange(oldSpec: unknown, newSpec: unknown, path: string): FieldError[] {
  const bad = diffJson(oldSpec, newSpec).find(
    (p) => p.op !== 'replace' || !/^\/containers\/\d+\/image$/.test(p.path),
  );
  if (!bad) return [];
  return [
    forbidden(path, `only container images may change with InPlaceOnly, but found ${bad.op} ${bad.path}`),
  ];
}
