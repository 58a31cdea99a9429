// Label selector and label syntax (metav1 validation.ValidateLabelSelector); matching lives in apis/labels.
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
