// resourcesPolicy (OpenKruise v1.9, pkg/webhook/pod/mutating/sidecarset_resources.go): a sidecar's
// resources computed at pod creation from the app containers' (sum or max), through expressions such as
// "max(cpu*50%, 50m)".

import type { Pod } from '../../apis/core-objects';
import type { Container } from '../../apis/core-types';
import { formatNanoQuantity, type NanoQuantity, parseNanoQuantity } from '../../apis/quantity-format';
import type { SidecarContainer } from '../../apis/sidecarset';
import { type CalcValue, evaluate } from './calculator';
import { isNativeSidecar } from './hash';

type Resource = 'cpu' | 'memory';
type Aggregated = Partial<Record<Resource, NanoQuantity>>;

/**
 * The resources `sidecar.resourcesPolicy` gives the sidecar in `pod`. The targets are the app containers
 * (and the app's own native sidecars) whose name matches targetContainersNameRegex, leaving out the
 * containers any matching SidecarSet injects (`sidecarNames`). Throws when nothing matches or an
 * expression fails.
 */
export function resourcesFromPolicy(
  sidecar: SidecarContainer,
  pod: Pod,
  sidecarNames: ReadonlySet<string>,
): NonNullable<Container['resources']> {
  const policy = sidecar.resourcesPolicy!;
  const regex = policy.targetContainersNameRegex ?? '.*';
  let pattern: RegExp;
  try {
    pattern = new RegExp(regex);
  } catch (err) {
    throw new Error(`invalid regex pattern ${JSON.stringify(regex)}: ${(err as Error).message}`);
  }
  const targets = [...(pod.spec.initContainers ?? []).filter(isNativeSidecar), ...pod.spec.containers].filter(
    (c) => !sidecarNames.has(c.name) && pattern.test(c.name),
  );
  if (targets.length === 0) throw new Error(`no containers match the regex pattern ${JSON.stringify(regex)}`);
  const { limits, requests } = aggregate(targets, policy.targetContainersMode);
  const resources: NonNullable<Container['resources']> = {};
  const out = (
    exprs: { cpu?: string; memory?: string } | undefined,
    values: Aggregated,
    isLimit: boolean,
  ) => {
    const list: Record<string, string> = {};
    for (const resource of ['cpu', 'memory'] as const) {
      const expr = exprs?.[resource];
      // A limit is derived only from targets that all have one; a request from zero otherwise.
      if (!expr || (isLimit && values[resource] === undefined)) continue;
      list[resource] = evaluateFor(expr, resource, values[resource] ?? { nanos: 0n, format: 'DecimalSI' });
    }
    return Object.keys(list).length > 0 ? list : undefined;
  };
  const limitList = out(policy.resourcesExpr.limits, limits, true);
  const requestList = out(policy.resourcesExpr.requests, requests, false);
  if (limitList) resources.limits = limitList;
  if (requestList) resources.requests = requestList;
  return resources;
}

function aggregate(
  containers: Container[],
  mode: 'sum' | 'max',
): { limits: Aggregated; requests: Aggregated } {
  const limits: Aggregated = {};
  const requests: Aggregated = {};
  for (const resource of ['cpu', 'memory'] as const) {
    const limitValues = containers.map((c) => c.resources?.limits?.[resource]);
    const limit = combine(limitValues, mode);
    if (limit && limitValues.every((v) => v !== undefined)) limits[resource] = limit;
    const requestValues = containers
      .map((c) => c.resources?.requests?.[resource])
      .filter((v): v is string | number => v !== undefined);
    const request = combine(requestValues, mode);
    // Sum drops a zero total; max keeps whatever it found.
    if (request && (mode === 'max' || request.nanos !== 0n)) requests[resource] = request;
  }
  return { limits, requests };
}

/** Sum (a DecimalSI total, as Go adds into a new zero quantity) or the largest (keeping its format). */
function combine(values: (string | number | undefined)[], mode: 'sum' | 'max'): NanoQuantity | undefined {
  const parsed = values.filter((v) => v !== undefined).map((v) => parseNanoQuantity(v));
  if (mode === 'sum') return { nanos: parsed.reduce((acc, q) => acc + q.nanos, 0n), format: 'DecimalSI' };
  return parsed.reduce<NanoQuantity | undefined>(
    (acc, q) => (!acc || q.nanos > acc.nanos ? q : acc),
    undefined,
  );
}

/** evaluateResourceExpression: the variable is memory when the expression names it, else cpu. */
function evaluateFor(expr: string, resource: Resource, aggregated: NanoQuantity): string {
  const variable = /\bmemory\b/.test(expr) ? 'memory' : 'cpu';
  const value: CalcValue = { quantity: true, ...aggregated };
  let result: CalcValue;
  try {
    result = evaluate(expr, { [variable]: value });
  } catch (err) {
    throw new Error(
      `failed to evaluate ${resource} expression ${JSON.stringify(expr)}: ${(err as Error).message}`,
    );
  }
  if (result.quantity) return formatNanoQuantity(result);
  // A bare number is cores for cpu (kept to the milli) and bytes for memory.
  const nanos =
    variable === 'cpu'
      ? BigInt(Math.trunc(result.number * 1000)) * 1_000_000n
      : BigInt(Math.trunc(result.number)) * 1_000_000_000n;
  return formatNanoQuantity({ nanos, format: 'DecimalSI' });
}
