// Converting our objects between served API versions, losslessly.
//
// Each non-internal version has a typed pair of functions to and from the internal version (beside its
// schema). A pair maps what both versions can say; a few things do not survive a trip through the other
// version exactly: a field one version cannot express (ASTS v1beta1 reserveOrdinals in v1alpha1), or a
// spelling the reverse mapping cannot tell apart (SidecarSet v1alpha1 `namespace` vs the equivalent
// namespaceSelector). For those, the converted object carries a stash annotation that says how to get the
// original back:
// - the exact difference, applied only while the converted object's labels, annotations and spec (and
//   separately its status) are unchanged since the stash was made, so an edit is never overwritten;
// - the values of fields its version cannot express, restored in any case, since no edit can reach them.
// So converting to another version and back returns the same object, and an edit made in any version
// keeps every field the editor could not see.
import { createHash } from 'node:crypto';
import { canonicalJson, deepEqual, isPlainObject } from '../runtime/json';
import type { Json } from './convert-util';
import { isKindName, KINDS, type KindInfo, type ServedVersion } from './kinds';

export const CONVERSION_STASH_ANNOTATION = 'outrigger.io/conversion-stash';

/** Set `value` at `path`, or delete `path` when `value` is absent. */
interface PatchOp {
  p: string[];
  v?: unknown;
}

interface PartStash {
  digest: string;
  ops: PatchOp[];
}

interface Stash {
  /** apiVersion of the object the stash restores. */
  from: string;
  main?: PartStash;
  status?: PartStash;
  /** Values at paths the holder's version cannot express. */
  keep?: PatchOp[];
  /** The holder had no annotations before the stash was added. */
  bare?: true;
}

export class ConversionError extends Error {
  override name = 'ConversionError';
}

/** The kind and served version of an object of ours; throws ConversionError otherwise. */
export function versionOf(obj: Json): { info: KindInfo; version: ServedVersion } {
  const kind = obj.kind;
  if (!isKindName(kind)) throw new ConversionError(`kind ${JSON.stringify(kind)} is not one of ours`);
  const info = KINDS[kind];
  return { info, version: servedVersion(info, obj.apiVersion) };
}

function servedVersion(info: KindInfo, apiVersion: unknown): ServedVersion {
  const version = info.versions.find((v) => v.apiVersion === apiVersion);
  if (!version) {
    const served = info.versions.map((v) => v.apiVersion).join(', ');
    throw new ConversionError(
      `${info.kind} is not served as ${JSON.stringify(apiVersion)}; served: ${served}`,
    );
  }
  return version;
}

/** `obj` in `apiVersion`: a deep copy, with a stash annotation when the trip back would lose something. */
export function convertObject(obj: Json, apiVersion: string): Json {
  const { info, version: from } = versionOf(obj);
  const to = servedVersion(info, apiVersion);
  if (from === to) return structuredClone(obj);
  const [input, stash] = takeStash(obj);
  const out = convertVia(info, input, from, to);
  if (stash?.from === to.apiVersion) restore(out, stash, input);
  const back = convertVia(info, out, to, from);
  const made = makeStash(info, input, back, out, from);
  if (made) setStash(out, made);
  return out;
}

/** `obj` in the kind's internal version, ignoring any stash: what controllers and admission work on. */
export function toInternal(obj: Json): Json {
  const { info, version } = versionOf(obj);
  return convertVia(info, takeStash(obj)[0], version, internalVersion(info));
}

/** An internal-version object in `apiVersion` (see toInternal); no stash. */
export function fromInternal(obj: Json, apiVersion: string): Json {
  const { info, version } = versionOf(obj);
  return convertVia(info, obj, version, servedVersion(info, apiVersion));
}

export function internalVersion(info: KindInfo): ServedVersion {
  return info.versions.find((v) => v.name === info.version)!;
}

/** A new object: the pairs copy shallowly, so the result is cloned to share nothing with `obj`. */
function convertVia(info: KindInfo, obj: Json, from: ServedVersion, to: ServedVersion): Json {
  if (from === to) return structuredClone(obj);
  const internal = from.toInternal ? from.toInternal(obj) : obj;
  const out = to.fromInternal ? to.fromInternal(internal) : internal;
  return structuredClone({ ...out, apiVersion: to.apiVersion, kind: info.kind });
}

