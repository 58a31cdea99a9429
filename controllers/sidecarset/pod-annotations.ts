// The SidecarSet annotations on a pod: which SidecarSets injected it, and at which hashes
// (kruise.io/sidecarset-hash, -hash-without-image, -injected-list), read and written as OpenKruise does.

import type { Pod } from '../../apis/core-objects';
import {
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetInjectedListAnnotation,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { goJsonString } from './go-json';

/** sidecarcontrol.SidecarSetUpgradeSpec, one per SidecarSet in the hash annotations. */
export interface SidecarSetUpgradeSpec {
  /** RFC 3339 seconds; null in entries converted from the legacy name→hash form. */
  updateTimestamp: string | null;
  hash: string;
  sidecarSetName: string;
  sidecarList: string[] | null;
  controllerRevision?: string;
}

export type UpgradeSpecs = Record<string, SidecarSetUpgradeSpec>;

/** Parses a hash annotation; the legacy form (name → hash string) is accepted too. Throws on garbage. */
export function parseUpgradeSpecs(value: string | undefined): UpgradeSpecs {
  if (!value) return {};
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('expected a JSON object');
  const specs: UpgradeSpecs = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof entry === 'string') {
      specs[name] = { updateTimestamp: null, hash: entry, sidecarSetName: name, sidecarList: null };
    } else if (typeof entry === 'object' && entry !== null) {
      const e = entry as Partial<SidecarSetUpgradeSpec>;
      specs[name] = {
        updateTimestamp: e.updateTimestamp ?? null,
        hash: e.hash ?? '',
        sidecarSetName: e.sidecarSetName ?? '',
        sidecarList: e.sidecarList ?? null,
        ...(e.controllerRevision ? { controllerRevision: e.controllerRevision } : {}),
      };
    }
  }
  return specs;
}

/** json.Marshal(map[string]SidecarSetUpgradeSpec): keys sorted, fields in struct order. */
export function formatUpgradeSpecs(specs: UpgradeSpecs): string {
  const entries = Object.keys(specs)
    .sort()
    .map((name) => {
      const s = specs[name]!;
      const fields = [
        `"updateTimestamp":${s.updateTimestamp === null ? 'null' : goJsonString(s.updateTimestamp)}`,
        `"hash":${goJsonString(s.hash)}`,
        `"sidecarSetName":${goJsonString(s.sidecarSetName)}`,
        `"sidecarList":${s.sidecarList === null ? 'null' : `[${s.sidecarList.map(goJsonString).join(',')}]`}`,
      ];
      if (s.controllerRevision) fields.push(`"controllerRevision":${goJsonString(s.controllerRevision)}`);
      return `${goJsonString(name)}:{${fields.join(',')}}`;
    });
  return `{${entries.join(',')}}`;
}

/** metav1.Time as JSON: UTC, second precision. */
export const metaTime = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

const specsOf = (pod: Pick<Pod, 'metadata'>, key: string): UpgradeSpecs => {
  try {
    return parseUpgradeSpecs(pod.metadata.annotations?.[key]);
  } catch {
    return {};
  }
};

/** The hash of SidecarSet `name` the pod was injected or last upgraded with ('' if none). */
export const podSidecarSetHash = (pod: Pick<Pod, 'metadata'>, name: string): string =>
  specsOf(pod, SidecarSetHashAnnotation)[name]?.hash ?? '';

export const podSidecarSetHashWithoutImage = (pod: Pick<Pod, 'metadata'>, name: string): string =>
  specsOf(pod, SidecarSetHashWithoutImageAnnotation)[name]?.hash ?? '';

/** The SidecarSets listed in kruise.io/sidecarset-injected-list. */
export function injectedSidecarSetNames(pod: Pick<Pod, 'metadata'>): string[] {
  const list = pod.metadata.annotations?.[SidecarSetInjectedListAnnotation];
  return list ? list.split(',').filter((n) => n !== '') : [];
}

/** kruise.io/sidecarset-working-hotupgrade-container: sidecar name → the twin working now. */
export function workingHotUpgradeContainers(annotations: Record<string, string>): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(annotations[SidecarSetWorkingHotUpgradeContainerAnnotation] ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, string>) } : {};
  } catch {
    return {};
  }
}

/** json.Marshal(map[string]string): keys sorted. */
export const sortedStringMap = (map: Record<string, string>) =>
  `{${Object.keys(map)
    .sort()
    .map((k) => `${goJsonString(k)}:${goJsonString(map[k] ?? '')}`)
    .join(',')}}`;
