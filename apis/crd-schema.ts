// zod → structural OpenAPI v3 (apiextensions.k8s.io/v1). zod's openapi-3.0 output is close; this pass
// rewrites what the apiserver rejects or what Kubernetes spells differently (see libraries.md §4).
import { z } from 'zod';
import { CRD_HINT } from './zod-k8s';

export type JSONSchema = Record<string, unknown>;

const INT_BOUNDS = new Set([9007199254740991, -9007199254740991, 2147483647, -2147483648]);

/** Convert a zod schema to a structural CRD schema. */
export function toStructuralSchema(schema: z.ZodType): JSONSchema {
  const raw = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
  }) as JSONSchema;
  delete raw.$schema;
  return rewrite(raw);
}

function rewrite(node: JSONSchema): JSONSchema {
  const hint = node[CRD_HINT];
  delete node[CRD_HINT];
  if (hint === 'preserve') return opaque(node, 'x-kubernetes-preserve-unknown-fields');
  if (hint === 'metadata') return { type: 'object' };
  if (node['x-kubernetes-int-or-string']) return intOrString(node);
  if (node.type === 'integer') dropSafeIntBounds(node);
  if (node.type === 'object') rewriteObject(node);
  if (node.items && typeof node.items === 'object') node.items = rewrite(node.items as JSONSchema);
  return node;
}

function rewriteObject(node: JSONSchema): void {
  const props = node.properties as Record<string, JSONSchema> | undefined;
  const extra = node.additionalProperties;
  delete node.additionalProperties;
  if (props) {
    for (const [key, child] of Object.entries(props)) {
      if (child[CRD_HINT] === 'omit') {
        delete props[key];
        node.required = (node.required as string[] | undefined)?.filter((r) => r !== key);
      } else {
        props[key] = rewrite(child);
      }
    }
    if (Object.keys(props).length === 0) delete node.properties;
  }
  if ((node.required as string[] | undefined)?.length === 0) delete node.required;
  // looseObject emits `additionalProperties: {}`: unknown keys are kept, not typed.
  if (extra && typeof extra === 'object' && Object.keys(extra).length === 0) {
    node['x-kubernetes-preserve-unknown-fields'] = true;
  } else if (extra && typeof extra === 'object') {
    node.additionalProperties = rewrite(extra as JSONSchema);
  }
}

function opaque(node: JSONSchema, flag: string): JSONSchema {
  const out: JSONSchema = { type: 'object', [flag]: true };
  if (node.description) out.description = node.description;
  return out;
}

/** The exact form controller-gen emits for intstr.IntOrString. */
function intOrString(node: JSONSchema): JSONSchema {
  const out: JSONSchema = {
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  };
  if (node.description) out.description = node.description;
  return out;
}

function dropSafeIntBounds(node: JSONSchema): void {
  for (const key of ['minimum', 'maximum']) {
    if (typeof node[key] === 'number' && INT_BOUNDS.has(node[key] as number)) delete node[key];
  }
}

/** The structural-schema rules the apiserver enforces; returns violations as "path: problem". */
export function structuralViolations(node: JSONSchema, path = ''): string[] {
  const out: string[] = [];
  const special =
    node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!node.type && !special) out.push(`${path}: missing type`);
  for (const banned of ['$ref', 'oneOf', 'not', 'allOf', 'uniqueItems', 'const', 'nullable']) {
    if (banned in node) out.push(`${path}: ${banned} not allowed`);
  }
  if (node.anyOf && !node['x-kubernetes-int-or-string']) out.push(`${path}: anyOf without int-or-string`);
  if (node.properties && node.additionalProperties) out.push(`${path}: properties and additionalProperties`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties false`);
  const props = (node.properties ?? {}) as Record<string, JSONSchema>;
  for (const [k, child] of Object.entries(props)) out.push(...structuralViolations(child, `${path}.${k}`));
  if (node.items) out.push(...structuralViolations(node.items as JSONSchema, `${path}[]`));
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.push(...structuralViolations(node.additionalProperties as JSONSchema, `${path}{}`));
  }
  for (const r of (node.required as string[] | undefined) ?? []) {
    if (!(r in props)) out.push(`${path}: required ${r} not in properties`);
  }
  return out;
}
