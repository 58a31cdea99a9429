// AdmissionReview handling without HTTP: parse and check the review, route it to a handler, turn the
// handler's verdict into a well-formed response. The HTTPS server (server.ts) only moves bytes.
import { z } from 'zod';
import {
  deepEqual,
  diffJson,
  escapePointer,
  isPlainObject,
  type JsonPatchOp,
  toJsonValue,
} from '../runtime/json';

export const ADMISSION_V1 = 'admission.k8s.io/v1';
// We register admissionReviewVersions ["v1"], so the apiserver never sends v1beta1. Its request and
// response shapes are identical, so we still answer it in its own version (as controller-runtime does)
// instead of failing a misconfigured webhook with an opaque 400.
export const ADMISSION_V1BETA1 = 'admission.k8s.io/v1beta1';
const knownVersions = new Set<string>([ADMISSION_V1, ADMISSION_V1BETA1]);

const groupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });
const groupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string() });
// z.custom keeps the object as sent (a record schema would copy it key by key).
const jsonObject = z.custom<Record<string, unknown>>(isPlainObject, 'expected an object');

const admissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: groupVersionKind,
  resource: groupVersionResource,
  subResource: z.string().optional(),
  requestKind: groupVersionKind.optional(),
  requestResource: groupVersionResource.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: z
    .looseObject({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).optional(),
      extra: z.record(z.string(), z.array(z.string())).optional(),
    })
    .optional(),
  object: jsonObject.nullable().optional(),
  oldObject: jsonObject.nullable().optional(),
  dryRun: z.boolean().optional(),
  options: z.unknown().optional(),
});

export type AdmissionRequest = z.infer<typeof admissionRequestSchema>;
export type AdmissionOperation = AdmissionRequest['operation'];

// The patch vocabulary of mutating handlers; it lives in runtime/json.
export type { JsonPatchOp };

/** A handler's verdict. Build it with allowed(), denied(), patchFrom() or mutateCopy(). */
export type AdmissionResult =
  | { type: 'allowed'; warnings?: string[] }
  | { type: 'denied'; message: string; code: number; reason?: string; warnings?: string[] }
  | { type: 'patch'; ops: JsonPatchOp[]; warnings?: string[] };

export type AdmissionHandler = (
  request: AdmissionRequest,
  signal: AbortSignal,
) => AdmissionResult | Promise<AdmissionResult>;

export interface AdmissionRoute {
  path: string;
  type: 'mutating' | 'validating';
  handle: AdmissionHandler;
}

/** A route answering another review over the same server (the CRD ConversionReview): body in, reply out. */
export interface ReviewRoute {
  path: string;
  type: 'conversion';
  review(body: Uint8Array, options: ReviewOptions): Promise<HttpReply>;
}

export type WebhookRoute = AdmissionRoute | ReviewRoute;

export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: string;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** What the HTTP layer sends back: an AdmissionReview (200) or a plain-text client error. */
export interface HttpReply {
  status: number;
  contentType: 'application/json' | 'text/plain; charset=utf-8';
  body: string;
}

export type ParsedReview =
  | { ok: true; apiVersion: string; request: AdmissionRequest }
  // uid/apiVersion are set when the envelope was sound enough to answer with a denial.
  | { ok: false; message: string; uid?: string; apiVersion?: string };

export const allowed = (warnings?: string[]): AdmissionResult => ({ type: 'allowed', warnings });

/** 403 Forbidden is controller-runtime's default for denials; use 422 for invalid objects. */
export const denied = (message: string, code = 403, reason?: string): AdmissionResult => ({
  type: 'denied',
  message,
  code,
  reason,
});

/** Largest patch we send: etcd stores no object over 1.5 MiB, so a bigger patch could never be stored. */
export const MAX_PATCH_BYTES = 2 * 1024 * 1024;

/**
 * The JSON patch turning `original` into `changed`; no ops means plain allowed. A fine-grained patch
 * over MAX_PATCH_BYTES (many small changes) becomes one replace per changed top-level member, and one
 * still over the limit is a denial.
 */
export function patchFrom(original: unknown, changed: unknown, warnings?: string[]): AdmissionResult {
  return patchBetween(original, toJsonValue(changed), warnings);
}

/** patchFrom for a `target` that is already plain JSON data. */
function patchBetween(original: unknown, target: unknown, warnings?: string[]): AdmissionResult {
  const fine = diffJson(original, target, '', MAX_FINE_OPS);
  if (fine?.length === 0) return allowed(warnings);
  const fineBytes = fine && Buffer.byteLength(JSON.stringify(fine));
  const patch =
    fine && fineBytes !== undefined && fineBytes <= MAX_PATCH_BYTES
      ? { ops: fine, bytes: fineBytes }
      : coarseDiff(original, target);
  if (patch.bytes > MAX_PATCH_BYTES) {
    return denied(
      `the mutation makes a ${patch.bytes}-byte patch, over the ${MAX_PATCH_BYTES}-byte limit`,
      413,
    );
  }
  return { type: 'patch', ops: patch.ops, warnings };
}

