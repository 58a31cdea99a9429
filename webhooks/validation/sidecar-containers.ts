// Per-container SidecarSet rules: transferEnv downward API, and resourcesPolicy expressions.
import type { SidecarContainer } from '../../apis/sidecarset';
import { evaluate } from '../../controllers/sidecarset/calculator';
import { type FieldError, invalid, notSupported, required } from './field-error';
import { qualifiedNameErrors } from './names';

const PLAIN_FIELD_PATHS = ['metadata.name', 'metadata.labels', 'metadata.annotations'];

export function validateSidecarContainerFields(
  c: SidecarContainer,
  path: string,
  isInit: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.resourcesPolicy) {
    if (isInit && c.restartPolicy !== 'Always') {
      errs.push(
        invalid(
          `${path}.resourcesPolicy`,
          c.resourcesPolicy,
          'is only supported for initContainers with restartPolicy Always',
        ),
      );
    }
    errs.push(...validateResourcesPolicy(c, `${path}.resourcesPolicy`));
  }
  if (!isInit) {
    (c.transferEnv ?? []).forEach((t, i) => {
      const ref = t.sourceContainerNameFrom?.fieldRef;
      if (ref)
        errs.push(...validateFieldRef(ref, `${path}.transferEnv[${i}].sourceContainerNameFrom.fieldRef`));
    });
  }
  return errs;
}

function validateFieldRef(ref: { apiVersion?: string; fieldPath: string }, path: string): FieldError[] {
  if (!ref.apiVersion) return [required(`${path}.apiVersion`)];
  if (!ref.fieldPath) return [required(`${path}.fieldPath`)];
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(ref.fieldPath);
  if (m) {
    const key = m[1] === 'metadata.annotations' ? m[2]!.toLowerCase() : m[2]!;
    return qualifiedNameErrors(key).map((msg) => invalid(`${path}.fieldPath`, m[2], msg));
  }
  if (!PLAIN_FIELD_PATHS.includes(ref.fieldPath))
    return [notSupported(`${path}.fieldPath`, ref.fieldPath, PLAIN_FIELD_PATHS)];
  return [];
}

function validateResourcesPolicy(c: SidecarContainer, path: string): FieldError[] {
  const policy = c.resourcesPolicy!;
  const res = c.resources ?? {};
  if (Object.keys(res.limits ?? {}).length + Object.keys(res.requests ?? {}).length > 0) {
    return [invalid(path, policy, 'resourcesPolicy and resources cannot be configured together')];
  }
  const errs: FieldError[] = [];
  const regex = policy.targetContainersNameRegex;
  if (!regex) errs.push(required(`${path}.targetContainersNameRegex`, 'invalid empty regex'));
  else if (!compiles(regex))
    errs.push(invalid(`${path}.targetContainersNameRegex`, regex, 'must be a valid regular expression'));
  const { limits, requests } = policy.resourcesExpr;
  if (!limits && !requests) {
    errs.push(
      invalid(
        `${path}.resourcesExpr`,
        policy.resourcesExpr,
        'at least one of limits or requests must be configured',
      ),
    );
  }
  for (const [group, exprs] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const resource of ['cpu', 'memory'] as const) {
      const expr = exprs?.[resource];
      const problem = expr ? expressionError(expr, resource) : undefined;
      if (problem)
        errs.push(
          invalid(`${path}.resourcesExpr.${group}.${resource}`, expr, `invalid expression: ${problem}`),
        );
    }
  }
  return errs;
}

function compiles(regex: string): boolean {
  try {
    new RegExp(regex);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a resourcesPolicy expression is invalid, if it is: OpenKruise evaluates it with its variable set to
 * the plain number 1 (so "-(cpu)" fails too: a negative result).
 */
export function expressionError(expr: string, variable: string): string | undefined {
  try {
    evaluate(expr, { [variable]: { quantity: false, number: 1 } });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
