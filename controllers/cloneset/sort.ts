// Pod orderings: which pods update first (k8s ActivePods + Kruise priorityStrategy) and which pods are
// deleted first on scale-in (Kruise ActivePodsWithRanks with the same-node ranker).
import { PodDeletionCostAnnotation, type UpdatePriorityStrategy } from '../../apis';
import { selectorMatches } from '../../apis/labels';
import type { Pod } from '../inplace';
import { createdAt, isPodReady, maxRestarts, readySince } from './pods';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * What the orderings compare, read once per pod and sort: a sort compares every pod about log n times,
 * and parsing timestamps and scanning conditions in each comparison made plans of 1000 pods slow.
 */
interface Facts {
  pod: Pod;
  assigned: boolean;
  phase: number;
  ready: boolean;
  readySince: number;
  restarts: number;
  created: number;
}

function factsOf(pod: Pod): Facts {
  const ready = isPodReady(pod);
  return {
    pod,
    assigned: Boolean(pod.spec.nodeName),
    phase: PHASE_ORDER[pod.status?.phase ?? ''] ?? 0,
    ready,
    readySince: ready ? (readySince(pod) ?? 0) : 0,
    restarts: maxRestarts(pod),
    created: createdAt(pod),
  };
}

type Compare<T extends Facts = Facts> = (a: T, b: T) => number;

/** Go's afterOrZero as a comparator: zero (unset) first, then later before earlier. */
function laterFirst(a: number, b: number): number {
  if (a === b) return 0;
  if (a === 0 || b === 0) return a === 0 ? -1 : 1;
  return b - a;
}

const byAssigned: Compare = (a, b) => Number(a.assigned) - Number(b.assigned);
const byPhase: Compare = (a, b) => a.phase - b.phase;
const byReady: Compare = (a, b) => Number(a.ready) - Number(b.ready);
const byReadyTime: Compare = (a, b) => (a.ready && b.ready ? laterFirst(a.readySince, b.readySince) : 0);
const byRestarts: Compare = (a, b) => b.restarts - a.restarts;
const byCreation: Compare = (a, b) => laterFirst(a.created, b.created);

function chain<T extends Facts>(...compares: Compare<T>[]): Compare<T> {
  return (a, b) => {
    for (const compare of compares) {
      const c = compare(a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** k8s controller.ActivePods: the pods least worth keeping come first. */
const activePodsOrder: Compare = chain(byAssigned, byPhase, byReady, byReadyTime, byRestarts, byCreation);

/** A sorted copy in k8s controller.ActivePods order (stable). */
export function sortActivePods(pods: Pod[]): Pod[] {
  return pods
    .map(factsOf)
    .sort(activePodsOrder)
    .map((f) => f.pod);
}

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
    const sorted = sortActivePods(onNode).slice(0, -1);
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
  type ScaleInFacts = Facts & { available: boolean; cost: number; rank: number };
  const byAvailable: Compare<ScaleInFacts> = (a, b) => Number(a.available) - Number(b.available);
  const byCost: Compare<ScaleInFacts> = (a, b) => a.cost - b.cost;
  const byRank: Compare<ScaleInFacts> = (a, b) => b.rank - a.rank;
  const order = chain<ScaleInFacts>(
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
  return pods
    .map((pod) => ({
      ...factsOf(pod),
      available: isAvailable(pod),
      cost: deletionCost(pod),
      rank: ranks.get(pod) ?? 0,
    }))
    .sort(order)
    .map((f) => f.pod);
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
