import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Loader for the Alibaba openb GPU trace (cluster-trace-gpu-v2023) CSVs.

/** The repository's copy of the trace (see its README for origin, terms and citation). */
export const DEFAULT_TRACE_DIR = join(__dirname, '../traces/alibaba-gpu-v2023/csv');
/** The FGD artefact replays onto the 1213 GPU nodes (data/prepare_input.sh); `all` adds the 310 CPU-only nodes. */
export const NODE_FILES = {
  gpu: 'openb_node_list_gpu_node.csv',
  all: 'openb_node_list_all_node.csv',
} as const;
export type NodeList = keyof typeof NODE_FILES;
export const MILLI = 1000;
export const MAX_GPUS = 8;
export { GPU_SPEC, WHOLE_GPU } from '../scoring/classes';

export interface TraceNode {
  name: string;
  cpu: number; // millicores
  mem: number; // MiB
  gpus: number;
  model: number; // index into Cluster.models, -1 for none
}

export interface TracePod {
  name: string;
  cpu: number;
  mem: number;
  gpus: number;
  /** Milli-GPU per GPU: < 1000 only for GPU-sharing pods (gpus == 1). */
  gpuMilli: number;
  /** Bitmask of allowed GPU models; 0 means any. */
  models: number;
}

export interface Cluster {
  nodes: TraceNode[];
  models: string[];
}

function rows(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

function int(row: Record<string, string>, key: string, path: string): number {
  const v = Number(row[key] ?? '');
  if (!Number.isInteger(v) || v < 0) throw new Error(`${path}: bad ${key} ${JSON.stringify(row[key])}`);
  return v;
}

export function loadCluster(dir: string, list: NodeList = 'gpu'): Cluster {
  const path = join(dir, NODE_FILES[list]);
  const models: string[] = [];
  const nodes = rows(path).map((r) => {
    const gpus = int(r, 'gpu', path);
    if (gpus > MAX_GPUS) throw new Error(`${path}: node ${r.sn} has more than ${MAX_GPUS} GPUs`);
    const name = r.model ?? '';
    let model = -1;
    if (name) {
      model = models.indexOf(name);
      if (model < 0) model = models.push(name) - 1;
    }
    return { name: r.sn ?? '', cpu: int(r, 'cpu_milli', path), mem: int(r, 'memory_mib', path), gpus, model };
  });
  if (models.length > 31) throw new Error(`${path}: too many GPU models for a bitmask`);
  // Name order: the FGD artefact's tie-break picks the first name among equal scores.
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes, models };
}

/** Path of a workload's pod list: a name like `default` or a file name. */
export function workloadPath(dir: string, workload: string): string {
  return workload.endsWith('.csv') ? join(dir, workload) : join(dir, `openb_pod_list_${workload}.csv`);
}

export function loadPods(path: string, cluster: Cluster): TracePod[] {
  return rows(path).map((r) => {
    const gpus = int(r, 'num_gpu', path);
    const spec = (r.gpu_spec ?? '').trim();
    let models = 0;
    if (spec) {
      for (const m of spec.split('|')) {
        const i = cluster.models.indexOf(m.trim());
        if (i >= 0) models |= 1 << i;
      }
      if (models === 0) models = 1 << 31; // a model no node has: unschedulable, as in the trace
    }
    const gpuMilli = gpus === 0 ? 0 : int(r, 'gpu_milli', path);
    return {
      name: r.name ?? '',
      cpu: int(r, 'cpu_milli', path),
      mem: int(r, 'memory_mib', path),
      gpus,
      gpuMilli,
      models,
    };
  });
}

export function podGpuMilli(p: TracePod): number {
  return p.gpus * p.gpuMilli;
}

/** What a pod takes from whole GPUs: all of it for whole-GPU pods, nothing for sharing pods on a fragment. */
export function podWholeGpuMilli(p: TracePod): number {
  return p.gpuMilli >= MILLI ? p.gpus * MILLI : 0;
}
