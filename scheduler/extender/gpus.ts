import { nodeAllocatable, podRequests } from '../../apis/resources';
import { MILLI, type PodClass, podClass } from '../scoring/classes';
import type { Node, Pod } from '../types';

// GPUs per device, the way GPU-sharing clusters schedule them (the scheme of Alibaba's
// gpushare-scheduler-extender): the node advertises its devices (`countResource`) and their combined
// memory or milli-GPU (`shareResource`); a pod asks for a share of ONE device (`shareResource`) or for whole
// devices (`resource`); the extender's bind verb picks the devices and records them on the pod in
// `deviceAnnotation` (with the Binding, or before it: `deviceAnnotations`), and the device plugin reads it.

export interface GpuSettings {
  /** Whole devices: a pod's request, and a node's device count when it has no `countResource`. */
  resource: string;
  /** A pod's share of one device; on a node, the sum over its devices. */
  shareResource: string;
  /** Devices on a node. */
  countResource: string;
  /** Device indices chosen for a pod, comma-separated ("1", "0,3"). */
  deviceAnnotation: string;
  /** Node label with the GPU model; node affinity on it is a GPU-model constraint. */
  modelLabel: string;
}

/** gpushare-scheduler-extender's annotation names, written with the device index for sharing pods. */
export const GPUSHARE_ANNOTATIONS = {
  pod: 'ALIYUN_COM_GPU_MEM_POD',
  dev: 'ALIYUN_COM_GPU_MEM_DEV',
  assigned: 'ALIYUN_COM_GPU_MEM_ASSIGNED',
  assumeTime: 'ALIYUN_COM_GPU_MEM_ASSUME_TIME',
} as const;

/** Devices per node the cache tracks. */
export const MAX_DEVICES = 16;

export interface PodGpus {
  /** Whole devices. */
  whole: number;
  /** Share of one device, in `shareResource` units. */
  share: number;
  /** GPU models the pod accepts; undefined = any. */
  models: string[] | undefined;
}

export interface NodeGpus {
  count: number;
  /** One device's capacity in `shareResource` units (MILLI when the node does not share GPUs). */
  capacity: number;
  shares: boolean;
  model: string;
}

export function podGpus(pod: Pod, s: GpuSettings): PodGpus {
  const [whole = 0, share = 0] = podRequests(pod, [s.resource, s.shareResource]);
  return { whole, share, models: whole > 0 || share > 0 ? podModels(pod, s.modelLabel) : undefined };
}

/** The pod's class for the angle: a share of one device, one whole device, several, or none. */
export function gpuClass(g: PodGpus): PodClass {
  return g.share > 0 ? 'share' : podClass(g.whole, MILLI);
}

export function nodeGpus(node: Node, s: GpuSettings): NodeGpus {
  const [whole = 0, count = 0, shareTotal = 0] = nodeAllocatable(node, [
    s.resource,
    s.countResource,
    s.shareResource,
  ]);
  const devices = Math.min(MAX_DEVICES, Math.floor(count > 0 ? count : whole));
  const shares = devices > 0 && shareTotal > 0;
  return {
    count: devices,
    capacity: shares ? shareTotal / devices : MILLI,
    shares,
    model: node.metadata?.labels?.[s.modelLabel] ?? '',
  };
}

/**
 * The GPU models a pod's required node affinity (or nodeSelector) allows on `label`; undefined when it
 * allows any. Terms are ORed, so one term without the label means any model.
 */
export function podModels(pod: Pod, label: string): string[] | undefined {
  const selector = pod.spec?.nodeSelector;
  const selected = isRecord(selector) && typeof selector[label] === 'string' ? selector[label] : undefined;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms: unknown[] =
    isRecord(required) && Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : [];
  let models: Set<string> | undefined;
  for (const term of terms) {
    const list: unknown[] =
      isRecord(term) && Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
    const exprs = list.filter(
      (e): e is Record<string, unknown> => isRecord(e) && e.key === label && e.operator === 'In',
    );
    if (exprs.length === 0) return selected === undefined ? undefined : [selected];
    models ??= new Set();
    for (const e of exprs) {
      if (Array.isArray(e.values)) for (const v of e.values) if (typeof v === 'string') models.add(v);
    }
  }
  if (selected !== undefined) return models && !models.has(selected) ? [] : [selected];
  return models && [...models];
}

// Pods in requests are validated only as far as the scheduler's needs; these fields may hold anything.
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Device indices recorded on the pod, or undefined when there are none or they are malformed. */
export function annotatedDevices(pod: Pod, s: GpuSettings): number[] | undefined {
  const value = pod.metadata?.annotations?.[s.deviceAnnotation];
  if (typeof value !== 'string' || !value) return undefined;
  const ids = value.split(',').map((v) => Number(v.trim()));
  return ids.every((id) => Number.isInteger(id) && id >= 0 && id < MAX_DEVICES) ? ids : undefined;
}

/** The annotations bind writes: the device indices, plus gpushare's bookkeeping for a sharing pod. */
export function deviceAnnotations(
  gpus: PodGpus,
  devices: readonly number[],
  capacity: number,
  s: GpuSettings,
  nowNanos: bigint,
): Record<string, string> {
  const out: Record<string, string> = { [s.deviceAnnotation]: devices.join(',') };
  if (gpus.share > 0) {
    out[GPUSHARE_ANNOTATIONS.pod] = String(gpus.share);
    out[GPUSHARE_ANNOTATIONS.dev] = String(capacity);
    out[GPUSHARE_ANNOTATIONS.assigned] = 'false';
    out[GPUSHARE_ANNOTATIONS.assumeTime] = String(nowNanos);
  }
  return out;
}
