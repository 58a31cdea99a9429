// Pod orderings: which pods update first (k8s ActivePods, Kruise priorityStrategy and scatterStrategy) and
// which pods are deleted first on scale-in (Kruise ActivePodsWithRanks with the same-node or the
// topology-spread ranker).
import type { Pod, UpdatePriorityStrategy, UpdateScatterStrategy } from '../../apis';
import { selectorMatches } from '../../apis/labels';
import { PodDeletionCostAnnotation } from '../../apis/well-known';
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
/**
 * The last tie-break (Kruise's unstable sort leaves ties arbitrary): pods created and ready in the same
 * second then come in one order whatever order the cache lists them in, so a plan run on a listing
 * (kubectl outrigger rollout plan) picks the pods the controller picks.
 */
const byName: Compare = (a, b) => {
  const x = a.pod.metadata.name ?? '';
  const y = b.pod.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

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
const activePodsOrder: Compare = chain(
  byAssigned,
  byPhase,
  byReady,
  byReadyTime,
  byRestarts,
  byCreation,
  byName,
);

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

type RankFacts = Facts & { available: boolean; cost: number; rank: number };

const byAvailable: Compare<RankFacts> = (a, b) => Number(a.available) - Number(b.available);
const byCost: Compare<RankFacts> = (a, b) => a.cost - b.cost;
const byRank: Compare<RankFacts> = (a, b) => b.rank - a.rank;

/**
 * Kruise ActivePodsWithRanks, first to delete first: unassigned < assigned, Pending < Unknown < Running,
 * unavailable < available, not ready < ready, lower pod-deletion-cost, higher rank, ready for less time,
 * more restarts, newer. Without `isAvailable` every pod counts as available (Kruise's nil AvailableFunc).
 */
const ranksOrder = chain<RankFacts>(
  byAssigned,
  byPhase,
  byAvailable,
  byReady,
  byCost,
  byRank,
  byReadyTime,
  byRestarts,
  byCreation,
  byName,
);

function sortWithRanks(
  pods: Pod[],
  ranks: Map<Pod, number> = new Map(),
  isAvailable: (pod: Pod) => boolean = () => true,
): Pod[] {
  return pods
    .map((pod) => ({
      ...factsOf(pod),
      available: isAvailable(pod),
      cost: deletionCost(pod),
      rank: ranks.get(pod) ?? 0,
    }))
    .sort(ranksOrder)
    .map((f) => f.pod);
}

/** Kruise NewSameNodeRanker: on a node with k pods, all but the best get rank k-1 … 1 (worst highest). */
export function sameNodeRanks(pods: Pod[]): Map<Pod, number> {
  const ranks = new Map<Pod, number>();
  for (const onNode of groupByNode(pods).values()) {
    if (onNode.length <= 1) continue;
    // Kruise sorts a node's pods with ActivePodsWithRanks, so pod-deletion-cost counts here too.
    const sorted = sortWithRanks(onNode).slice(0, -1);
    sorted.forEach((pod, i) => {
      ranks.set(pod, sorted.length - i);
    });
  }
  return ranks;
}

const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * Kruise NewSpreadConstraintsRanker (the pod template has topologySpreadConstraints): for each topology
 * key, the pods of each topology value are ranked like a node's, weighted by ln(values + 2), and the
 * ranks of all keys add up, so pods in crowded zones go first. Pods on nodes without the key (or whose
 * node is unknown) get no rank from it.
 */
export function spreadConstraintRanks(
  pods: Pod[],
  topologyKeys: readonly string[],
  nodeLabels: (node: string) => Record<string, string> | undefined,
): Map<Pod, number> {
  const ranks = new Map<Pod, number>();
  const onNodes = groupByNode(pods);
  const sameNode = sameNodeRanks(pods);
  for (const key of topologyKeys) {
    const topologies = new Map<string, Pod[]>();
    for (const [node, onNode] of onNodes) {
      const value = nodeLabels(node)?.[key];
      if (value !== undefined) topologies.set(value, [...(topologies.get(value) ?? []), ...onNode]);
    }
    const weight = Math.log(topologies.size + 2);
    for (const inTopology of topologies.values()) {
      const sorted = sortWithRanks(inTopology, key === HOSTNAME_LABEL ? undefined : sameNode);
      sorted.forEach((pod, i) => {
        ranks.set(pod, (ranks.get(pod) ?? 0) + (sorted.length - i) * weight);
      });
    }
  }
  return ranks;
}

function groupByNode(pods: Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = pod.spec.nodeName;
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return byNode;
}

export interface ScaleInOptions {
  isAvailable: (pod: Pod) => boolean;
  /** The template's topologySpreadConstraints keys: rank by topology instead of by node. */
  topologyKeys?: readonly string[];
  nodeLabels?: (node: string) => Record<string, string> | undefined;
}

/** Scale-in order, first to delete first (Kruise choosePodsToDelete's sort). */
export function scaleInOrder(pods: Pod[], options: ScaleInOptions): Pod[] {
  const keys = options.topologyKeys ?? [];
  const ranks =
    keys.length > 0
      ? spreadConstraintRanks(pods, keys, options.nodeLabels ?? (() => undefined))
      : sameNodeRanks(pods);
  return sortWithRanks(pods, ranks, options.isAvailable);
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

/**
 * Kruise scatterSort: spreads the pods matching each scatter term evenly through the update order instead
 * of updating them together. `all` is every pod of the workload (the densities are computed over it);
 * terms are applied from the most matched to the least.
 */
export function scatterOrder(
  candidates: Pod[],
  all: Pod[],
  strategy: UpdateScatterStrategy | undefined,
): Pod[] {
  if (!strategy || strategy.length === 0 || candidates.length <= 1) return candidates;
  let order = candidates;
  for (const term of scatterTerms(candidates, strategy)) order = scatterByTerm(order, all, term);
  return order;
}

type ScatterTerm = UpdateScatterStrategy[number];

const matchesTerm = (pod: Pod, term: ScatterTerm) => pod.metadata.labels?.[term.key] === term.value;

function scatterTerms(candidates: Pod[], strategy: UpdateScatterStrategy): ScatterTerm[] {
  if (strategy.length === 1) return strategy;
  const counted = strategy
    .map((term, i) => ({ term, i, count: candidates.filter((p) => matchesTerm(p, term)).length }))
    .filter((t) => t.count > 0);
  return counted.sort((a, b) => b.count - a.count || a.i - b.i).map((t) => t.term);
}

function scatterByTerm(order: Pod[], all: Pod[], term: ScatterTerm): Pod[] {
  let matched = order.filter((p) => matchesTerm(p, term));
  let unmatched = order.filter((p) => !matchesTerm(p, term));
  if (matched.length <= 1 || unmatched.length <= 1) return order;
  const totalMatched = all.filter((p) => matchesTerm(p, term)).length - 1;
  const totalUnmatched = all.length - totalMatched - 1;
  // The last matched pod goes last.
  const last = matched[matched.length - 1]!;
  matched = matched.slice(0, -1);
  const group = scatterGroup(totalMatched, totalUnmatched, matched.length, unmatched.length);
  const out: Pod[] = unmatched.slice(0, group.unmatchedRemainder);
  unmatched = unmatched.slice(group.unmatchedRemainder);
  for (let i = 0; i < group.groups; i++) {
    out.push(...matched.splice(0, group.matchedSize), ...unmatched.splice(0, group.unmatchedSize));
  }
  return [...out, ...matched, ...unmatched, last];
}

interface ScatterGroup {
  groups: number;
  matchedSize: number;
  unmatchedSize: number;
  unmatchedRemainder: number;
}

function evenGroups(matched: number, unmatched: number): ScatterGroup {
  const groups = Math.min(matched, unmatched);
  return {
    groups,
    matchedSize: goRound(matched / groups),
    unmatchedSize: goRound(unmatched / groups),
    unmatchedRemainder: 0,
  };
}

/** Kruise calculateGroupByDensity (Go integer division and math.Round). */
function scatterGroup(totalMatched: number, totalUnmatched: number, matched: number, unmatched: number) {
  const update = evenGroups(matched, unmatched);
  if (Math.fround(totalUnmatched / totalMatched) >= Math.fround(unmatched / matched)) return update;
  const total = evenGroups(totalMatched, totalUnmatched);
  const byMatched = Math.trunc(matched / total.matchedSize);
  const byUnmatched = Math.trunc(unmatched / total.unmatchedSize);
  const groups = Math.min(byMatched, byUnmatched);
  return { ...total, groups, unmatchedRemainder: unmatched - groups * total.unmatchedSize };
}

/** Go math.Round: half away from zero. */
function goRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}
