// validate(kind, obj, oldObj?): the checks OpenKruise's validating webhooks run, as a pure function.
// The object is validated as the apiserver would hand it to the webhook: after defaulting.
import type { z } from 'zod';
import type { BroadcastJob } from '../../apis/broadcastjob';
import type { CloneSet } from '../../apis/cloneset';
import { applyDefaults } from '../../apis/defaults';
import { KINDS, type KindName } from '../../apis/kinds';
import type { SidecarSet } from '../../apis/sidecarset';
import type { StatefulSet } from '../../apis/statefulset';
import { validateBroadcastJob } from './broadcastjob';
import { type CloneSetContext, validateCloneSet } from './cloneset';
import { type FieldError, invalid, notSupported, required } from './field-error';
import { asObj } from './pod-json';
import { type SidecarSetContext, validateSidecarSet } from './sidecarset';
import { validateStatefulSet } from './statefulset';

export type { CloneSetContext, PodFacts } from './cloneset';
export { validateDelete } from './deletion';
export * from './field-error';
export type { SidecarSetContext } from './sidecarset';
export type ValidationContext = SidecarSetContext & CloneSetContext;

export function validate(
  kind: KindName,
  obj: unknown,
  oldObj?: unknown,
  ctx: ValidationContext = {},
): FieldError[] {
  const parsed = parseDefaulted(kind, obj);
  if (!parsed.ok) return parsed.errors;
  const old = oldObj === undefined ? undefined : parseDefaulted(kind, oldObj);
  const previous = old?.ok ? old.value : undefined;
  const value = parsed.value as { spec?: unknown };
  if (value.spec === undefined) return [required('spec')];
  // The zod schema for `kind` accepted these, so they have that kind's shape.
  switch (kind) {
    case 'CloneSet':
      return validateCloneSet(parsed.value as CloneSet, previous as CloneSet | undefined, ctx);
    case 'StatefulSet':
      return validateStatefulSet(parsed.value as StatefulSet, previous as StatefulSet | undefined);
    case 'BroadcastJob':
      return validateBroadcastJob(parsed.value as BroadcastJob);
    case 'SidecarSet':
      return validateSidecarSet(parsed.value as SidecarSet, previous as SidecarSet | undefined, ctx);
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false; errors: FieldError[] };

/**
 * Defaults a copy without status, then checks it against the kind's zod schema. The pod template's
 * container lists stay out of the copy, the defaults and the schema: they are checked container by
 * container (containers.ts), which stops after MAX_FIELD_ERRORS, so a template with 60,000 bad
 * containers costs a hundred checks, not 60,000 copies.
 */
function parseDefaulted(kind: KindName, obj: unknown): Parsed {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { ok: false, errors: [invalid('<root>', obj, 'must be an object')] };
  }
  // Status is the controllers' business: the apiserver resets it on create and ignores it on update.
  const { status: _status, ...rest } = obj as Record<string, unknown>;
  const { shell, lists } = detachContainerLists(rest);
  const copy = applyDefaults(kind, structuredClone(shell));
  const result = KINDS[kind].schema.safeParse(copy, { reportInput: true });
  if (!result.success) return { ok: false, errors: result.error.issues.map(issueToFieldError) };
  const podSpec = (result.data as { spec?: { template?: { spec?: Record<string, unknown> } } }).spec?.template
    ?.spec;
  if (podSpec) Object.assign(podSpec, lists);
  return { ok: true, value: result.data };
}

const CONTAINER_LISTS = ['containers', 'initContainers'] as const;

/** `obj` with its template's container lists replaced by [] (sharing everything else), and the lists. */
function detachContainerLists(obj: Record<string, unknown>) {
  const spec = asObj(obj.spec);
  const template = asObj(spec?.template);
  const podSpec = asObj(template?.spec);
  if (!podSpec || !Array.isArray(podSpec.containers)) return { shell: obj, lists: {} };
  const lists: Record<string, unknown> = {};
  const emptied = { ...podSpec };
  for (const key of CONTAINER_LISTS) {
    if (!Array.isArray(podSpec[key])) continue;
    lists[key] = podSpec[key];
    emptied[key] = [];
  }
  return { shell: { ...obj, spec: { ...spec, template: { ...template, spec: emptied } } }, lists };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '<root>';
}

/** zod issue → FieldError, worded like the apiserver's schema errors. */
export function issueToFieldError(issue: z.core.$ZodIssue): FieldError {
  const field = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? required(field)
        : invalid(field, issue.input, `must be of type ${issue.expected}`);
    case 'invalid_value':
      return notSupported(field, issue.input, issue.values.map(String));
    case 'invalid_union':
      return invalid(field, issue.input, 'must be an integer or a string');
    default:
      return invalid(field, issue.input, issue.message);
  }
}
