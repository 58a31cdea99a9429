import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The shipped KubeSchedulerConfiguration: the extender entry plus the profile changes it needs. */
export const KUBE_SCHEDULER_CONFIG = join(
  __dirname,
  '..',
  'config',
  'scheduler',
  'kube-scheduler-config.yaml',
);

/** One `extenders[]` entry of a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1). */
export interface ExtenderEntry {
  urlPrefix: string;
  filterVerb?: string;
  prioritizeVerb?: string;
  bindVerb?: string;
  weight?: number;
  nodeCacheCapable?: boolean;
  ignorable?: boolean;
  httpTimeout?: string;
  enableHTTPS?: boolean;
  managedResources?: { name: string; ignoredByScheduler?: boolean }[];
}

export interface SchedulerSettings {
  extenders: ExtenderEntry[];
  /** Everything else (percentageOfNodesToScore, profiles), to merge into a scheduler's configuration. */
  schedulerConfig: Record<string, unknown>;
}

/**
 * The settings of the shipped kube-scheduler config with its extender entries pointed at `urlPrefix`, so
 * local clusters (npm start, e2e tests, benchmarks) run exactly what we document.
 */
export function schedulerSettings(urlPrefix: string, file = KUBE_SCHEDULER_CONFIG): SchedulerSettings {
  const { apiVersion, kind, extenders, ...schedulerConfig } = parse(readFileSync(file, 'utf8')) as {
    apiVersion?: string;
    kind?: string;
    extenders?: ExtenderEntry[];
  } & Record<string, unknown>;
  if (kind !== 'KubeSchedulerConfiguration' || !Array.isArray(extenders) || extenders.length === 0) {
    throw new Error(`${file}: expected a KubeSchedulerConfiguration (${apiVersion}) with extenders`);
  }
  return { extenders: extenders.map((e) => ({ ...e, urlPrefix })), schedulerConfig };
}
