import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { SCORER_NAMES } from './scoring';

const dimension = z.object({
  name: z.string().min(1),
  weight: z.number().min(0).default(1),
});

const fraction = z.number().min(0).max(1);

/**
 * The formula chosen on the tuning pod lists (scheduler/README.md): whole GPUs weigh 1 + 5 through the
 * `gpu-whole` dimension, and the packing weight depends on the pod's class.
 */
export const DEFAULT_DIMENSIONS = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 0.75 },
  { name: 'nvidia.com/gpu', weight: 1 },
  { name: 'gpu-whole', weight: 5 },
];

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8888),
        prefix: z.string().default('/angle'),
        // kube-scheduler sends node names only (nodeCacheCapable), a few KiB; a full NodeList of 5,000
        // nodes is still under this.
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
        /** Time to receive a request's headers, and the whole request (node:http headersTimeout, requestTimeout). */
        headersTimeoutMs: z.number().int().positive().default(5_000),
        requestTimeoutMs: z.number().int().positive().default(10_000),
        /** Idle time before a kept-alive connection is closed. */
        keepAliveTimeoutMs: z.number().int().positive().default(30_000),
        maxConnections: z.number().int().positive().default(256),
      })
      .prefault({}),
    dimensions: z.array(dimension).min(1).default(DEFAULT_DIMENSIONS),
    /** GPUs per device: whole devices, a share of one device (gpushare's scheme), and the GPU model label. */
    gpu: z
      .object({
        resource: z.string().min(1).default('nvidia.com/gpu'),
        shareResource: z.string().min(1).default('aliyun.com/gpu-mem'),
        countResource: z.string().min(1).default('aliyun.com/gpu-count'),
        deviceAnnotation: z.string().min(1).default('ALIYUN_COM_GPU_MEM_IDX'),
        modelLabel: z.string().min(1).default('nvidia.com/gpu.product'),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        scorer: z.enum(SCORER_NAMES).default('angle'),
        shape: z.enum(['cos', 'linear']).default('linear'),
        norm: z.enum(['node', 'max']).default('node'),
        packing: fraction.default(0.25),
        /** Packing weight per pod class (cpu, share, whole, multi), overriding `packing`. */
        classPacking: z
          .object({ cpu: fraction, share: fraction, whole: fraction, multi: fraction })
          .partial()
          .strict()
          .default({ share: 0.1, multi: 0.5 }),
        /**
         * Whole-GPU pods' packing from the mix of arrived GPU pods: max − perSharing·(sharing share) −
         * perConstrained·(model-constrained share), within [min, max].
         */
        wholePacking: z
          .object({
            max: fraction.default(0.5),
            min: fraction.default(0.25),
            perSharing: z.number().min(0).default(0.55),
            perConstrained: z.number().min(0).default(2.5),
          })
          .strict()
          .prefault({}),
        project: z.boolean().default(false),
        /** Weight of the fragmentation term (scoring/fragment.ts): FGD's measure over the observed pod shapes. */
        fragment: fraction.default(0.5),
        /**
         * The drop in fragmentation (milli-GPU) that scores 100 · sigmoid(1) ≈ 73. FGD's 1000 leaves the drops
         * between GPU models a point or two apart, which the extender's 11 levels round away.
         */
        fragmentScale: z.number().positive().default(200),
        /**
         * The measure weighs each model-constrained typical shape by 1 / u^k, u = the share of the idle GPUs
         * (`free`) or of all GPUs (`all`) on the models it accepts; `mix`: k = 1 − the sharing share of GPU pods.
         */
        fragmentScarcity: z.union([z.literal('mix'), z.number().min(0)]).default('mix'),
        fragmentScarcityBasis: z.enum(['free', 'all']).default('free'),
      })
      .strict()
      .prefault({}),
    /** Whether the extender serves `bind`: it then picks GPU devices and records them on the pod. */
    bind: z.boolean().default(true),
    /**
     * How bind records the chosen devices on the pod for the device plugin. `binding`: as annotations of the
     * Binding, which the apiserver merges into the pod in the write that sets its node (one write per pod).
     * `update`: a pod update with the annotations, then the Binding (gpushare-scheduler-extender's two writes).
     */
    deviceAnnotations: z.enum(['binding', 'update']).default('binding'),
    /** How long a placement learnt from bind stays counted before the pod watch confirms it. */
    assumeTtlSeconds: z.number().positive().default(30),
  })
  .strict()
  .refine((c) => new Set(c.dimensions.map((d) => d.name)).size === c.dimensions.length, {
    message: 'dimension names must be unique',
  });

export type ExtenderConfig = z.infer<typeof configSchema>;

export function parseConfig(text: string): ExtenderConfig {
  const result = configSchema.safeParse(parse(text) ?? {});
  if (!result.success) throw new Error(`invalid extender config: ${z.prettifyError(result.error)}`);
  return result.data;
}

export function loadConfig(path: string): ExtenderConfig {
  return parseConfig(readFileSync(path, 'utf8'));
}

/** The config in `file` (or the defaults) served at `address` ("HOST:PORT"), as the manager's flags give it. */
export function configAt(address: string, file?: string): ExtenderConfig {
  const match = /^(.*):(\d+)$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new Error(`extender address must be HOST:PORT, got "${address}"`);
  const config = file ? loadConfig(file) : parseConfig('');
  config.server.host = match[1]?.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
  config.server.port = port;
  return config;
}
