// Label selectors: syntax (metav1 validation.ValidateLabelSelector), matching, and overlap.
import type { LabelSelector } from '../../apis/zod-k8s';
import { child, type FieldError, index, invalid, required } from './field-error';
import { labelValueErrors, qualifiedNameErrors } from './names';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of qualifiedNameErrors(k)) errs.push(invalid(path, k, `key ${JSON.stringify(k)}: ${m}`));
    for (const m of labelValueErrors(v)) errs.push(invalid(path, v, `value ${JSON.stringify(v)}: ${m}`));
  }
  return errs;
}

export function validateLabelSelector(selector: LabelSelector, path: string): FieldError[] {
  const errs = validateLabels(selector.matchLabels, child(path, 'matchLabels'));
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = req.values ?? [];
    if (!OPERATORS.includes(req.operator)) {
      errs.push(invalid(child(p, 'operator'), req.operator, `must be one of ${OPERATORS.join(', ')}`));
    } else if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(
        invalid(
          child(p, 'values'),
          values,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
    for (const m of qualifiedNameErrors(req.key)) errs.push(invalid(child(p, 'key'), req.key, m));
    for (const v of values) for (const m of labelValueErrors(v)) errs.push(invalid(child(p, 'values'), v, m));
  });
  return errs;
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length + (selector?.matchExpressions?.length ?? 0) === 0;
}

/** metav1.LabelSelectorAsSelector(...).Matches(labels); an empty selector matches everything. */
export function selectorMatches(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const inValues = has && (req.values ?? []).includes(l[req.key]!);
    if (req.operator === 'In' && !inValues) return false;
    if (req.operator === 'NotIn' && inValues) return false;
    if (req.operator === 'Exists' && !has) return false;
    if (req.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Kruise util.IsSelectorOverlapping: false only when the selectors provably select disjoint sets. */
export function selectorsOverlap(a: LabelSelector | undefined, b: LabelSelector | undefined): boolean {
  if (!a || !b) return true;
  return !(isDisjoint(a, b) || isDisjoint(b, a));
}

const ALL = Symbol('all');

function allowedValues(selector: LabelSelector): Map<string, Set<string> | typeof ALL> {
  const out = new Map<string, Set<string> | typeof ALL>();
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) out.set(k, new Set([v]));
  for (const req of selector.matchExpressions ?? []) {
    if (req.operator === 'Exists') out.set(req.key, ALL);
    if (req.operator === 'In') {
      const prev = out.get(req.key);
      const set = prev instanceof Set ? prev : new Set<string>();
      for (const v of req.values ?? []) set.add(v);
      if (prev !== ALL) out.set(req.key, set);
    }
  }
  return out;
}

function isDisjoint(a: LabelSelector, b: LabelSelector): boolean {
  const allowed = allowedValues(a);
  const admits = (key: string, value: string) => {
    const s = allowed.get(key);
    return s === undefined || s === ALL || s.has(value);
  };
  for (const [k, v] of Object.entries(b.matchLabels ?? {})) if (!admits(k, v)) return true;
  for (const req of b.matchExpressions ?? []) {
    const s = allowed.get(req.key);
    if (req.operator === 'In' && s instanceof Set && !(req.values ?? []).some((v) => s.has(v))) return true;
    if (req.operator === 'NotIn' && s instanceof Set && [...s].every((v) => (req.values ?? []).includes(v)))
      return true;
    if (req.operator === 'Exists' && s === undefined) return true;
    if (req.operator === 'DoesNotExist' && s !== undefined) return true;
  }
  return false;
}
