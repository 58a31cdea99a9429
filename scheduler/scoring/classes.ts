// What the angle derives from the workload itself: each pod's class, and how much of each GPU model the
// model-constrained pods want. The simulator and the extender compute both the same way.

export const MILLI = 1000;
/** Angle dimension: milli-GPU on fully idle devices. */
export const WHOLE_GPU = 'gpu-whole';
/** Angle dimension: free milli-GPU weighted by the model-constrained demand for the node's GPU model. */
export const GPU_SPEC = 'gpu-spec';

/** A pod's class as the angle sees it: CPU-only, a share of one GPU, one whole GPU, or several GPUs. */
export type PodClass = 'cpu' | 'share' | 'whole' | 'multi';
export const POD_CLASSES: readonly PodClass[] = ['cpu', 'share', 'whole', 'multi'];

/** `gpus` devices of `milliPerGpu` each (1000 = a whole device). */
export function podClass(gpus: number, milliPerGpu: number): PodClass {
  if (gpus <= 0 || milliPerGpu <= 0) return 'cpu';
  if (gpus === 1) return milliPerGpu < MILLI ? 'share' : 'whole';
  return 'multi';
}

/** The GPU pods that have arrived: how many, how many share a device, how many name GPU models. */
export interface PodMix {
  gpuPods: number;
  sharing: number;
  constrained: number;
  /** GPU pods asking for more than one device. */
  multi: number;
}

export const EMPTY_MIX: PodMix = { gpuPods: 0, sharing: 0, constrained: 0, multi: 0 };

/**
 * The whole-GPU pods' packing weight from the mix: high (pack, keep whole nodes idle for multi-GPU pods)
 * when no pod shares a GPU, lower as sharing pods make fragments the angle should fill first, and lower
 * still when pods are tied to GPU models, since packing fills the small nodes of those models first.
 */
export interface WholePacking {
  max: number;
  min: number;
  /** Subtracted per unit of the sharing share of GPU pods. */
  perSharing: number;
  /** Subtracted per unit of the model-constrained share of GPU pods. */
  perConstrained: number;
}

export function wholePacking(rule: WholePacking, mix: PodMix): number {
  const n = Math.max(mix.gpuPods, 1);
  const alpha = rule.max - (rule.perSharing * mix.sharing) / n - (rule.perConstrained * mix.constrained) / n;
  return Math.min(rule.max, Math.max(rule.min, alpha));
}

/**
 * Demand for each GPU model from pods that accept only some models, against the model's capacity. A pod
 * accepting k models counts 1/k of its milli-GPU towards each. `pressure(m)` = min(1, demand / capacity):
 * 0 when no constrained pod wants model m, 1 when they alone could fill it.
 */
export class ModelDemand {
  private readonly demand: Float64Array;
  private readonly capacity: Float64Array;

  constructor(models: number) {
    this.demand = new Float64Array(models);
    this.capacity = new Float64Array(models);
  }

  get models(): number {
    return this.demand.length;
  }

  addCapacity(model: number, milli: number): void {
    this.capacity[model]! += milli;
  }

  clear(): void {
    this.demand.fill(0);
  }

  /**
   * Counts (sign +1) or uncounts (-1) a pod accepting the models in bitmask `models` with `milli` in total.
   * Models without capacity are skipped; returns false when the pod accepts none that exist.
   */
  add(models: number, milli: number, sign = 1): boolean {
    let k = 0;
    for (let m = 0; m < this.demand.length; m++) if ((models & (1 << m)) !== 0 && this.capacity[m]! > 0) k++;
    if (k === 0) return false;
    for (let m = 0; m < this.demand.length; m++) {
      if ((models & (1 << m)) !== 0 && this.capacity[m]! > 0) this.demand[m]! += (sign * milli) / k;
    }
    return true;
  }

  pressure(model: number): number {
    const cap = this.capacity[model]!;
    return cap > 0 ? Math.min(1, Math.max(0, this.demand[model]! / cap)) : 0;
  }
}
