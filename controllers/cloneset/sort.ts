// Pod orderings: which pods update first (k8s ActivePods + Kruise priorityStrategy) and which pods are
// deleted first on scale-in (Kruise ActivePodsWithRanks with the same-node ranker).
import { PodDeletionCostAnnotation, type UpdatePriorityStrategy } from '../../apis';
import { selectorMatches } from '../../webhooks/validation/selectors';
import type { Pod } from '../inplace';
import { createdAt, isPodReady, maxRestarts, readySince } from './pods';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
type Compare = (a: Pod, b: Pod) => number;

/** Go's afterOrZero as a comparator: zero (unset) first, then later before earlier. */
function laterFirst(a: number, b: number): number {
  if (a === b) return 0;
  if (a === 0 || b === 0) return a === 0 ? -1 : 1;
  return b - a;
}

const byAssigned: Compare = (a, b) =>
  a.spec.nodeName !== b.spec.nodeName && (!a.spec.nodeName || !b.spec.nodeName)
    ? a.spec.nodeName
      ? 1
      : -1
    : 0;
const byPhase: Compare = (a, b) =>
  (PHASE_ORDER[a.status?.phase ?? ''] ?? 0) - (PHASE_ORDER[b.status?.phase ?? ''] ?? 0);
const byReady: Compare = (a, b) => Number(isPodReady(a)) - Number(isPodReady(b));
const byReadyTime: Compare = (a, b) =>
  isPodReady(a) && isPodReady(b) ? laterFirst(readySince(a) ?? 0, readySince(b) ?? 0) : 0;
const byRestarts: Compare = (a, b) => maxRestarts(b) - maxRestarts(a);
const byCreation: Compare = (a, b) => laterFirst(createdAt(a), createdAt(b));

function chain(...compares: Compare[]): Compare {
  return (a, b) => {
    for (const compare of compares) {
      const c = compare(a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** k8s controller.ActivePods: the pods least worth keeping come first. */
export const activePodsOrder: Compare = chain(
  byAssigned,
  byPhase,
  byReady,
  byReadyTime,
  byRestarts,
  byCreation,
);

/** Kruise getDeletionCostFromPodAnnotations: an invalid or missing cost is 0. */
export function deletionCost(pod: Pod): number {
  const value = pod.metadata.annotations?.[PodDeletionCostAnnotation];
  if (value === undefined || !/^(-?[1-9]\d*|0)$/.test(value)) return 0;
  const n = Number(value);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

/** Kruise NewSameNodeRanker: on a node with k pods, all but the best get rank k-1 … 1 (worst highest). */
export function sameNodeRanks(pods: Pod[]): Map<Pod, number> {
  const ranks = new Map<Pod, number>();
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (pod.spec.nodeName) byNode.set(pod.spec.nodeName, [...(byNode.get(pod.spec.nodeName) ?? []), pod]);
  }
  for (const onNode of byNode.values()) {
    if (onNode.length <= 1) continue;
    const sorted = [...onNode].sort(activePodsOrder).slice(0, -1);
    sorted.forEach((pod, i) => {
      ranks.set(pod, sorted.length - i);
    });
  }
  return ranks;
}

/**
 * Scale-in order, first to delete first (Kruise ActivePodsWithRanks): unassigned < assigned, Pending <
 * Unknown < Running, unavailable < available, not ready < ready, lower pod-deletion-cost, more pods on the
 * same node, ready for less time, more restarts, newer.
 */
export function scaleInOrder(pods: Pod[], isAvailable: (pod: Pod) => boolean): Pod[] {
  const ranks = sameNodeRanks(pods);
  const byAvailable: Compare = (a, b) => Number(isAvailable(a)) - Number(isAvailable(b));
  const byCost: Compare = (a, b) => deletionCost(a) - deletionCost(b);
  const byRank: Compare = (a, b) => (ranks.get(b) ?? 0) - (ranks.get(a) ?? 0);
  const order = chain(
    byAssigned,
    byPhase,
    byAvailable,
    byReady,
    byCost,
    byRank,
    byReadyTime,
    byRestarts,
    byCreation,
  );
  return [...pods].sort(order);
}

/** The last run of digits in a label value ("sts-10" → 10), 0 when none (Kruise getIntFromStringSuffix). */
function trailingInt(value: string): number {
  const m = /(\d+)$/.exec(value);
  return m ? Number(m[1]) : 0;
}

/** Kruise prioritySort, stable over the previous order. */
export function priorityOrder(pods: Pod[], strategy: UpdatePriorityStrategy | undefined): Pod[] {
  const weights = strategy?.weightPriority ?? [];
  const orders = strategy?.orderPriority ?? [];
  if (weights.length > 0) {
    const weight = (p: Pod) =>
      weights.reduce(
        (sum, w) => sum + (selectorMatches(w.matchSelector, p.metadata.labels) ? w.weight : 0),
        0,
      );
    return [...pods].sort((a, b) => weight(b) - weight(a));
  }
  if (orders.length === 0) return pods;
  const level = (p: Pod): [number, number] => {
    const i = orders.findIndex((o) => p.metadata.labels?.[o.orderedKey] !== undefined);
    // Kruise: pods carrying none of the keys get level -1 and so come first.
    return i < 0 ? [-1, 0] : [i, trailingInt(p.metadata.labels![orders[i]!.orderedKey]!)];
  };
  return [...pods].sort((a, b) => {
    const [la, oa] = level(a);
    const [lb, ob] = level(b);
    return la !== lb ? la - lb : ob - oa;
  });
}