/** Past this many fine-grained ops the patch is built coarsely instead (bounded work and size). */
const MAX_FINE_OPS = 10_000;

/** Whole-member replacements of the top-level members that differ, with the patch's size (about). */
function coarseDiff(from: unknown, to: unknown): { ops: JsonPatchOp[]; bytes: number } {
  if (!isPlainObject(from) || !isPlainObject(to)) {
    return { ops: [{ op: 'replace', path: '', value: to }], bytes: Buffer.byteLength(JSON.stringify(to)) };
  }
  const ops: JsonPatchOp[] = [];
  let bytes = 2;
  for (const key of Object.keys(from)) {
    if (!Object.hasOwn(to, key)) ops.push({ op: 'remove', path: `/${escapePointer(key)}` });
  }
  for (const [key, value] of Object.entries(to)) {
    if (Object.hasOwn(from, key) && deepEqual(from[key], value)) continue;
    const path = `/${escapePointer(key)}`;
    const json = JSON.stringify(value);
    ops.push({ op: Object.hasOwn(from, key) ? 'replace' : 'add', path, value });
    bytes += Buffer.byteLength(json) + path.length + 32;
  }
  return { ops, bytes: bytes + ops.length * 32 };
}

/** Runs `mutate` on a deep copy of `original` and returns the diff as a patch. */
export function mutateCopy<T>(original: T, mutate: (copy: T) => void): AdmissionResult {
  const copy = toJsonValue(original) as T;
  mutate(copy);
  return patchBetween(original, copy);
}

/** An explicit list of webhook routes keyed by URL path. */
export class AdmissionRegistry {
  private readonly routes = new Map<string, WebhookRoute>();

  register(route: WebhookRoute): this {
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(route.path)) throw new Error(`invalid webhook path ${route.path}`);
    if (this.routes.has(route.path)) throw new Error(`webhook path ${route.path} registered twice`);
    this.routes.set(route.path, route);
    return this;
  }

  mutating(path: string, handle: AdmissionHandler): this {
    return this.register({ path, type: 'mutating', handle });
  }

  validating(path: string, handle: AdmissionHandler): this {
    return this.register({ path, type: 'validating', handle });
  }

  conversion(path: string, review: ReviewRoute['review']): this {
    return this.register({ path, type: 'conversion', review });
  }

  get(path: string): WebhookRoute | undefined {
    return this.routes.get(path);
  }

  list(): WebhookRoute[] {
    return [...this.routes.values()];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and checks an AdmissionReview body. Never throws. */
export function parseAdmissionReview(body: Uint8Array | string): ParsedReview {
  try {
    return parseReview(body);
  } catch (err) {
    // Backstop for inputs no check foresaw (stack depth, engine limits): still a clean rejection.
    return { ok: false, message: `AdmissionReview could not be read: ${errorMessage(err)}` };
  }
}

function parseReview(body: Uint8Array | string): ParsedReview {
  let review: unknown;
  try {
    review = JSON.parse(typeof body === 'string' ? body : utf8.decode(body));
  } catch (err) {
    return { ok: false, message: `request body is not valid UTF-8 JSON: ${errorMessage(err)}` };
  }
  if (!isPlainObject(review)) return { ok: false, message: 'AdmissionReview must be a JSON object' };
  const { apiVersion, kind, request } = review;
  if (typeof apiVersion !== 'string' || !knownVersions.has(apiVersion)) {
    return { ok: false, message: `unsupported apiVersion ${describe(apiVersion)}; expected ${ADMISSION_V1}` };
  }
  if (kind !== 'AdmissionReview')
    return { ok: false, message: `kind ${describe(kind)} is not AdmissionReview` };
  if (!isPlainObject(request)) return { ok: false, message: 'AdmissionReview.request is missing' };
  if (typeof request.uid !== 'string' || request.uid === '') {
    return { ok: false, message: 'AdmissionReview.request.uid is missing' };
  }
  const parsed = admissionRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `request.${i.path.join('.')}: ${i.message}`);
    return {
      ok: false,
      message: `invalid AdmissionReview: ${issues.join('; ')}`,
      uid: request.uid,
      apiVersion,
    };
  }
  return { ok: true, apiVersion, request: parsed.data };
}

export interface ReviewOptions {
  /** Deadline for the handler; past it the request is denied with 504. */
  timeoutMs: number;
  /** Aborted when the client goes away or the server shuts down. */
  signal?: AbortSignal;
}

