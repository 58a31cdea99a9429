// Can this pod run on this node? kube-scheduler's filters (NodeName, NodeAffinity, TaintToleration,
// NodeUnschedulable, NodeResourcesFit) for a pod yet to be placed, and DaemonSet's "should continue
// running" for a pod already there. One home for node fit for every controller, on the pod-request
// accounting the scheduler extender uses too (./resources). Pods and nodes may come from the network, so
// every field is read defensively.
import { nodeAllocatable, podRequests, type ResourceList, type Pod as ResourcePod } from './resources';

export interface FitPod extends ResourcePod {
  spec?: ResourcePod['spec'] & {
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    affinity?: unknown;
    tolerations?: unknown[];
  };
  status?: { phase?: string };
}

export interface FitNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { taints?: unknown[]; unschedulable?: boolean };
  status?: { allocatable?: ResourceList };
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export type MisfitReason = 'NodeName' | 'NodeAffinity' | 'Taint' | 'Unschedulable' | 'Resources';

/** Why the pod cannot go (or stay) on the node, worded as kube-scheduler words it. */
export interface Misfit {
  reason: MisfitReason;
  message: string;
}

/** The taint kube-scheduler treats `spec.unschedulable` as (a pod tolerating it may go to a cordoned node). */
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

const NODE_NAME_FIELD = 'metadata.name';

/** core/v1 Toleration.ToleratesTaint. Unknown operators tolerate nothing. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? '';
  if (operator === 'Exists') return true;
  if (operator === '' || operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return false;
}

/** v1helper.FindMatchingUntoleratedTaint over the taints with one of `effects`. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: readonly string[],
): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerations.some((tol) => toleratesTaint(tol, t)));
}

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

interface Term {
  matchExpressions: Requirement[];
  matchFields: Requirement[];
}

/** The nodes a pod's nodeSelector and required node affinity admit (nodeaffinity.RequiredNodeAffinity). */
export interface RequiredNodeAffinity {
  nodeSelector: Record<string, string>;
  /** undefined: no required affinity; otherwise the terms, ORed. */
  terms?: Term[];
}

export function requiredNodeAffinity(pod: FitPod): RequiredNodeAffinity {
  const selector = pod.spec?.nodeSelector;
  const nodeSelector: Record<string, string> = {};
  if (isRecord(selector)) {
    for (const [k, v] of Object.entries(selector)) nodeSelector[k] = typeof v === 'string' ? v : String(v);
  }
  const required = field(
    field(pod.spec?.affinity, 'nodeAffinity'),
    'requiredDuringSchedulingIgnoredDuringExecution',
  );
  if (!isRecord(required)) return { nodeSelector };
  const terms = asArray(required.nodeSelectorTerms).map((t) => ({
    matchExpressions: requirements(field(t, 'matchExpressions')),
    matchFields: requirements(field(t, 'matchFields')),
  }));
  return { nodeSelector, terms };
}

export function matchesNodeAffinity(affinity: RequiredNodeAffinity, node: FitNode): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(affinity.nodeSelector)) if (labels[k] !== v) return false;
  if (!affinity.terms) return true;
  const fields = { [NODE_NAME_FIELD]: node.metadata?.name ?? '' };
  return affinity.terms.some((term) => termMatches(term, labels, fields));
}

/** A term with nothing in it matches no node; its requirements are ANDed. */
function termMatches(term: Term, labels: Record<string, string>, fields: Record<string, string>): boolean {
  if (term.matchExpressions.length === 0 && term.matchFields.length === 0) return false;
  return (
    term.matchExpressions.every((r) => requirementMatches(r, labels, false)) &&
    term.matchFields.every((r) => requirementMatches(r, fields, true))
  );
}

/** NodeSelectorRequirement semantics; fields know only metadata.name with In and NotIn. */
function requirementMatches(r: Requirement, values: Record<string, string>, isField: boolean): boolean {
  if (isField && (r.key !== NODE_NAME_FIELD || (r.operator !== 'In' && r.operator !== 'NotIn'))) return false;
  const has = Object.hasOwn(values, r.key);
  const value = values[r.key] ?? '';
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(value);
    case 'NotIn':
      return !has || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || r.values.length !== 1) return false;
      const [label, bound] = [integer(value), integer(r.values[0] ?? '')];
      if (label === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? label > bound : label < bound;
    }
    default:
      return false;
  }
}

