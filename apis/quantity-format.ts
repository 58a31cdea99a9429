// resource.Quantity as Go's encoding/json writes it (k8s.io/apimachinery v0.32 ParseQuantity + MarshalJSON):
// "0.5" -> "500m", "1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi". Hashes that OpenKruise computes over
// marshalled containers depend on this exact text.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const MAX_INT64 = 2n ** 63n - 1n;
/** Go's maxInt64Factors: decimal digits an int64 always holds. */
const MAX_INT64_FACTORS = 18;

/** unscaled × 10^exponent, plus the format the quantity was written in. */
interface Amount {
  unscaled: bigint;
  exponent: number;
  format: QuantityFormat;
}

export class QuantityFormatError extends Error {}

/** The JSON string Go writes for a Quantity decoded from `input` (a JSON string or number). */
export function canonicalQuantity(input: string | number): string {
  const text = (typeof input === 'number' ? String(input) : input).trim();
  const { amount, verbatim } = parse(text);
  return verbatim ? text : format(amount);
}

/** A quantity as nano units (Go keeps nano precision, rounding finer values up) and its format. */
export interface NanoQuantity {
  nanos: bigint;
  format: QuantityFormat;
}

export function parseNanoQuantity(input: string | number): NanoQuantity {
  const { amount } = parse((typeof input === 'number' ? String(input) : input).trim());
  const shift = amount.exponent + 9;
  const nanos = shift >= 0 ? amount.unscaled * 10n ** BigInt(shift) : amount.unscaled / 10n ** BigInt(-shift);
  return { nanos, format: amount.format };
}

/** The text Go writes for a quantity of `nanos` nano units in `format`. */
export function formatNanoQuantity({ nanos, format: fmt }: NanoQuantity): string {
  return format({ unscaled: nanos, exponent: -9, format: fmt });
}

/** ParseQuantity; `verbatim` when Go keeps the input text as is (it is already canonical). */
function parse(text: string): { amount: Amount; verbatim: boolean } {
  if (text === '') throw new QuantityFormatError('quantities must match the regular expression');
  if (text === '0') return { amount: { unscaled: 0n, exponent: 0, format: 'DecimalSI' }, verbatim: true };
  const m = /^([+-]?)0*(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[+-]?\d*)$/.exec(text);
  if (!m) throw new QuantityFormatError(`quantities must match the regular expression: ${text}`);
  const [, sign = '', numDigits = '', denom = '', suffix = ''] = m;
  const num = numDigits === '' ? '0' : numDigits;
  const negative = sign === '-';
  const { base, exponent, format } = interpretSuffix(suffix, text);
  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (format === 'BinarySI') {
    if (denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      // Go computes int32(float32(exponent)*3/10).
      precision = 15 - num.length - Math.trunc(Math.fround(exponent * 3) / 10) - 1;
    } else precision = -1;
  } else {
    scale = exponent;
    precision = MAX_INT64_FACTORS - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const value = BigInt(shifted);
      if (value > MAX_INT64) throw new QuantityFormatError(`quantity out of range: ${text}`);
      const product = value * mantissa;
      if (product <= MAX_INT64) {
        const keepText =
          format === 'BinarySI'
            ? exponent % 10 === 0 && (value & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        return {
          amount: { unscaled: negative ? -product : product, exponent: scale, format },
          verbatim: keepText,
        };
      }
    }
  }
  // The arbitrary-precision path: exact decimal value, rounded up to nano units.
  let unscaled = BigInt(num + denom) * (base === 2 ? 1n << BigInt(exponent) : 1n);
  let exp = (base === 10 ? exponent : 0) - denom.length;
  if (unscaled !== 0n && exp < -9) {
    const divisor = 10n ** BigInt(-9 - exp);
    unscaled = (unscaled + divisor - 1n) / divisor;
    exp = -9;
  }
  let fmt: QuantityFormat = format;
  if (fmt === 'BinarySI' && compare(unscaled, exp, MAX_INT64) > 0) {
    unscaled = MAX_INT64;
    exp = 0;
  }
  if (fmt === 'BinarySI' && unscaled > 0n && compare(unscaled, exp, 1n) < 0) fmt = 'DecimalSI';
  return {
    amount: { unscaled: negative ? -unscaled : unscaled, exponent: exp, format: fmt },
    verbatim: false,
  };
}

function interpretSuffix(
  suffix: string,
  text: string,
): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (Object.hasOwn(DECIMAL_SUFFIXES, suffix))
    return { base: 10, exponent: DECIMAL_SUFFIXES[suffix]!, format: 'DecimalSI' };
  if (Object.hasOwn(BINARY_SUFFIXES, suffix))
    return { base: 2, exponent: BINARY_SUFFIXES[suffix]!, format: 'BinarySI' };
  if (/^[eE][+-]?\d+$/.test(suffix)) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) <= 2 ** 31) return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new QuantityFormatError(`unable to parse quantity's suffix: ${text}`);
}

/** Sign of (unscaled × 10^exponent − other). */
function compare(unscaled: bigint, exponent: number, other: bigint): number {
  const [a, b] =
    exponent >= 0
      ? [unscaled * 10n ** BigInt(exponent), other]
      : [unscaled, other * 10n ** BigInt(-exponent)];
  return a === b ? 0 : a > b ? 1 : -1;
}

/** Quantity.CanonicalizeBytes. */
function format({ unscaled, exponent, format: fmt }: Amount): string {
  if (unscaled === 0n) return '0';
  if (fmt === 'BinarySI') {
    const integral = integerValue(unscaled, exponent);
    if (compare(unscaled, exponent, -1024n) > 0 && compare(unscaled, exponent, 1024n) < 0) fmt = 'DecimalSI';
    else if (integral === undefined) fmt = 'DecimalSI';
    else {
      const { rest, times } = removeFactors(integral, 1024n);
      return `${rest}${BINARY_BY_EXPONENT.get(times * 10) ?? ''}`;
    }
  }
  let { rest, times } = removeFactors(unscaled, 10n);
  let exp = exponent + times;
  while (exp % 3 !== 0) {
    rest *= 10n;
    exp -= 1;
  }
  const suffix =
    fmt === 'DecimalExponent' ? (exp === 0 ? '' : `e${exp}`) : (DECIMAL_BY_EXPONENT.get(exp) ?? '');
  return `${rest}${suffix}`;
}

function integerValue(unscaled: bigint, exponent: number): bigint | undefined {
  if (exponent >= 0) return unscaled * 10n ** BigInt(exponent);
  const divisor = 10n ** BigInt(-exponent);
  return unscaled % divisor === 0n ? unscaled / divisor : undefined;
}

function removeFactors(value: bigint, base: bigint): { rest: bigint; times: number } {
  const negative = value < 0n;
  let rest = negative ? -value : value;
  let times = 0;
  while (rest >= base && rest % base === 0n) {
    rest /= base;
    times++;
  }
  return { rest: negative ? -rest : rest, times };
}
