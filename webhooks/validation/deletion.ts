// DELETE admission for CloneSet and Advanced StatefulSet (Kruise deletionprotection.ValidateWorkloadDeletion).
// Kruise runs it only with feature gate ResourcesDeletionProtection, which is off by default: callers
// decide whether to enable it.
import type { KindName } from '../../apis/kinds';
import {
  DeletionProtectionAlways,
  DeletionProtectionCascading,
  DeletionProtectionLabel,
} from '../../apis/well-known';
import { type FieldError, forbidden } from './field-error';

interface Deletable {
  metadata?: { labels?: Record<string, string>; deletionTimestamp?: string | null };
  spec?: { replicas?: number };
}

/** Errors when `obj` (the stored object) may not be deleted; other kinds are never protected. */
export function validateDelete(kind: KindName, obj: unknown): FieldError[] {
  if (kind !== 'CloneSet' && kind !== 'StatefulSet') return [];
  const o = (obj ?? {}) as Deletable;
  if (o.metadata?.deletionTimestamp) return [];
  const value = o.metadata?.labels?.[DeletionProtectionLabel];
  const path = `metadata.labels[${DeletionProtectionLabel}]`;
  if (value === DeletionProtectionAlways) {
    return [forbidden(path, `deletion is forbidden by ${DeletionProtectionLabel}=${value}`)];
  }
  const replicas = o.spec?.replicas ?? 1;
  if (value === DeletionProtectionCascading && replicas > 0) {
    return [
      forbidden(
        path,
        `deletion is forbidden by ${DeletionProtectionLabel}=${value} while replicas ${replicas} > 0`,
      ),
    ];
  }
  return [];
}