/** Parses a review body, runs the route's handler and builds the reply. Never throws. */
export async function reviewAdmission(
  route: WebhookRoute,
  body: Uint8Array,
  options: ReviewOptions,
): Promise<HttpReply> {
  if (route.type === 'conversion') return route.review(body, options);
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) {
    if (parsed.uid === undefined || parsed.apiVersion === undefined) return textReply(400, parsed.message);
    return reviewReply(parsed.apiVersion, toResponse(parsed.uid, denied(parsed.message, 400, 'BadRequest')));
  }
  const result = checkResult(route, await runHandler(route, parsed.request, options));
  try {
    return reviewReply(parsed.apiVersion, toResponse(parsed.request.uid, result));
  } catch (err) {
    // A verdict that cannot be serialised (e.g. a patch value nested too deep) is still answered.
    const failed = denied(`webhook ${route.path} returned ${errorMessage(err)}`, 500, 'InternalError');
    return reviewReply(parsed.apiVersion, toResponse(parsed.request.uid, failed));
  }
}

async function runHandler(route: AdmissionRoute, request: AdmissionRequest, options: ReviewOptions) {
  const abort = new AbortController();
  const onParentAbort = () => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) onParentAbort();
  options.signal?.addEventListener('abort', onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AdmissionResult>((resolve) => {
    timer = setTimeout(() => {
      abort.abort(new Error('admission handler timed out'));
      resolve(denied(`webhook ${route.path} timed out after ${options.timeoutMs}ms`, 504, 'Timeout'));
    }, options.timeoutMs);
  });
  try {
    const handled = Promise.resolve().then(() =>
      abort.signal.aborted
        ? denied(
            `webhook ${route.path} cancelled: ${errorMessage(abort.signal.reason)}`,
            503,
            'ServiceUnavailable',
          )
        : route.handle(request, abort.signal),
    );
    return await Promise.race([handled, timeout]);
  } catch (err) {
    return denied(`webhook ${route.path} failed: ${errorMessage(err)}`, 500, 'InternalError');
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onParentAbort);
  }
}

// Handlers are plain JS at runtime; a malformed verdict must become a denial, not a broken response.
function checkResult(route: AdmissionRoute, result: unknown): AdmissionResult {
  const fail = (why: string) => denied(`webhook ${route.path} returned ${why}`, 500, 'InternalError');
  if (!isPlainObject(result)) return fail('no verdict');
  if (result.type === 'allowed') return result as AdmissionResult;
  if (result.type === 'denied') {
    return typeof result.message === 'string'
      ? (result as AdmissionResult)
      : fail('a denial without a message');
  }
  if (result.type !== 'patch' || !Array.isArray(result.ops)) return fail('an unknown verdict');
  // The apiserver rejects patches from validating webhooks, so say so here with a clear message.
  if (route.type === 'validating' && result.ops.length > 0) return fail('a patch from a validating webhook');
  return result as AdmissionResult;
}

function toResponse(uid: string, result: AdmissionResult): AdmissionResponse {
  const warnings = cleanWarnings(result.warnings);
  const base = warnings ? { uid, warnings } : { uid };
  if (result.type === 'denied') {
    const code =
      Number.isInteger(result.code) && result.code >= 400 && result.code <= 599 ? result.code : 403;
    const status: AdmissionStatus = { code, message: boundMessage(result.message || 'denied') };
    if (typeof result.reason === 'string') status.reason = result.reason;
    return { ...base, allowed: false, status };
  }
  if (result.type === 'patch' && result.ops.length > 0) {
    const patch = Buffer.from(JSON.stringify(result.ops)).toString('base64');
    return { ...base, allowed: true, patchType: 'JSONPatch', patch };
  }
  return { ...base, allowed: true };
}

function cleanWarnings(warnings: unknown): string[] | undefined {
  if (!Array.isArray(warnings)) return undefined;
  const kept = warnings.filter((w): w is string => typeof w === 'string' && w !== '').slice(0, 20);
  return kept.length > 0 ? kept : undefined;
}

function reviewReply(apiVersion: string, response: AdmissionResponse): HttpReply {
  const review: AdmissionReviewResponse = { apiVersion, kind: 'AdmissionReview', response };
  return { status: 200, contentType: 'application/json', body: JSON.stringify(review) };
}

export function textReply(status: number, message: string): HttpReply {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${message}\n` };
}

/** Longest denial or conversion-failure message we send: enough for about 100 field errors. */
export const MAX_MESSAGE_BYTES = 8 * 1024;

/** `message` cut to at most `maxBytes` of UTF-8, saying how much was left out. */
export function boundMessage(message: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const size = Buffer.byteLength(message);
  if (size <= maxBytes) return message;
  const suffix = ` … (${size} bytes in all, cut to ${maxBytes})`;
  let cut = Buffer.from(message)
    .subarray(0, maxBytes - Buffer.byteLength(suffix))
    .toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1); // a character split by the cut
  return cut + suffix;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short description of an unexpected value; never throws (a 20,000-deep array defeats JSON.stringify). */
function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (Array.isArray(value)) return '(an array)';
  if (typeof value === 'object' && value !== null) return '(an object)';
  return JSON.stringify(value).slice(0, 100);
}
