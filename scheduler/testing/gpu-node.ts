import type { Node } from '../types';

/**
 * A node with `gpus` GPUs of `model`, advertised both whole (nvidia.com/gpu) and shared (gpushare's
 * aliyun.com/gpu-count and aliyun.com/gpu-mem, `memPerGpu` units a device). Test fixture, not shipped.
 */
export const gpuNode = (name: string, gpus: number, memPerGpu: number, model = 'T4'): Node => ({
  metadata: { name, labels: { 'nvidia.com/gpu.product': model } },
  status: {
    allocatable: {
      cpu: '32',
      memory: '128Gi',
      'nvidia.com/gpu': String(gpus),
      'aliyun.com/gpu-count': String(gpus),
      'aliyun.com/gpu-mem': String(gpus * memPerGpu),
    },
  },
});
