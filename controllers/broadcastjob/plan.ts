// plan: one BroadcastJob reconcile as a pure function (Kruise pkg/controller/broadcastjob). (job, its pods,
// the nodes, the pods bound to each node, now) → the pods to create and delete, the Events, the status
// and when to look again. The workload kit applies it.
import {
  type BroadcastJob,
  type BroadcastJobStatus,
  type JobCondition,
  type Node,
  type Pod,
  resolveBroadcastJobParallelism,
} from '../../apis';
import { type Misfit, NodeFit, pinnedNode } from '../../apis/node-fit';
import { type Action, type PlanEvent, rfc3339, setCondition, type WorkloadPlan } from '../workload';
import { newPod } from './new-pod';

export interface PlanInput {
  /** The BroadcastJob from the cache, with apis applyDefaults('BroadcastJob', …) applied. */
  job: BroadcastJob;
  /** Every pod whose controller reference is the job (terminal and terminating ones included). */
  pods: Pod[];
  /** Every node in the cluster. */
  nodes: Node[];
  /** The pods bound to a node, in every namespace. */
  podsOnNode: (node: string) => Pod[];
  now: Date;
}

export type Plan = WorkloadPlan<BroadcastJobStatus>;

/** A node that lacks the free resources for the job's pod is looked at again this often. */
export const RESOURCE_RECHECK_MS = 30_000;

type PodState = 'active' | 'succeeded' | 'failed' | 'terminating';

/**
 * Kruise filterPods: terminal phases first; a pod being deleted counts nowhere; an OnFailure pod whose
 * containers restarted more than restartLimit times (init and app containers summed) has failed.
 */
export function podState(pod: Pod, restartLimit: number): PodState {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  if (pod.metadata.deletionTimestamp) return 'terminating';
  if (pod.spec.restartPolicy === 'OnFailure' && restarts(pod) > restartLimit) return 'failed';
  return 'active';
}