/** The single node a pod is pinned to: spec.nodeName, or DaemonSet-style `matchFields metadata.name In [node]`. */
export function pinnedNode(pod: FitPod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of requiredNodeAffinity(pod).terms ?? []) {
    for (const r of term.matchFields) {
      if (r.key === NODE_NAME_FIELD && r.operator === 'In' && r.values.length === 1) return r.values[0];
    }
  }
  return undefined;
}

/**
 * `pod`'s affinity with its required node terms replaced by one that admits only `node`
 * (k8s daemonutil.ReplaceDaemonSetPodNodeNameNodeAffinity): kube-scheduler then binds the pod there.
 */
export function pinToNode(affinity: unknown, node: string): Record<string, unknown> {
  const base = isRecord(affinity) ? affinity : {};
  const nodeAffinity = isRecord(base.nodeAffinity) ? base.nodeAffinity : {};
  const required = isRecord(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)
    ? nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
    : {};
  const term = { matchFields: [{ key: NODE_NAME_FIELD, operator: 'In', values: [node] }] };
  return {
    ...base,
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { ...required, nodeSelectorTerms: [term] },
    },
  };
}

export function taintsOf(node: FitNode): Taint[] {
  return asArray(node.spec?.taints).flatMap((t) =>
    isRecord(t) && typeof t.key === 'string' && typeof t.effect === 'string'
      ? [{ key: t.key, effect: t.effect, value: typeof t.value === 'string' ? t.value : undefined }]
      : [],
  );
}

function tolerationsOf(pod: FitPod): Toleration[] {
  return asArray(pod.spec?.tolerations).flatMap((t) =>
    isRecord(t)
      ? [
          {
            key: stringOrUndefined(t.key),
            operator: stringOrUndefined(t.operator),
            value: stringOrUndefined(t.value),
            effect: stringOrUndefined(t.effect),
          },
        ]
      : [],
  );
}

/** Resource names the pod asks for (requests, limits standing in for requests, overhead, pod level). */
function requestedNames(pod: FitPod): string[] {
  const names = new Set<string>();
  const add = (list: unknown) => {
    if (isRecord(list)) for (const name of Object.keys(list)) names.add(name);
  };
  const spec = pod.spec;
  for (const c of [...asArray(spec?.containers), ...asArray(spec?.initContainers)]) {
    add(field(field(c, 'resources'), 'requests'));
    add(field(field(c, 'resources'), 'limits'));
  }
  add(spec?.overhead);
  add(spec?.resources?.requests);
  add(spec?.resources?.limits);
  names.delete(PODS);
  return [...names].sort();
}

const PODS = 'pods';
const TERMINAL = new Set(['Succeeded', 'Failed']);

/** The pods kube-scheduler counts on a node: bound there and not terminal. */
export function occupiesNode(pod: FitPod): boolean {
  return !TERMINAL.has(pod.status?.phase ?? '');
}

/**
 * Node fit of one pod (or pod template, with `spec.nodeName` unset) against any node, with the pod's
 * tolerations, affinity and requests read once.
 */
export class NodeFit {
  private readonly tolerations: Toleration[];
  private readonly affinity: RequiredNodeAffinity;
  private readonly dims: string[];
  private readonly requests?: Float64Array;
  private readonly invalidRequests?: string;

  constructor(private readonly pod: FitPod) {
    this.tolerations = tolerationsOf(pod);
    this.affinity = requiredNodeAffinity(pod);
    this.dims = requestedNames(pod);
    try {
      this.requests = podRequests(pod, this.dims);
    } catch (err) {
      this.invalidRequests = (err as Error).message;
    }
  }

  /**
   * Why kube-scheduler would not place the pod on `node` with `podsOnNode` (the pods bound there, the
   * pod itself excluded) already running; undefined when it would.
   */
  schedulingMisfit(node: FitNode, podsOnNode: readonly FitPod[]): Misfit | undefined {
    return (
      this.placementMisfit(node, ['NoSchedule', 'NoExecute']) ??
      this.unschedulableMisfit(node) ??
      this.resourceMisfit(node, podsOnNode)
    );
  }

