import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { SCORER_NAMES } from './scoring';

const dimension = z.object({
  name: z.string().min(1),
  weight: z.number().min(0).default(1),
});

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8888),
        prefix: z.string().default('/angle'),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024 * 1024),
      })
      .prefault({}),
    dimensions: z
      .array(dimension)
      .min(1)
      // The weights measured best on the openb trace (scheduler/README.md). Whole GPUs weigh 1 + 5: the
      // simulator's GPU and whole-GPU dimensions coincide when GPUs are not shared.
      .default([
        { name: 'cpu', weight: 1 },
        { name: 'memory', weight: 0.75 },
        { name: 'nvidia.com/gpu', weight: 6 },
      ]),
    policy: z
      .object({
        scorer: z.enum(SCORER_NAMES).default('angle'),
        shape: z.enum(['cos', 'linear']).default('linear'),
        norm: z.enum(['node', 'max']).default('node'),
        packing: z.number().min(0).max(1).default(0.5),
        project: z.boolean().default(false),
      })
      .prefault({}),
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
