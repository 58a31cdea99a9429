// The CRD conversion webhook: ConversionReview in, our objects converted to the desired version out
// (apis/convert.ts does the converting). Served by the admission server at /convert with the same
// certificates; the CRDs' spec.conversion points here (webhooks/crd-conversion.ts keeps it current).
import { ConversionError, convertObject } from '../apis/convert';
import { CONVERSION_PATH } from '../apis/gen-crds';
import { isPlainObject } from '../runtime/json';
import {
  type AdmissionRegistry,
  boundMessage,
  errorMessage,
  type HttpReply,
  type ReviewOptions,
  textReply,
} from './admission';

export const CONVERSION_REVIEW_V1 = 'apiextensions.k8s.io/v1';
// Same shape; answered in its own version, as admission reviews are (we register only v1).
const CONVERSION_REVIEW_V1BETA1 = 'apiextensions.k8s.io/v1beta1';
/** Yield to the event loop this often while converting a long list. */
const SLICE_MS = 10;

interface ConversionResponse {
  uid: string;
  convertedObjects?: unknown[];
  result: { status: 'Success' } | { status: 'Failure'; message: string };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Registers the conversion webhook on `registry` at /convert. */
export function registerConversionWebhook(registry: AdmissionRegistry, path = CONVERSION_PATH): void {
  registry.conversion(path, reviewConversion);
}

/** Answers a ConversionReview body. Never throws. */
export async function reviewConversion(body: Uint8Array, options: ReviewOptions): Promise<HttpReply> {
  let review: unknown;
  try {
    review = JSON.parse(utf8.decode(body));
  } catch (err) {
    return textReply(400, `request body is not valid UTF-8 JSON: ${errorMessage(err)}`);
  }
  if (!isPlainObject(review)) return textReply(400, 'ConversionReview must be a JSON object');
  const { apiVersion, kind, request } = review;
  if (apiVersion !== CONVERSION_REVIEW_V1 && apiVersion !== CONVERSION_REVIEW_V1BETA1) {
    return textReply(
      400,
      `unsupported apiVersion ${JSON.stringify(apiVersion)}; expected ${CONVERSION_REVIEW_V1}`,
    );
  }
  if (kind !== 'ConversionReview')
    return textReply(400, `kind ${JSON.stringify(kind)} is not ConversionReview`);
  if (!isPlainObject(request) || typeof request.uid !== 'string' || request.uid === '') {
    return textReply(400, 'ConversionReview.request.uid is missing');
  }
  const response = await convertAll(request.uid, request.desiredAPIVersion, request.objects, options);
  return {
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ apiVersion, kind: 'ConversionReview', response }),
  };
}

async function convertAll(
  uid: string,
  desired: unknown,
  objects: unknown,
  options: ReviewOptions,
): Promise<ConversionResponse> {
  const fail = (message: string): ConversionResponse => ({
    uid,
    result: { status: 'Failure', message: boundMessage(message) },
  });
  if (typeof desired !== 'string' || desired === '') return fail('request.desiredAPIVersion is missing');
  if (!Array.isArray(objects)) return fail('request.objects must be a list');
  const deadline = Date.now() + options.timeoutMs;
  const converted: unknown[] = [];
  let sliceStart = Date.now();
  for (const [i, obj] of objects.entries()) {
    if (Date.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) return fail('conversion cancelled: the request went away');
      if (Date.now() > deadline) return fail(`conversion timed out after ${options.timeoutMs}ms`);
      sliceStart = Date.now();
    }
    if (!isPlainObject(obj)) return fail(`objects[${i}] is not an object`);
    try {
      converted.push(convertObject(obj, desired));
    } catch (err) {
      const what = err instanceof ConversionError ? err.message : `internal error: ${errorMessage(err)}`;
      return fail(`objects[${i}] (${describe(obj)}): ${what}`);
    }
  }
  return { uid, convertedObjects: converted, result: { status: 'Success' } };
}

function describe(obj: Record<string, unknown>): string {
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  const name = [meta.namespace, meta.name].filter((p) => typeof p === 'string').join('/');
  return `${String(obj.kind)} ${name || '(unnamed)'}`.slice(0, 300);
}