function restarts(pod: Pod): number {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return all.reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

/** Done on its node: it ran to an end, or failed past its restart limit. */
const isDone = (state: PodState) => state === 'succeeded' || state === 'failed';

/** Finished: Complete or Failed is True. Counts freeze; only the TTL and leftover pods remain. */
export function finishedCondition(status: BroadcastJobStatus | undefined): JobCondition | undefined {
  return status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

interface NodeView {
  /** Eligible nodes, with the job's pod there if it has one. */
  desired: Map<string, Pod | undefined>;
  /** Eligible nodes without a pod yet, by name. */
  rest: string[];
  /** Active pods whose node no longer takes them, with why. */
  misplaced: { pod: Pod; why: string }[];
  /** Some node fails only for lack of free resources, which may change without a node event. */
  waitsForResources: boolean;
}

export function plan(input: PlanInput): Plan {
  const { job, now } = input;
  const spec = job.spec!;
  const status: BroadcastJobStatus = structuredClone(job.status ?? {});
  const result: Plan = { actions: [], events: [], status, phase: 'none' };
  const restartLimit = spec.failurePolicy?.restartLimit ?? 0;
  const states = new Map(input.pods.map((p) => [p, podState(p, restartLimit)] as const));
  const finished = finishedCondition(status);
  if (finished) return planFinished(job, states, result, now);

  status.startTime ??= rfc3339(now);
  status.phase ||= 'running';
  const view = viewNodes(input, states, result.events);
  for (const { pod, why } of view.misplaced) {
    result.actions.push(deletePod(pod, 'NodeNotEligible'));
    result.events.push({ type: 'Normal', reason: 'NodeNotEligible', message: why });
    states.set(pod, 'terminating');
  }
  const counts = countStates(states);
  Object.assign(status, counts, { desired: view.desired.size });

  const requeues: number[] = [];
  if (view.waitsForResources) requeues.push(RESOURCE_RECHECK_MS);
  const failedPods = counts.failed > 0;
  const policy = spec.failurePolicy?.type ?? 'FailFast';
  const pausedBy = spec.paused ? 'spec' : failedPods && policy === 'Pause' ? 'failure' : undefined;
  if (pausedBy) {
    if (status.phase !== 'paused') {
      result.events.push(
        pausedBy === 'spec'
          ? { type: 'Normal', reason: 'Paused', message: 'job is paused' }
          : { type: 'Warning', reason: 'Paused', message: 'job is paused, due to failed pod' },
      );
    }
    status.phase = 'paused';
    return withRequeue(result, requeues);
  }
  if (status.phase === 'paused') {
    status.phase = 'running';
    result.events.push({ type: 'Normal', reason: 'Continue', message: 'continue to process job' });
  }

  const completion = spec.completionPolicy ?? {};
  const always = (completion.type ?? 'Always') === 'Always';
  const summary = () => `${status.succeeded} pods succeeded, ${status.failed} pods failed`;
  const failure =
    failedPods && policy === 'FailFast'
      ? {
          reason: 'PodFailed',
          message: 'failure policy is FailurePolicyTypeFailFast and failed pod is found',
        }
      : always && completion.activeDeadlineSeconds !== undefined
        ? deadlineFailure(job, status.startTime, completion.activeDeadlineSeconds, now, requeues)
        : undefined;
  if (failure) {
    // Kruise deletes the active pods and counts them failed.
    const running = [...states].filter(([, s]) => s === 'active').map(([p]) => p);
    result.actions.push(...runningPods(states).map((p) => deletePod(p, failure.reason)));
    status.failed = (status.failed ?? 0) + running.length;
    status.active = 0;
    finish(status, 'Failed', failure.message, now);
    result.events.push({
      type: 'Warning',
      reason: failure.reason,
      message: `${failure.message}: ${summary()}`,
    });
    return withRequeue(result, [ttlRequeue(job, now)].filter(isNumber));
  }

  if (!job.metadata?.deletionTimestamp && view.rest.length > 0) {
    const parallelism = resolveParallelism(job, view.desired.size, result);
    const active = counts.active;
    if (parallelism !== undefined && active > parallelism) {
      result.events.push({
        type: 'Warning',
        reason: 'TooManyActivePods',
        message: `${active} active pods exceed parallelism ${parallelism}`,
      });
    } else if (parallelism !== undefined) {
      const nodes = view.rest.slice(0, parallelism - active);
      result.actions.push(
        ...nodes.map((node): Action => ({ type: 'createPod', pod: newPod(job, node), revision: '' })),
      );
    }
  }

  if (always && isComplete(view.desired, states)) {
    result.actions.push(...runningPods(states).map((p) => deletePod(p, 'JobComplete')));
    finish(status, 'Complete', `Job completed, ${summary()}`, now);
    const name = `${job.metadata?.namespace}/${job.metadata?.name}`;
    result.events.push({
      type: 'Normal',
      reason: 'JobComplete',
      message: `Job ${name} is completed, ${summary()}`,
    });
    return withRequeue(result, [ttlRequeue(job, now)].filter(isNumber));
  }
  return withRequeue(result, requeues);
}

/** A finished job keeps its status; it deletes pods still running (FailFast, over the restart limit) and itself after the TTL. */
function planFinished(job: BroadcastJob, states: Map<Pod, PodState>, result: Plan, now: Date): Plan {
  result.actions.push(...runningPods(states).map((p) => deletePod(p, 'JobFinished')));
  const ttl = ttlRequeue(job, now);
  if (ttl === 0) {
    const seconds = job.spec?.completionPolicy?.ttlSecondsAfterFinished;
    result.actions.push({ type: 'deleteOwner', reason: 'TTLExpired' });
    result.events.push({
      type: 'Normal',
      reason: 'TTLExpired',
      message: `deleting the job ${seconds}s after it finished (ttlSecondsAfterFinished)`,
    });
    return result;
  }
  return withRequeue(result, [ttl].filter(isNumber));
}

/** Where every node stands: eligible or not, with or without the job's pod, and pods to take away. */
function viewNodes(input: PlanInput, states: Map<Pod, PodState>, events: PlanEvent[]): NodeView {
  const template = input.job.spec!.template;
  const fit = new NodeFit({ spec: template.spec });
  const byNode = podsByNode(input.pods, states, events);
  const view: NodeView = { desired: new Map(), rest: [], misplaced: [], waitsForResources: false };
  const nodes = [...input.nodes].sort((a, b) => compare(a.metadata.name ?? '', b.metadata.name ?? ''));
  const known = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    known.add(name);
    const pod = byNode.get(name);
    // A pod bound to its node only leaves for what evicts a running pod, its own tolerations counted:
    // admission gives every pod the not-ready and unreachable NoExecute tolerations with
    // tolerationSeconds, so a node NotReady for a moment is left to the taint manager's timer, not
    // emptied by us. One not yet bound must still be placeable, or it would wait forever.
    const misfit: Misfit | undefined = pod?.spec.nodeName
      ? fit.runningMisfit(node, pod)
      : fit.schedulingMisfit(node, input.podsOnNode(name));
    if (!misfit) {
      view.desired.set(name, pod);
      if (!pod) view.rest.push(name);
    } else if (pod && states.get(pod) === 'active') {
      view.misplaced.push({
        pod,
        why: `pod ${pod.metadata.name} no longer fits node ${name}: ${misfit.message}`,
      });
    } else if (!pod && misfit.reason === 'Resources') {
      view.waitsForResources = true;
    }
  }
  for (const [name, pod] of byNode) {
    if (!known.has(name) && states.get(pod) === 'active') {
      view.misplaced.push({
        pod,
        why: `pod ${pod.metadata.name} is on node ${name}, which no longer exists`,
      });
    }
  }
  return view;
}

/** The job's pod on each node; a second one (which our names prevent) is reported, not counted twice. */
function podsByNode(pods: Pod[], states: Map<Pod, PodState>, events: PlanEvent[]): Map<string, Pod> {
  const byNode = new Map<string, Pod>();
  for (const pod of pods) {
    const node = pinnedNode(pod);
    if (node === undefined) continue;
    const other = byNode.get(node);
    if (other) {
      events.push({
        type: 'Warning',
        reason: 'DuplicatePodCreatedOnSameNode',
        message: `Duplicated pod ${pod.metadata.name} found on same node ${node}`,
      });
      // Keep the one that still counts for the node: not being deleted.
      if (states.get(other) !== 'terminating') continue;
    }
    byNode.set(node, pod);
  }
  return byNode;
}

function countStates(states: Map<Pod, PodState>) {
  const count = (s: PodState) => [...states.values()].filter((v) => v === s).length;
  return { active: count('active'), succeeded: count('succeeded'), failed: count('failed') };
}

/** Pods still running: active ones, and failed ones whose containers still restart (OnFailure). */
function runningPods(states: Map<Pod, PodState>): Pod[] {
  return [...states]
    .filter(([p, s]) => s === 'active' || (s === 'failed' && isRunningPhase(p)))
    .map(([p]) => p);
}

function isRunningPhase(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** Every eligible node has the job's pod and each is done; a job with no eligible node keeps running. */
function isComplete(desired: Map<string, Pod | undefined>, states: Map<Pod, PodState>): boolean {
  if (desired.size === 0) return false;
  for (const pod of desired.values()) if (!pod || !isDone(states.get(pod) ?? 'active')) return false;
  return true;
}

function deletePod(pod: Pod, reason: string): Action {
  return { type: 'deletePod', name: pod.metadata.name ?? '', uid: pod.metadata.uid, pvcs: [], reason };
}

function finish(status: BroadcastJobStatus, type: 'Complete' | 'Failed', message: string, now: Date): void {
  const at = rfc3339(now);
  // Kruise's condition reason is its type; the Event says why.
  setCondition(status, {
    type,
    status: 'True',
    reason: type,
    message,
    lastProbeTime: at,
    lastTransitionTime: at,
  });
  status.phase = type === 'Complete' ? 'completed' : 'failed';
  status.completionTime = at;
}

function deadlineFailure(
  job: BroadcastJob,
  startTime: string,
  seconds: number,
  now: Date,
  requeues: number[],
): { reason: string; message: string } | undefined {
  const left = Date.parse(startTime) + seconds * 1000 - now.getTime();
  if (left > 0) {
    requeues.push(left);
    return undefined;
  }
  const name = `${job.metadata?.namespace}/${job.metadata?.name}`;
  return { reason: 'DeadlineExceeded', message: `Job ${name} was active longer than specified deadline` };
}

/** ms until the finished job's TTL is up (0: now), undefined without a TTL. */
function ttlRequeue(job: BroadcastJob, now: Date): number | undefined {
  const ttl = job.spec?.completionPolicy?.ttlSecondsAfterFinished;
  const finishedAt = job.status?.completionTime;
  if (ttl === undefined) return undefined;
  if (!finishedAt) return ttl * 1000;
  return Math.max(0, Date.parse(finishedAt) + ttl * 1000 - now.getTime());
}

/** parallelism against desired (percentages round up); an unusable value is reported and creates nothing. */
function resolveParallelism(job: BroadcastJob, desired: number, result: Plan): number | undefined {
  try {
    return resolveBroadcastJobParallelism(job.spec?.parallelism, desired);
  } catch (err) {
    result.failure = `cannot resolve parallelism: ${(err as Error).message}`;
    result.events.push({ type: 'Warning', reason: 'InvalidParallelism', message: result.failure });
    return undefined;
  }
}

function withRequeue(result: Plan, requeues: number[]): Plan {
  if (requeues.length > 0) result.requeueAfterMs = Math.min(...requeues);
  return result;
}

function isNumber(v: number | undefined): v is number {
  return v !== undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
