// Which revision changes can be applied to a running pod (OpenKruise pkg/util/inplaceupdate,
// defaultCalculateInPlaceUpdateSpec). Images and template labels/annotations change in place (a container
// whose env reads a changed label or annotation through the downward API is restarted, Kruise's
// InPlaceUpdateEnvFromMetadata); cpu and memory change in place through the pod `resize` subresource when
// the cluster supports it (Kruise's InPlaceWorkloadVerticalScaling); anything else needs a new pod.
import {
  type Container,
  type ControllerRevision,
  type PodTemplateSpec,
  templateOfRevision,
} from '../../apis';
import { tryParseQuantity } from '../../apis/quantity';
import { deepEqual } from '../../runtime/json';

export type Resources = NonNullable<Container['resources']>;

/** Label/annotation changes as a merge patch: a null value removes the key. */
export interface MetadataPatch {
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

export interface TemplateDiff {
  /** container name → new image */
  images: Record<string, string>;
  /** container name → new resources (in place only through the resize subresource) */
  resources: Record<string, Resources>;
  metadata?: MetadataPatch;
  /** Containers to restart in place: their env reads a changed label or annotation. */
  restartContainers: string[];
  /** Paths that changed and cannot change in place; empty when the pod can be updated in place. */
  recreateReasons: string[];
}

/**
 * - 'none': templates are equal;
 * - 'inPlace': only images and/or labels/annotations changed;
 * - 'inPlaceResize': as inPlace, plus container resources, applied through the pod resize subresource;
 * - 'recreate': anything else (or resources changed and the cluster cannot resize).
 */
export type ChangeKind = 'none' | 'inPlace' | 'inPlaceResize' | 'recreate';

export interface DiffOptions {
  /** The cluster serves the pod `resize` subresource (k8s InPlacePodVerticalScaling, GA in 1.33+). */
  resizeSupported?: boolean;
  /**
   * Kruise's InPlaceUpdateEnvFromMetadata (default on): a label or annotation read by env through the
   * downward API changes in place and its containers restart; off, such a change needs a new pod.
   */
  envFromMetadata?: boolean;
}

/** The only resources `pods/resize` accepts; the apiserver refuses a resize of any other. */
export const RESIZABLE_RESOURCES: readonly string[] = ['cpu', 'memory'];

export function diffPodTemplates(
  oldT: PodTemplateSpec,
  newT: PodTemplateSpec,
  options: DiffOptions = {},
): TemplateDiff {
  const diff: TemplateDiff = { images: {}, resources: {}, restartContainers: [], recreateReasons: [] };
  diff.metadata = diffMetadata(oldT, newT, diff.recreateReasons);
  diffContainers(oldT.spec.containers ?? [], newT.spec.containers ?? [], diff);
  const { containers: _o, ...oldRest } = oldT.spec;
  const { containers: _n, ...newRest } = newT.spec;
  for (const key of unionKeys(oldRest, newRest)) {
    if (!deepEqual(oldRest[key], newRest[key])) diff.recreateReasons.push(`spec.${key}`);
  }
  if (Object.keys(diff.resources).length > 0 && qosClass(oldT) !== qosClass(newT)) {
    // Kruise: a resize that would change the pod QoS class is not in place.
    diff.recreateReasons.push('spec.containers[*].resources (QoS class changes)');
  }
  envFromChangedMetadata(newT, diff, options.envFromMetadata ?? true);
  return diff;
}

export function changeKind(diff: TemplateDiff, options: DiffOptions = {}): ChangeKind {
  if (diff.recreateReasons.length > 0) return 'recreate';
  const hasResources = Object.keys(diff.resources).length > 0;
  if (hasResources) return options.resizeSupported ? 'inPlaceResize' : 'recreate';
  if (Object.keys(diff.images).length > 0 || diff.metadata) return 'inPlace';
  return 'none';
}

/** canUpdateInPlace: true when a pod at oldRevision can reach newRevision without being recreated. */
export function canUpdateInPlace(
  oldRevision: ControllerRevision | undefined,
  newRevision: ControllerRevision | undefined,
  options: DiffOptions = {},
): boolean {
  const kind = revisionChangeKind(oldRevision, newRevision, options);
  return kind === 'inPlace' || kind === 'inPlaceResize';
}

/** changeKind of two revisions; a missing revision (pruned history) means the pod must be recreated. */
export function revisionChangeKind(
  oldRevision: ControllerRevision | undefined,
  newRevision: ControllerRevision | undefined,
  options: DiffOptions = {},
): ChangeKind {
  const oldT = oldRevision && templateOfRevision(oldRevision);
  const newT = newRevision && templateOfRevision(newRevision);
  if (!oldT || !newT) return 'recreate';
  return changeKind(diffPodTemplates(oldT, newT, options), options);
}

function diffMetadata(oldT: PodTemplateSpec, newT: PodTemplateSpec, reasons: string[]) {
  const patch: MetadataPatch = {};
  for (const field of ['labels', 'annotations'] as const) {
    const before = oldT.metadata?.[field] ?? {};
    const after = newT.metadata?.[field] ?? {};
    const changes: Record<string, string | null> = {};
    for (const key of unionKeys(before, after)) {
      if (before[key] !== after[key]) changes[key] = after[key] ?? null;
    }
    if (Object.keys(changes).length > 0) patch[field] = changes;
  }
  const { labels: _a, annotations: _b, ...oldRest } = oldT.metadata ?? {};
  const { labels: _c, annotations: _d, ...newRest } = newT.metadata ?? {};
  for (const key of unionKeys(oldRest, newRest)) {
    if (!deepEqual(oldRest[key], newRest[key])) reasons.push(`metadata.${key}`);
  }
  return patch.labels || patch.annotations ? patch : undefined;
}

function diffContainers(before: Container[], after: Container[], diff: TemplateDiff): void {
  if (before.length !== after.length) {
    diff.recreateReasons.push('spec.containers (added or removed)');
    return;
  }
  before.forEach((oldC, i) => {
    const newC = after[i]!;
    const { image: oldImage, resources: oldRes, ...oldRest } = oldC;
    const { image: newImage, resources: newRes, ...newRest } = newC;
    for (const key of unionKeys(oldRest, newRest)) {
      if (!deepEqual(oldRest[key], newRest[key])) diff.recreateReasons.push(`spec.containers[${i}].${key}`);
    }
    if (oldImage !== newImage) {
      // Kruise only accepts a `replace` of an existing image.
      if (oldImage === undefined || newImage === undefined)
        diff.recreateReasons.push(`spec.containers[${i}].image`);
      else diff.images[newC.name] = newImage;
    }
    if (sameResources(oldRes, newRes)) return;
    const fixed = changedResourceNames(oldRes, newRes).filter((name) => !RESIZABLE_RESOURCES.includes(name));
    if (fixed.length > 0) {
      diff.recreateReasons.push(`spec.containers[${i}].resources (${fixed.join(', ')} cannot be resized)`);
    } else diff.resources[newC.name] = newRes ?? {};
  });
}

/** Containers whose env reads a changed label/annotation through the downward API must restart. */
function envFromChangedMetadata(newT: PodTemplateSpec, diff: TemplateDiff, inPlace: boolean): void {
  const changed = [
    ...Object.keys(diff.metadata?.labels ?? {}).map((k) => `metadata.labels['${k}']`),
    ...Object.keys(diff.metadata?.annotations ?? {}).map((k) => `metadata.annotations['${k}']`),
  ];
  if (changed.length === 0) return;
  for (const c of newT.spec.containers ?? []) {
    const read = (c.env ?? [])
      .map((env) => env.valueFrom?.fieldRef?.fieldPath)
      .filter((p) => p !== undefined);
    const reads = changed.filter((path) => read.includes(path));
    if (reads.length === 0) continue;
    if (inPlace) diff.restartContainers.push(c.name);
    else diff.recreateReasons.push(...reads.map((path) => `${path} (read by env of ${c.name})`));
  }
}

/** Requests and limits equal as quantities ("1" == "1000m"). */
export function sameResources(a: Resources | undefined, b: Resources | undefined): boolean {
  return changedResourceNames(a, b).length === 0;
}

/** The resource names whose request or limit differs (as quantities). */
function changedResourceNames(a: Resources | undefined, b: Resources | undefined): string[] {
  const changed = new Set<string>();
  for (const kind of ['requests', 'limits'] as const) {
    const x = a?.[kind] ?? {};
    const y = b?.[kind] ?? {};
    for (const key of unionKeys(x, y)) {
      const same =
        x[key] !== undefined && y[key] !== undefined && tryParseQuantity(x[key]) === tryParseQuantity(y[key]);
      if (!same) changed.add(key);
    }
  }
  return [...changed];
}

/** k8s GetPodQOS over the template's containers (cpu and memory only). */
export function qosClass(template: PodTemplateSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(template.spec.containers ?? []), ...(template.spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const name of ['cpu', 'memory']) {
      const request = requests[name] ?? limits[name];
      const limit = limits[name];
      if (request !== undefined || limit !== undefined) any = true;
      if (limit === undefined || tryParseQuantity(request) !== tryParseQuantity(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}
