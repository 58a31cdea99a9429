// Kubernetes resource.Quantity parser (k8s.io/apimachinery/pkg/api/resource).
// Returns the value in base units as a float: "500m" -> 0.5, "1Ki" -> 1024, "1e3" -> 1000.

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

// Same grammar as apimachinery: <sign><digits>[.<digits>]<suffix>, suffix is binary, decimal or e/E exponent.
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|([eE][+-]?\d+))$/;

export class QuantityError extends Error {}

export function parseQuantity(input: unknown): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(`quantity is not finite: ${input}`);
    return input;
  }
  if (typeof input !== 'string') throw new QuantityError(`quantity must be a string, got ${typeof input}`);
  const text = input.trim();
  const match = QUANTITY.exec(text);
  if (!match) throw new QuantityError(`invalid quantity: ${JSON.stringify(input)}`);
  const [, sign, digits, binary, decimal, exponent] = match;
  let value = Number(digits);
  if (binary) value *= BINARY[binary]!;
  else if (exponent) value *= 10 ** Number(exponent.slice(1));
  else value *= DECIMAL[decimal ?? '']!;
  if (!Number.isFinite(value)) throw new QuantityError(`quantity out of range: ${JSON.stringify(input)}`);
  return sign === '-' ? -value : value;
}

/** Parses a quantity, returning undefined instead of throwing. */
export function tryParseQuantity(input: unknown): number | undefined {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}
