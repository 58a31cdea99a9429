// Label selectors: matching (metav1.LabelSelectorAsSelector), the string form and overlap, shared by
// controllers and webhooks.
import type { LabelSelector } from './zod-k8s';

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length + (selector?.matchExpressions?.length ?? 0) === 0;
}

/** metav1.LabelSelectorAsSelector(...).Matches(labels); an empty selector matches everything. */
export function selectorMatches(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  const matchLabels = selector.matchLabels;
  // for…in, not Object.entries: controllers ask this of every pod they own at every reconcile.
  if (matchLabels) for (const k in matchLabels) if (l[k] !== matchLabels[k]) return false;
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

/** metav1.LabelSelector → the string form of labels.Selector.String() (e.g. the scale subresource's). */
export function selectorString(selector: LabelSelector | undefined): string {
  const parts: [string, string][] = [];
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) parts.push([k, `${k}=${v}`]);
  for (const req of selector?.matchExpressions ?? []) {
    const values = [...(req.values ?? [])].sort().join(',');
    const text = {
      In: `${req.key} in (${values})`,
      NotIn: `${req.key} notin (${values})`,
      Exists: req.key,
      DoesNotExist: `!${req.key}`,
    }[req.operator];
    if (text) parts.push([req.key, text]);
  }
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, text]) => text)
    .join(',');
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