function takeStash(obj: Json): [Json, Stash | undefined] {
  const annotations = isPlainObject(obj.metadata) ? obj.metadata.annotations : undefined;
  if (!isPlainObject(annotations) || annotations[CONVERSION_STASH_ANNOTATION] === undefined) {
    return [obj, undefined];
  }
  const { [CONVERSION_STASH_ANNOTATION]: raw, ...rest } = annotations;
  const stash = parseStash(raw);
  const metadata = { ...(obj.metadata as Json) };
  if (Object.keys(rest).length > 0 || (stash && !stash.bare)) metadata.annotations = rest;
  else delete metadata.annotations;
  return [{ ...obj, metadata }, stash];
}

function parseStash(raw: unknown): Stash | undefined {
  try {
    const stash = JSON.parse(String(raw)) as Stash;
    return isPlainObject(stash) && typeof stash.from === 'string' ? stash : undefined;
  } catch {
    return undefined; // a hand-edited stash is ignored, never fatal
  }
}

function setStash(obj: Json, stash: Stash): void {
  const metadata = isPlainObject(obj.metadata) ? { ...obj.metadata } : {};
  const annotations = isPlainObject(metadata.annotations) ? metadata.annotations : {};
  if (!isPlainObject(metadata.annotations)) stash.bare = true;
  metadata.annotations = { ...annotations, [CONVERSION_STASH_ANNOTATION]: JSON.stringify(stash) };
  obj.metadata = metadata;
}

const mainPart = (obj: Json) => {
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  return { labels: meta.labels, annotations: meta.annotations, spec: obj.spec };
};
const statusPart = (obj: Json) => ({ status: obj.status });
const isMainPath = (p: string[]) =>
  p[0] === 'spec' || (p[0] === 'metadata' && (p[1] === 'labels' || p[1] === 'annotations'));

/** The stash restoring `original` from `back` (= `holder` converted back), or undefined if none is needed. */
function makeStash(
  info: KindInfo,
  original: Json,
  back: Json,
  holder: Json,
  originalVersion: ServedVersion,
): Stash | undefined {
  const ops = diffOps(back, original);
  if (ops.length === 0) return undefined;
  const stash: Stash = { from: originalVersion.apiVersion };
  const mainOps = ops.filter((op) => isMainPath(op.p));
  const statusOps = ops.filter((op) => op.p[0] === 'status');
  if (mainOps.length > 0) stash.main = { digest: digest(mainPart(holder)), ops: mainOps };
  if (statusOps.length > 0) stash.status = { digest: digest(statusPart(holder)), ops: statusOps };
  const holderVersion = servedVersion(info, holder.apiVersion);
  const keep = (holderVersion.inexpressible ?? [])
    .map((p) => ({ p, v: valueAt(original, p) }))
    .filter((op) => op.v !== undefined);
  if (keep.length > 0) stash.keep = keep;
  return stash;
}

/** Applies the stash to `out` (the stash's own version), given the holder it came in. */
function restore(out: Json, stash: Stash, holder: Json): void {
  const exactMain = stash.main?.digest === digest(mainPart(holder));
  const exactStatus = stash.status?.digest === digest(statusPart(holder));
  if (exactMain) applyOps(out, stash.main?.ops ?? []);
  if (exactStatus) applyOps(out, stash.status?.ops ?? []);
  for (const op of stash.keep ?? []) {
    const exact = isMainPath(op.p) ? exactMain : exactStatus;
    if (!exact && valueAt(out, op.p) === undefined) applyOps(out, [op]);
  }
}

/** Ops turning `from` into `to`: objects key by key, anything else replaced whole. */
function diffOps(from: unknown, to: unknown, path: string[] = []): PatchOp[] {
  if (isPlainObject(from) && isPlainObject(to)) {
    const ops: PatchOp[] = [];
    for (const k of Object.keys(from)) if (!(k in to)) ops.push({ p: [...path, k] });
    for (const [k, v] of Object.entries(to)) {
      if (!(k in from)) ops.push({ p: [...path, k], v });
      else ops.push(...diffOps(from[k], v, [...path, k]));
    }
    return ops;
  }
  return deepEqual(from, to) ? [] : [{ p: path, v: to }];
}

function applyOps(obj: Json, ops: PatchOp[]): void {
  for (const { p, v } of ops) {
    let node: Json = obj;
    for (const key of p.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Json;
    }
    const last = p[p.length - 1]!;
    if (v === undefined) delete node[last];
    else node[last] = structuredClone(v);
  }
}

function valueAt(obj: unknown, path: string[]): unknown {
  let node = obj;
  for (const key of path) node = isPlainObject(node) ? node[key] : undefined;
  return node;
}

function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}
