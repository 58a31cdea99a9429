// Ordinal identity (k8s and Kruise statefulset utils): a pod named `<owner>-<ordinal>`, the ordinals an
// owner runs — `replicas` of them from a start ordinal, skipping reserved ones — and the order in which
// OrderedReady creates (ascending) and deletes (descending) them.
import type { IntOrString } from '../../apis/zod-k8s';

/** `<owner>-<ordinal>`; the ordinal must be a whole number. */
export function ordinalName(owner: string, ordinal: number): string {
  return `${owner}-${ordinal}`;
}

/**
 * Kruise getParentNameAndOrdinal (`^(.*)-(\d+)$`): the owner name and ordinal a pod name encodes, or
 * undefined when it encodes none (or one over int32, which no StatefulSet can have). Read by hand, as every
 * plan asks it of every pod: the digits after the last '-'.
 */
export function parseOrdinalName(name: string): { owner: string; ordinal: number } | undefined {
  const dash = name.lastIndexOf('-');
  if (dash < 0 || dash === name.length - 1) return undefined;
  for (let i = dash + 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const ordinal = Number(name.slice(dash + 1));
  return ordinal <= 2147483647 ? { owner: name.slice(0, dash), ordinal } : undefined;
}

/** The ordinal of `name` when it is one of `owner`'s ordinal names; undefined otherwise. */
export function ordinalOf(name: string | undefined, owner: string): number | undefined {
  const parsed = parseOrdinalName(name ?? '');
  return parsed && parsed.owner === owner ? parsed.ordinal : undefined;
}

/**
 * Kruise GetReserveOrdinalIntSet: integers, and inclusive ranges "a-b". Unlike Kruise, which then
 * ignores the whole list, an entry that is neither is reported (admission rejects it anyway).
 */
export function reservedOrdinals(
  entries: readonly IntOrString[] | undefined,
): Set<number> | { error: string } {
  const reserved = new Set<number>();
  for (const entry of entries ?? []) {
    if (typeof entry === 'number') {
      reserved.add(entry);
      continue;
    }
    const m = /^(\d+)-(\d+)$/.exec(entry);
    const [from, to] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
    if (!(from <= to)) return { error: `reserveOrdinals: ${JSON.stringify(entry)} is not an ordinal range` };
    for (let i = from; i <= to; i++) reserved.add(i);
  }
  return reserved;
}

/** The ordinals an owner runs: [start, end) without the reserved ones, exactly `replicas` of them. */
export interface OrdinalRange {
  start: number;
  /** Exclusive. */
  end: number;
  reserved: ReadonlySet<number>;
}

/** Kruise getStatefulSetReplicasRange. */
export function ordinalRange(start: number, replicas: number, reserved: ReadonlySet<number>): OrdinalRange {
  let end = start;
  for (let counted = 0; counted < replicas; end++) if (!reserved.has(end)) counted++;
  return { start, end, reserved };
}

export function inRange(range: OrdinalRange, ordinal: number): boolean {
  return ordinal >= range.start && ordinal < range.end && !range.reserved.has(ordinal);
}

/** The ordinals of the range, ascending. */
export function rangeOrdinals(range: OrdinalRange): number[] {
  const ordinals: number[] = [];
  for (let o = range.start; o < range.end; o++) if (!range.reserved.has(o)) ordinals.push(o);
  return ordinals;
}
