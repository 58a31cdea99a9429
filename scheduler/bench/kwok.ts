// The openb trace as Kubernetes objects (kwok nodes, Pod manifests) for the online e2e tests and benches,
// in the GPU-sharing scheme the extender serves (scheduler/extender/gpus.ts).
import type { FakeNodeSpec } from '../../cluster/nodes';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { parseConfig } from '../config';
import { MILLI } from '../scoring/classes';
import {
  type Cluster,
  DEFAULT_TRACE_DIR,
  loadCluster,
  loadPods,
  type TraceNode,
  type TracePod,
  workloadPath,
} from '../sim/trace';

/** The shipped GPU settings: which resources, annotation and label carry devices, shares and models. */
export const GPU = parseConfig('').gpu;

/** Whole GPUs a trace pod takes without GPU sharing (vanilla nvidia.com/gpu). */
export const wholeGpus = (p: TracePod): number => Math.ceil((p.gpus * p.gpuMilli) / MILLI);

export interface TraceObjects {
  /**
   * true: nodes advertise GPU shares (1000 units per device, i.e. milli-GPU) beside whole GPUs, and sharing
   * pods ask for their milli-GPU share; false: vanilla nvidia.com/gpu, sharing pods take a whole GPU.
   */
  sharing: boolean;
}

/** A trace node's capacity and GPU-model label. */
export function traceNodeSpec(n: TraceNode, cluster: Cluster, o: TraceObjects): FakeNodeSpec {
  const capacity: Record<string, string> = { cpu: `${n.cpu}m`, memory: `${n.mem}Mi`, pods: '110' };
  const labels: Record<string, string> = {};
  if (n.gpus > 0) {
    capacity[GPU.resource] = String(n.gpus);
    if (o.sharing) {
      capacity[GPU.countResource] = String(n.gpus);
      capacity[GPU.shareResource] = String(n.gpus * MILLI);
    }
    if (n.model >= 0) labels[GPU.modelLabel] = cluster.models[n.model]!;
  }
  return { name: n.name, capacity, labels, kwokTaint: true };
}

/** `count` GPU nodes spread evenly over the trace's 1213, keeping its mix of shapes. */
export function traceNodes(count: number, o: TraceObjects, dir = DEFAULT_TRACE_DIR) {
  const cluster = loadCluster(dir, 'gpu');
  const step = cluster.nodes.length / count;
  const nodes = Array.from({ length: Math.min(count, cluster.nodes.length) }, (_, i) => {
    return cluster.nodes[Math.floor(i * step)]!;
  });
  return {
    cluster: { nodes, models: cluster.models },
    specs: nodes.map((n) => traceNodeSpec(n, cluster, o)),
  };
}

/** Pods of a pod list, `filter`ed, in list order. */
export function tracePods(
  count: number,
  workload = 'default',
  filter: (p: TracePod) => boolean = (p) => p.models === 0,
  dir = DEFAULT_TRACE_DIR,
): TracePod[] {
  return loadPods(workloadPath(dir, workload), loadCluster(dir, 'gpu')).filter(filter).slice(0, count);
}

/**
 * A Pod for kwok nodes with the trace pod's requests: a sharing pod asks for its milli-GPU as a share of
 * one device (or, without sharing, a whole GPU), GPUs are extended resources so limits = requests, and a
 * GPU-model constraint becomes required node affinity on the model label.
 */
export function podManifest(
  p: TracePod,
  name: string,
  namespace: string,
  o: TraceObjects = { sharing: false },
  models: readonly string[] = [],
): Record<string, unknown> {
  const requests: Record<string, string> = { cpu: `${p.cpu}m`, memory: `${p.mem}Mi` };
  const limits: Record<string, string> = {};
  if (o.sharing && p.gpus === 1 && p.gpuMilli < MILLI) {
    requests[GPU.shareResource] = limits[GPU.shareResource] = String(p.gpuMilli);
  } else if (p.gpus > 0) {
    requests[GPU.resource] = limits[GPU.resource] = String(wholeGpus(p));
  }
  const accepted = models.filter((_, m) => (p.models & (1 << m)) !== 0);
  const affinity =
    p.gpus > 0 && accepted.length > 0
      ? {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: GPU.modelLabel, operator: 'In', values: accepted }] },
              ],
            },
          },
        }
      : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'angle-bench' } },
    spec: {
      tolerations: [KWOK_TOLERATION],
      ...(affinity ? { affinity } : {}),
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests, limits } }],
    },
  };
}
