// How much of each resource a pod requests and a node offers, as kube-scheduler counts them. Shared by the
// scheduler extender and the controllers' node fit, so it reads untrusted JSON: every field is optional.
import { parseQuantity } from './quantity';

export type ResourceList = Record<string, unknown>;

interface Requirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface Container {
  name?: string;
  /** `Always` on an init container makes it a native sidecar. */
  restartPolicy?: string;
  resources?: Requirements;
}

export interface Pod {
  spec?: {
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
    /** Pod-level requests and limits (PodLevelResources). */
    resources?: Requirements;
  };
}

export interface Node {
  status?: { allocatable?: ResourceList };
}

export const CPU = 'cpu';
export const MEMORY = 'memory';

// NodeResourcesFit scoring substitutes these for containers that request nothing (schedutil.DefaultMilliCPURequest).
const NON_ZERO_CPU = 100;
const NON_ZERO_MEMORY = 200 * 2 ** 20;

/** Scheduler units, as NodeInfo stores them: cpu in millicores (MilliValue), the rest in Value(); both round up. */
export function toSchedulerUnits(name: string, value: number): number {
  return Math.ceil(name === CPU ? value * 1000 - 1e-9 : value - 1e-9);
}

export class ResourceError extends Error {}

function quantity(list: ResourceList | undefined, name: string, where: string): number | undefined {
  const raw = list?.[name];
  if (raw === undefined || raw === null) return undefined;
  try {
    const value = toSchedulerUnits(name, parseQuantity(raw));
    if (value < 0) throw new ResourceError(`${where}: negative quantity for ${name}`);
    return value;
  } catch (err) {
    throw new ResourceError(`${where}: ${(err as Error).message}`);
  }
}

// A request missing but a limit set means request = limit, as apiserver defaulting does.
function containerRequest(c: Container, name: string, nonZero: boolean, where: string): number {
  const value =
    quantity(c.resources?.requests, name, where) ?? quantity(c.resources?.limits, name, where) ?? 0;
  if (nonZero && value === 0) {
    if (name === CPU) return NON_ZERO_CPU;
    if (name === MEMORY) return NON_ZERO_MEMORY;
  }
  return value;
}

function containers(list: unknown, field: string): Container[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ResourceError(`spec.${field} must be an array`);
  for (const c of list) {
    if (typeof c !== 'object' || c === null) throw new ResourceError(`spec.${field} entries must be objects`);
  }
  return list as Container[];
}

// Pod-level `spec.resources` may set these (the PodLevelResources feature); they replace the containers' sum.
const POD_LEVEL = new Set([CPU, MEMORY]);

function isRestartable(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/**
 * The pod's effective request per dimension in scheduler units, as kube-scheduler computes it
 * (resourcehelper.PodRequests): containers summed; init containers run one at a time, each next to the
 * native sidecars (init containers with restartPolicy Always) started before it, so the pod needs the
 * larger of that and containers plus all sidecars; pod-level spec.resources replaces cpu and memory;
 * spec.overhead is added. `nonZero` applies the scoring defaults for cpu and memory.
 */
export function podRequests(pod: Pod, dims: readonly string[], nonZero = false): Float64Array {
  const spec = pod.spec ?? {};
  const main = containers(spec.containers, 'containers');
  const init = containers(spec.initContainers, 'initContainers');
  const podLevel = spec.resources;
  const out = new Float64Array(dims.length);
  for (let d = 0; d < dims.length; d++) {
    const name = dims[d]!;
    let sum = 0;
    for (const [i, c] of main.entries()) sum += containerRequest(c, name, nonZero, `containers[${i}]`);
    let sidecars = 0;
    let initPeak = 0;
    for (const [i, c] of init.entries()) {
      const r = containerRequest(c, name, nonZero, `initContainers[${i}]`);
      if (isRestartable(c)) sidecars += r;
      else initPeak = Math.max(initPeak, sidecars + r);
    }
    let total = Math.max(sum + sidecars, initPeak);
    if (POD_LEVEL.has(name)) {
      const level =
        quantity(podLevel?.requests, name, 'resources') ?? quantity(podLevel?.limits, name, 'resources');
      if (level !== undefined) total = level;
    }
    out[d] = total + (quantity(spec.overhead, name, 'overhead') ?? 0);
  }
  return out;
}

/** Node allocatable per dimension; a missing dimension is 0. */
export function nodeAllocatable(node: Node, dims: readonly string[]): Float64Array {
  const out = new Float64Array(dims.length);
  const alloc = node.status?.allocatable;
  for (let d = 0; d < dims.length; d++) out[d] = quantity(alloc, dims[d]!, 'status.allocatable') ?? 0;
  return out;
}

/** True when the pod uses any of the named resources (the scheduler's IsInterested check). */
export function requestsAny(pod: Pod, names: readonly string[]): boolean {
  const all = [
    ...containers(pod.spec?.containers, 'containers'),
    ...containers(pod.spec?.initContainers, 'initContainers'),
  ];
  return all.some((c) =>
    names.some((n) => c.resources?.requests?.[n] !== undefined || c.resources?.limits?.[n] !== undefined),
  );
}
