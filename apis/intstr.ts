// IntOrString resolution with OpenKruise's rounding. Each workload field rounds its own way:
//
// | field                                         | helper                      | rounding                         |
// |-----------------------------------------------|-----------------------------|----------------------------------|
// | CloneSet updateStrategy.partition             | resolvePartition            | up; "<100%" keeps ≥1 updatable   |
// | CloneSet updateStrategy.maxSurge              | resolveCloneSetMaxSurge     | up (0 when paused)               |
// | CloneSet updateStrategy.maxUnavailable        | resolveCloneSetMaxUnavailable | up if maxSurge == 0, else down |
// | CloneSet scaleStrategy.maxUnavailable         | resolveCloneSetScaleMaxUnavailable | up (unset = MaxInt32)     |
// | ASTS rollingUpdate.maxUnavailable             | resolveStatefulSetMaxUnavailable | down, floored at 1          |
// | ASTS scaleStrategy.maxUnavailable             | resolveStatefulSetMaxUnavailable | down, floored at 1          |
// | SidecarSet updateStrategy.partition           | resolvePartition            | up; "<100%" keeps ≥1 updatable   |
// | SidecarSet updateStrategy.maxUnavailable      | resolveSidecarSetMaxUnavailable | up (unset = 1)               |
// | BroadcastJob parallelism                      | resolveBroadcastJobParallelism | up (unset = MaxInt32)         |
import type { IntOrString } from './zod-k8s';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const INTEGER = /^-?\d+$/;

export function isPercent(v: IntOrString | undefined | null): v is string {
  return typeof v === 'string' && v.endsWith('%');
}

/**
 * k8s intstr.GetScaledValueFromIntOrPercent as Kruise's util copy has it: ints pass through, strings
 * must be percentages (fractions allowed). Throws on anything else.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = PERCENT.exec(v);
  if (!m) throw new Error(`invalid value ${JSON.stringify(v)}: string is not a percentage`);
  const raw = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * k8s intstr.GetValueFromIntOrPercent: a string is "N%" (integer percent) or a plain integer.
 * Throws on anything else.
 */
export function valueFromIntOrPercent(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = v.endsWith('%');
  const digits = pct ? v.slice(0, -1) : v;
  if (!INTEGER.test(digits))
    throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  const n = Number.parseInt(digits, 10);
  if (!pct) return n;
  return roundUp ? Math.ceil((n * total) / 100) : Math.floor((n * total) / 100);
}

/** util.CalculatePartitionReplicas: round up, keep one pod updatable for "<100%", clamp to [0, replicas]. */
export function resolvePartition(
  partition: IntOrString | undefined | null,
  replicas: number | undefined,
): number {
  if (partition === undefined || partition === null) return 0;
  const total = replicas ?? 1;
  let value = scaledValue(partition, total, true);
  if (total > 1 && value === total && typeof partition === 'string' && partition !== '100%')
    value = total - 1;
  return Math.max(Math.min(value, total), 0);
}

// CloneSet resolves with scaledValue, the parser its admission uses (fractions such as "12.5%" allowed),
// so no object admission accepts can make the controller fail.
export function resolveCloneSetMaxSurge(
  maxSurge: IntOrString | undefined,
  replicas: number,
  paused: boolean,
): number {
  if (maxSurge === undefined || paused) return 0;
  return scaledValue(maxSurge, replicas, true);
}

export function resolveCloneSetMaxUnavailable(
  maxUnavailable: IntOrString | undefined,
  replicas: number,
  resolvedMaxSurge: number,
): number {
  return scaledValue(maxUnavailable ?? '20%', replicas, resolvedMaxSurge === 0);
}

export function resolveCloneSetScaleMaxUnavailable(
  maxUnavailable: IntOrString | undefined,
  replicas: number,
): number {
  return scaledValue(maxUnavailable ?? 2147483647, replicas, true);
}

/** ASTS maxUnavailable (update and scale): round down, at least 1. */
export function resolveStatefulSetMaxUnavailable(
  maxUnavailable: IntOrString | undefined,
  replicas: number,
): number {
  return Math.max(1, valueFromIntOrPercent(maxUnavailable ?? 1, replicas, false));
}

export function resolveSidecarSetMaxUnavailable(
  maxUnavailable: IntOrString | undefined,
  matched: number,
): number {
  return valueFromIntOrPercent(maxUnavailable ?? 1, matched, true);
}

export function resolveBroadcastJobParallelism(
  parallelism: IntOrString | undefined,
  desired: number,
): number {
  return valueFromIntOrPercent(parallelism ?? 2147483647, desired, true);
}
