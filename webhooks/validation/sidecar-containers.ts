// Per-container SidecarSet rules: transferEnv downward API, and resourcesPolicy expressions.
import type { SidecarContainer } from '../../apis/sidecarset';
import { type FieldError, invalid, notSupported, required } from './field-error';
import { labelValueErrors, qualifiedNameErrors } from './names';

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

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[a-zA-Z]+|%)?)|([a-zA-Z_]+)|([-+*/(),]))/y;

/** Parses Kruise's resource expressions (+ - * / max() min(), numbers, quantities and percentages such as 50%, one variable). */
export function expressionError(expr: string, variable: string): string | undefined {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length && expr.slice(TOKEN.lastIndex).trim() !== '') {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) return `unexpected character at ${start}`;
    tokens.push(m[0].trim());
  }
  let pos = 0;
  const peek = () => tokens[pos];
  const parseExpr = (): string | undefined => parseBinary(['+', '-'], parseTerm);
  const parseTerm = (): string | undefined => parseBinary(['*', '/'], parseFactor);
  function parseBinary(ops: string[], next: () => string | undefined): string | undefined {
    const err = next();
    if (err) return err;
    while (ops.includes(peek() ?? '')) {
      pos++;
      const e = next();
      if (e) return e;
    }
    return undefined;
  }
  function parseFactor(): string | undefined {
    const t = tokens[pos++];
    if (t === undefined) return 'unexpected end of expression';
    if (t === '-') return parseFactor();
    if (t === '(') return parseExpr() ?? (tokens[pos++] === ')' ? undefined : "missing ')'");
    if (t === 'max' || t === 'min') return parseCall(t);
    if (/^\d+(\.\d+)?%$/.test(t)) return undefined;
    if (/^\d/.test(t)) return labelValueErrors(t).length > 0 ? `bad number ${t}` : undefined;
    if (t === variable) return undefined;
    return `unknown identifier ${JSON.stringify(t)}`;
  }
  function parseCall(fn: string): string | undefined {
    if (tokens[pos++] !== '(') return `${fn} needs '('`;
    for (;;) {
      const e = parseExpr();
      if (e) return e;
      const t = tokens[pos++];
      if (t === ')') return undefined;
      if (t !== ',') return `expected ',' or ')' in ${fn}()`;
    }
  }
  const err = parseExpr();
  if (err) return err;
  return pos < tokens.length ? `unexpected ${JSON.stringify(tokens[pos])}` : undefined;
}
