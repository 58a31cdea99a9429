// Kubernetes resource.Quantity parser (k8s.io/apimachinery/pkg/api/resource).
// Returns the value in base units as a float: "500m" -> 0.5, "1Ki" -> 1024, "1e3" -> 1000.
//
// One pass over the text, no regular expression: the input reaches the leader through any pod template,
// and a backtracking pattern over 40,000 digits blocked the event loop for seconds.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * Longer quantities are rejected before parsing. Kubernetes keeps at most 19 significant digits (int64) and
 * 9 decimal places (nano), so no sane quantity comes near this.
 */
export const MAX_QUANTITY_LENGTH = 64;

export class QuantityError extends Error {}

export function parseQuantity(input: unknown): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(`quantity is not finite: ${input}`);
    return input;
  }
  if (typeof input !== 'string') throw new QuantityError(`quantity must be a string, got ${typeof input}`);
  if (input.length > MAX_QUANTITY_LENGTH) {
    throw new QuantityError(`quantity is longer than ${MAX_QUANTITY_LENGTH} characters`);
  }
  const text = input.trim();
  const parts = splitQuantity(text);
  if (!parts) throw new QuantityError(`invalid quantity: ${JSON.stringify(input)}`);
  let value = Number(parts.number);
  const { suffix } = parts;
  if (value === 0) return 0;
  if (BINARY[suffix] !== undefined) value *= BINARY[suffix];
  else if (DECIMAL[suffix] !== undefined) value *= DECIMAL[suffix];
  else value *= 10 ** Number(suffix.slice(1));
  if (!Number.isFinite(value)) throw new QuantityError(`quantity out of range: ${JSON.stringify(input)}`);
  return parts.negative ? -value : value;
}

/** Parses a quantity, returning undefined instead of throwing. */
export function tryParseQuantity(input: unknown): number | undefined {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * apimachinery's grammar, <sign><digits>[.<digits>]<suffix> with at least one digit, scanned once:
 * the suffix is binary (Ki…Ei), decimal (n…E or none) or an exponent (e/E, optional sign, digits).
 */
function splitQuantity(text: string): { negative: boolean; number: string; suffix: string } | undefined {
  let i = 0;
  const negative = text[i] === '-';
  if (text[i] === '+' || text[i] === '-') i++;
  const start = i;
  while (isDigit(text[i])) i++;
  let digits = i - start;
  if (text[i] === '.') {
    const fraction = ++i;
    while (isDigit(text[i])) i++;
    digits += i - fraction;
  }
  if (digits === 0) return undefined;
  const number = text.slice(start, i);
  const suffix = text.slice(i);
  if (BINARY[suffix] !== undefined || DECIMAL[suffix] !== undefined) return { negative, number, suffix };
  if (suffix[0] !== 'e' && suffix[0] !== 'E') return undefined;
  let j = suffix[1] === '+' || suffix[1] === '-' ? 2 : 1;
  if (j === suffix.length) return undefined;
  while (isDigit(suffix[j])) j++;
  return j === suffix.length ? { negative, number, suffix } : undefined;
}