  /**
   * Why a pod already on `node` must leave it (DaemonSet's shouldContinueRunning): the node no longer
   * matches its node name or affinity, or has a NoExecute taint it does not tolerate. A NoSchedule taint,
   * a cordon or a full node only keep new pods away. `running`, the pod there, adds its own tolerations
   * (admission's not-ready/unreachable ones) to the template's this fit was made from.
   */
  runningMisfit(node: FitNode, running?: FitPod): Misfit | undefined {
    return this.placementMisfit(node, ['NoExecute'], running);
  }

  private placementMisfit(node: FitNode, effects: readonly string[], running?: FitPod): Misfit | undefined {
    const nodeName = this.pod.spec?.nodeName;
    if (nodeName && nodeName !== node.metadata?.name) {
      return { reason: 'NodeName', message: "node(s) didn't match the requested node name" };
    }
    if (!matchesNodeAffinity(this.affinity, node)) {
      return { reason: 'NodeAffinity', message: "node(s) didn't match Pod's node affinity/selector" };
    }
    // Most nodes have no taint of these effects: the running pod's tolerations are read only if one does.
    const taints = taintsOf(node).filter((t) => effects.includes(t.effect));
    const tolerations =
      running && taints.length > 0 ? [...this.tolerations, ...tolerationsOf(running)] : this.tolerations;
    const taint = untoleratedTaint(taints, tolerations, effects);
    if (taint) {
      const value = taint.value ? `: ${taint.value}` : '';
      return {
        reason: 'Taint',
        message: `node(s) had untolerated taint {${taint.key}${value}} (${taint.effect})`,
      };
    }
    return undefined;
  }

  private unschedulableMisfit(node: FitNode): Misfit | undefined {
    if (!node.spec?.unschedulable) return undefined;
    if (this.tolerations.some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT))) return undefined;
    return { reason: 'Unschedulable', message: 'node(s) were unschedulable' };
  }

  /** noderesources.Fits: the pod count, then each resource the pod requests against what is left. */
  private resourceMisfit(node: FitNode, podsOnNode: readonly FitPod[]): Misfit | undefined {
    if (this.invalidRequests !== undefined) {
      return { reason: 'Resources', message: `invalid resource requests: ${this.invalidRequests}` };
    }
    const occupying = podsOnNode.filter(occupiesNode);
    const [allowedPods = 0, ...free] = allocatableOf(node, [PODS, ...this.dims]);
    const problems: string[] = [];
    if (occupying.length + 1 > allowedPods) problems.push('Too many pods');
    const requests = this.requests as Float64Array;
    if (requests.some((r) => r > 0)) {
      for (const other of occupying) {
        const theirs = requestsOf(other, this.dims);
        for (let d = 0; d < free.length; d++) free[d]! -= theirs[d]!;
      }
      this.dims.forEach((name, d) => {
        if (requests[d]! > 0 && requests[d]! > free[d]!) problems.push(`Insufficient ${name}`);
      });
    }
    return problems.length > 0 ? { reason: 'Resources', message: problems.join(', ') } : undefined;
  }
}

/** A pod the apiserver accepted has valid quantities; should one not, it counts as requesting nothing. */
function requestsOf(pod: FitPod, dims: readonly string[]): Float64Array {
  try {
    return podRequests(pod, dims);
  } catch {
    return new Float64Array(dims.length);
  }
}

/** A malformed allocatable offers nothing. */
function allocatableOf(node: FitNode, dims: readonly string[]): number[] {
  try {
    return Array.from(nodeAllocatable(node, dims));
  } catch {
    return dims.map(() => 0);
  }
}

function requirements(list: unknown): Requirement[] {
  return asArray(list).flatMap((r) =>
    isRecord(r) && typeof r.key === 'string' && typeof r.operator === 'string'
      ? [{ key: r.key, operator: r.operator, values: asArray(r.values).filter(isString) }]
      : [],
  );
}

function integer(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function field(obj: unknown, name: string): unknown {
  return isRecord(obj) ? obj[name] : undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
