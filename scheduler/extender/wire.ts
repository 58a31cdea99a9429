import type { Node, Pod } from '../types';

// kube-scheduler extender v1 wire types (k8s.io/kube-scheduler/extender/v1). The Go structs have no json
// tags, so the keys are the capitalised Go field names.

export interface ExtenderArgs {
  Pod: Pod;
  Nodes: { items: Node[] } | null;
  NodeNames: string[] | null;
}

export interface ExtenderFilterResult {
  Nodes: { metadata: Record<string, never>; items: Node[] } | null;
  NodeNames: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

export interface HostPriority {
  Host: string;
  Score: number;
}

export interface ExtenderBindingArgs {
  PodName: string;
  PodNamespace: string;
  PodUID: string;
  Node: string;
}

export class BadRequest extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Go's decoder matches keys case-insensitively; accept the same so hand-written clients work.
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

function optionalObject(v: unknown, where: string): void {
  if (v !== undefined && v !== null && !isObject(v)) throw new BadRequest(`${where} must be an object`);
}

function validatePod(v: unknown): Pod {
  if (!isObject(v)) throw new BadRequest('Pod must be an object');
  optionalObject(v.metadata, 'Pod.metadata');
  optionalObject(v.spec, 'Pod.spec');
  optionalObject(v.status, 'Pod.status');
  const spec = v.spec as Record<string, unknown> | undefined;
  if (spec) {
    optionalObject(spec.overhead, 'Pod.spec.overhead');
    optionalObject(spec.resources, 'Pod.spec.resources');
    const res = spec.resources as Record<string, unknown> | undefined;
    optionalObject(res?.requests, 'Pod.spec.resources.requests');
    optionalObject(res?.limits, 'Pod.spec.resources.limits');
  }
  for (const key of ['containers', 'initContainers']) {
    const list = spec?.[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new BadRequest(`Pod.spec.${key} must be an array`);
    for (const c of list) {
      if (!isObject(c)) throw new BadRequest(`Pod.spec.${key}[] must be objects`);
      optionalObject(c.resources, `Pod.spec.${key}[].resources`);
      const res = c.resources as Record<string, unknown> | undefined;
      optionalObject(res?.requests, `Pod.spec.${key}[].resources.requests`);
      optionalObject(res?.limits, `Pod.spec.${key}[].resources.limits`);
    }
  }
  return v as Pod;
}

function validateNodes(v: unknown): { items: Node[] } | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new BadRequest('Nodes must be a NodeList object or null');
  const items = v.items ?? [];
  if (!Array.isArray(items)) throw new BadRequest('Nodes.items must be an array');
  for (const n of items) {
    if (!isObject(n) || !isObject(n.metadata) || typeof n.metadata.name !== 'string' || !n.metadata.name) {
      throw new BadRequest('every Nodes.items[] needs metadata.name');
    }
    optionalObject(n.status, 'Nodes.items[].status');
    optionalObject(
      (n.status as Record<string, unknown> | undefined)?.allocatable,
      'Nodes.items[].status.allocatable',
    );
  }
  return { items: items as Node[] };
}

function validateNames(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))
    throw new BadRequest('NodeNames must be an array of strings');
  return v as string[];
}

export function parseExtenderArgs(body: unknown): ExtenderArgs {
  if (!isObject(body)) throw new BadRequest('request body must be a JSON object (ExtenderArgs)');
  const args: ExtenderArgs = {
    Pod: validatePod(field(body, 'Pod')),
    Nodes: validateNodes(field(body, 'Nodes')),
    NodeNames: validateNames(field(body, 'NodeNames')),
  };
  if (args.Nodes === null && args.NodeNames === null)
    throw new BadRequest('one of Nodes or NodeNames is required');
  return args;
}

export function parseBindingArgs(body: unknown): ExtenderBindingArgs {
  if (!isObject(body)) throw new BadRequest('request body must be a JSON object (ExtenderBindingArgs)');
  const out: Record<string, string> = {};
  for (const key of ['PodName', 'PodNamespace', 'PodUID', 'Node']) {
    const v = field(body, key);
    if (typeof v !== 'string' || (key !== 'PodUID' && v === ''))
      throw new BadRequest(`${key} must be a non-empty string`);
    out[key] = v;
  }
  return out as unknown as ExtenderBindingArgs;
}
