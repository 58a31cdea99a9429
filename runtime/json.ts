// JSON helpers for every layer: canonical form (hashing), deep equality, and RFC 6902 JSON Patch (diff and
// apply). Values are plain JSON data; a member whose value is undefined counts as absent, as it would
// after serialising.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Object keys sorted at every level, so equal objects always serialise (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) out[key] = sortKeys(value[key]);
  }
  return out;
}

/** Structural equality ignoring key order and undefined members. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = definedKeys(a);
  const kb = definedKeys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function definedKeys(obj: object): string[] {
  return Object.keys(obj).filter((k) => (obj as Record<string, unknown>)[k] !== undefined);
}

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * RFC 6902 operations turning `from` into `to`: objects key by key, arrays index by index. With `maxOps`,
 * undefined once more than that many would be needed (the diff stops there).
 */
export function diffJson(from: unknown, to: unknown, path?: string): JsonPatchOp[];
export function diffJson(from: unknown, to: unknown, path: string, maxOps: number): JsonPatchOp[] | undefined;
export function diffJson(
  from: unknown,
  to: unknown,
  path = '',
  maxOps = Infinity,
): JsonPatchOp[] | undefined {
  const ops: JsonPatchOp[] = [];
  return diffInto(ops, from, to, path, maxOps) ? ops : undefined;
}

/** False when the op count went over `maxOps` (the ops are then incomplete). */
function diffInto(ops: JsonPatchOp[], from: unknown, to: unknown, path: string, maxOps: number): boolean {
  if (ops.length > maxOps) return false;
  if (isPlainObject(from) && isPlainObject(to)) {
    const has = (obj: Record<string, unknown>, key: string) =>
      Object.hasOwn(obj, key) && obj[key] !== undefined;
    for (const key of Object.keys(from)) {
      if (has(from, key) && !has(to, key)) ops.push({ op: 'remove', path: `${path}/${escapePointer(key)}` });
    }
    for (const [key, value] of Object.entries(to)) {
      if (value === undefined) continue;
      const child = `${path}/${escapePointer(key)}`;
      if (!has(from, key)) ops.push({ op: 'add', path: child, value });
      else if (!diffInto(ops, from[key], value, child, maxOps)) return false;
    }
    return ops.length <= maxOps;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const common = Math.min(from.length, to.length);
    for (let i = 0; i < common; i++) if (!diffInto(ops, from[i], to[i], `${path}/${i}`, maxOps)) return false;
    for (let i = common; i < to.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: to[i] });
    // Remove from the end so earlier indices stay valid.
    for (let i = from.length - 1; i >= common; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    return ops.length <= maxOps;
  }
  if (from !== to) ops.push({ op: 'replace', path, value: to });
  return ops.length <= maxOps;
}

/** Applies RFC 6902 add/remove/replace/test ops to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, ops: JsonPatchOp[]): unknown {
  let root = toJsonValue(doc);
  for (const op of ops) {
    if (op.path === '') {
      if (op.op === 'test' && JSON.stringify(op.value) !== JSON.stringify(root))
        throw new Error('test failed');
      if (op.op === 'add' || op.op === 'replace') root = toJsonValue(op.value);
      if (op.op === 'remove') root = undefined;
      continue;
    }
    const tokens = op.path.split('/').slice(1).map(unescapePointer);
    const last = tokens.pop()!;
    const parent = tokens.reduce<unknown>((node, token) => childOf(node, token, op.path), root);
    applyAt(parent, last, op);
  }
  return root;
}

function childOf(node: unknown, token: string, path: string): unknown {
  if ((Array.isArray(node) || isPlainObject(node)) && Object.hasOwn(node, token)) {
    return (node as Record<string, unknown>)[token];
  }
  throw new Error(`path ${path} does not exist`);
}

function applyAt(parent: unknown, key: string, op: JsonPatchOp): void {
  const value = op.op === 'remove' ? undefined : toJsonValue(op.value);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    const bound = op.op === 'add' ? parent.length : parent.length - 1;
    if (!/^(0|[1-9]\d*)$/.test(key) && key !== '-') throw new Error(`bad array index ${key}`);
    if (index > bound) throw new Error(`array index ${key} out of range`);
    if (op.op === 'add') parent.splice(index, 0, value);
    else if (op.op === 'remove') parent.splice(index, 1);
    else if (op.op === 'replace') parent[index] = value;
    else if (JSON.stringify(parent[index]) !== JSON.stringify(value))
      throw new Error(`test failed at ${key}`);
    return;
  }
  if (!isPlainObject(parent)) throw new Error(`cannot apply ${op.op} below a non-container`);
  if (op.op !== 'add' && !Object.hasOwn(parent, key)) throw new Error(`member ${key} does not exist`);
  if (op.op === 'remove') delete parent[key];
  else if (op.op === 'test') {
    if (JSON.stringify(parent[key]) !== JSON.stringify(value)) throw new Error(`test failed at ${key}`);
  } else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

export const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** A deep copy in JSON form: what the apiserver would see after serialising. */
export function toJsonValue(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
