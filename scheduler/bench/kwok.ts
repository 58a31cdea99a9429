// The openb trace as kwok nodes and real Pod manifests, for the online e2e tests and bench:extender.
import type { FakeNodeSpec } from '../../cluster/nodes';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { DEFAULT_TRACE_DIR, loadCluster, loadPods, type TracePod, workloadPath } from '../sim/trace';

/** Whole GPUs a trace pod takes without GPU sharing (vanilla nvidia.com/gpu). */
export const wholeGpus = (p: TracePod): number => Math.ceil((p.gpus * p.gpuMilli) / 1000);

/** `count` GPU nodes spread evenly over the trace's 1213, keeping its mix of shapes. */
export function traceNodeSpecs(count: number, dir = DEFAULT_TRACE_DIR): FakeNodeSpec[] {
  const { nodes } = loadCluster(dir, 'gpu');
  const step = nodes.length / count;
  return Array.from({ length: Math.min(count, nodes.length) }, (_, i) => {
    const n = nodes[Math.floor(i * step)]!;
    return {
      name: n.name,
      capacity: { cpu: `${n.cpu}m`, memory: `${n.mem}Mi`, 'nvidia.com/gpu': String(n.gpus), pods: '110' },
    };
  });
}

/** The first `count` pods of a pod list that name no GPU model (kwok nodes carry no model labels). */
export function tracePods(count: number, workload = 'default', dir = DEFAULT_TRACE_DIR): TracePod[] {
  const cluster = loadCluster(dir, 'gpu');
  return loadPods(workloadPath(dir, workload), cluster)
    .filter((p) => p.models === 0)
    .slice(0, count);
}

/** A Pod for kwok nodes with the trace pod's requests; GPUs are extended resources, so limits = requests. */
export function podManifest(p: TracePod, name: string, namespace: string): Record<string, unknown> {
  const gpus = wholeGpus(p);
  const requests: Record<string, string> = { cpu: `${p.cpu}m`, memory: `${p.mem}Mi` };
  const limits: Record<string, string> = {};
  if (gpus > 0) requests['nvidia.com/gpu'] = limits['nvidia.com/gpu'] = String(gpus);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'angle-bench' } },
    spec: {
      tolerations: [KWOK_TOLERATION],
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests, limits } }],
    },
  };
}
