// patchPodMetadata (OpenKruise sidecarcontrol.PatchPodMetadata): annotations a SidecarSet writes onto
// its pods. Retain sets a key only when absent, Overwrite always sets it, MergePatchJson merges the value
// as a JSON merge patch (RFC 7386) into the pod's current value.
import type { SidecarSetSpec } from '../../apis/sidecarset';
import { goJsonString } from './go-json';

type PatchPodMetadata = NonNullable<SidecarSetSpec['patchPodMetadata']>[number];

/**
 * Applies `patches` to `annotations` in place; returns true when something changed. Throws when a
 * MergePatchJson value or the annotation it merges into is not JSON.
 */
export function patchPodAnnotations(
  annotations: Record<string, string>,
  patches: readonly PatchPodMetadata[] | undefined,
): boolean {
  let changed = false;
  const set = (key: string, value: string) => {
    if (annotations[key] !== value) changed = true;
    annotations[key] = value;
  };
  for (const patch of patches ?? []) {
    for (const [key, value] of Object.entries(patch.annotations ?? {})) {
      switch (patch.patchPolicy ?? 'Retain') {
        case 'Retain':
          if (!Object.hasOwn(annotations, key)) set(key, value);
          break;
        case 'Overwrite':
          set(key, value);
          break;
        case 'MergePatchJson': {
          const origin = annotations[key];
          set(key, origin ? mergePatchJson(origin, value, key) : value);
          break;
        }
      }
    }
  }
  return changed;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** jsonpatch.MergePatch(origin, patch), written back with sorted keys as Go does. */
export function mergePatchJson(origin: string, patch: string, key = 'annotation'): string {
  const merged = mergePatch(
    parseJson(origin, `pod annotation ${key}`),
    parseJson(patch, `patchPodMetadata ${key}`),
  );
  return sortedJson(merged);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${goJsonString(k)}:${sortedJson(value[k])}`).join(',')}}`;
  }
  return typeof value === 'string' ? goJsonString(value) : JSON.stringify(value);
}
