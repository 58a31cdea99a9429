// OpenKruise's resource calculator (pkg/util/calculator), which resourcesPolicy expressions such as
// "max(cpu*50%, 50m)" run on: + - * / ( ) max() min(), numbers, percentages, quantities and one variable.
// Quantities are exact (nano units, as resource.Quantity); multiplying or dividing one goes through its
// milli value and truncates, as OpenKruise's SetMilli(int64(...)) does.
import { parseNanoQuantity, type QuantityFormat } from '../../apis/quantity-format';

/** A quantity keeps the format Go would keep, so results print as OpenKruise prints them. */
export type CalcValue =
  | { quantity: true; nanos: bigint; format: QuantityFormat }
  | { quantity: false; number: number };

export class CalculatorError extends Error {}

const NANOS_PER_MILLI = 1_000_000n;
/** The units that make a number token a quantity (the lexer's list). */
const QUANTITY_UNITS = new Set(['m', 'k', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi']);

type Token =
  | { type: 'op'; value: string }
  | { type: 'number'; text: string }
  | { type: 'quantity'; text: string }
  | { type: 'ident'; text: string };

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string | undefined) => c !== undefined && /\p{L}/u.test(c);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < input.length) {
    const c = input[pos]!;
    if (/\s/.test(c)) {
      pos++;
    } else if ('+-*/(),'.includes(c)) {
      tokens.push({ type: 'op', value: c });
      pos++;
    } else if (isDigit(c) || c === '.') {
      const start = pos;
      pos = readNumber(input, pos);
      const text = input.slice(start, pos);
      tokens.push(isQuantityToken(text) ? { type: 'quantity', text } : { type: 'number', text });
    } else if (isLetter(c)) {
      const start = pos;
      while (pos < input.length && (isLetter(input[pos]) || isDigit(input[pos]) || input[pos] === '_')) pos++;
      tokens.push({ type: 'ident', text: input.slice(start, pos) });
    } else {
      throw new CalculatorError(`parse error: unexpected ${JSON.stringify(c)} at ${pos + 1}`);
    }
  }
  return tokens;
}

/** The lexer's readNumber: digits, one dot, one exponent (with sign), one %, then unit letters. */
function readNumber(input: string, start: number): number {
  let pos = start;
  let dot = false;
  let exponent = false;
  let percent = false;
  let expectExponentDigit = false;
  for (;;) {
    const c = input[pos];
    if (isDigit(c)) {
      expectExponentDigit = false;
    } else if (c === '.' && !dot && !exponent && !percent) {
      dot = true;
    } else if ((c === 'e' || c === 'E') && !exponent && !percent) {
      exponent = true;
      expectExponentDigit = true;
    } else if ((c === '+' || c === '-') && expectExponentDigit) {
      expectExponentDigit = false;
    } else if (c === '%' && !percent) {
      percent = true;
    } else if (isLetter(c) && !expectExponentDigit) {
      while (isLetter(input[pos])) pos++;
      return pos;
    } else {
      return pos;
    }
    pos++;
  }
}

function isQuantityToken(text: string): boolean {
  const end = [...text].findIndex((c) => !isDigit(c) && !'.eE+-'.includes(c));
  return end > 0 && QUANTITY_UNITS.has(text.slice(end));
}

/** parseNumber: "50%" is 0.5; text Go cannot parse counts as 0, as OpenKruise ignores that error. */
function parseNumber(text: string): number {
  const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  return Number.isNaN(value) ? 0 : value;
}

const milliOf = (nanos: bigint) => {
  // Quantity.MilliValue rounds up.
  const q = nanos / NANOS_PER_MILLI;
  return nanos % NANOS_PER_MILLI > 0n ? q + 1n : q;
};
const fromMilli = (milli: number, format: QuantityFormat = 'DecimalSI'): CalcValue => ({
  quantity: true,
  nanos: BigInt(Math.trunc(milli)) * NANOS_PER_MILLI,
  format,
});
const asNanos = (v: CalcValue) =>
  v.quantity ? v.nanos : BigInt(Math.trunc(v.number * 1000)) * NANOS_PER_MILLI;

function binary(op: string, left: CalcValue, right: CalcValue): CalcValue {
  switch (op) {
    case '+':
    case '-': {
      if (!left.quantity && !right.quantity)
        return {
          quantity: false,
          number: op === '+' ? left.number + right.number : left.number - right.number,
        };
      const r = asNanos(right);
      const format = left.quantity ? left.format : 'DecimalSI';
      return { quantity: true, nanos: asNanos(left) + (op === '+' ? r : -r), format };
    }
    case '*':
      if (left.quantity && right.quantity) throw new CalculatorError('multiplication of two quantities');
      if (left.quantity)
        return fromMilli(Number(milliOf(left.nanos)) * (right as { number: number }).number, left.format);
      if (right.quantity) return fromMilli(Number(milliOf(right.nanos)) * left.number, right.format);
      return { quantity: false, number: left.number * right.number };
    default:
      if (right.quantity) throw new CalculatorError('division by quantity');
      if (right.number === 0) throw new CalculatorError('division by zero');
      if (left.quantity) return fromMilli(Number(milliOf(left.nanos)) / right.number, left.format);
      return { quantity: false, number: left.number / right.number };
  }
}

function extreme(name: string, args: CalcValue[]): CalcValue {
  if (name !== 'max' && name !== 'min') throw new CalculatorError(`unknown function: ${name}`);
  if (args.length !== 2)
    throw new CalculatorError(`${name} function requires exactly 2 arguments, got ${args.length}`);
  const [a, b] = args as [CalcValue, CalcValue];
  if (!a.quantity && !b.quantity) {
    const pickA = name === 'max' ? a.number >= b.number : a.number <= b.number;
    return pickA ? a : b;
  }
  const [x, y] = [asNanos(a), asNanos(b)];
  const picked = (name === 'max' ? x >= y : x <= y) ? a : b;
  return picked.quantity ? picked : fromMilli(picked.number * 1000);
}

/** Evaluates `expr` with `variables` (names compared lower-case). Throws CalculatorError. */
export function evaluate(expr: string, variables: Record<string, CalcValue>): CalcValue {
  const tokens = tokenize(expr);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (value: string) => peek()?.type === 'op' && (peek() as { value: string }).value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new CalculatorError(`parse error: expected ${JSON.stringify(value)}`);
    pos++;
  };
  const parseExpr = (): CalcValue => {
    let left = parseTerm();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as { value: string }).value;
      left = binary(op, left, parseTerm());
    }
    return left;
  };
  const parseTerm = (): CalcValue => {
    let left = parseFactor();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[pos++] as { value: string }).value;
      left = binary(op, left, parseFactor());
    }
    return left;
  };
  const parseFactor = (): CalcValue => {
    const token = tokens[pos++];
    if (!token) throw new CalculatorError('parse error: unexpected end of expression');
    if (token.type === 'number') return { quantity: false, number: parseNumber(token.text) };
    if (token.type === 'quantity') {
      try {
        return { quantity: true, ...parseNanoQuantity(token.text) };
      } catch (err) {
        throw new CalculatorError((err as Error).message);
      }
    }
    if (token.type === 'ident') {
      const name = token.text.toLowerCase();
      if (isOp('(')) {
        pos++;
        const args = [parseExpr()];
        if (isOp(',')) {
          pos++;
          args.push(parseExpr());
        }
        expect(')');
        return extreme(name, args);
      }
      const value = variables[name];
      if (!value) throw new CalculatorError(`undefined variable: ${token.text}`);
      return value;
    }
    if (token.value === '(') {
      const inner = parseExpr();
      expect(')');
      return inner;
    }
    if (token.value === '-') {
      const v = parseFactor();
      return v.quantity ? { ...v, nanos: -v.nanos } : { quantity: false, number: -v.number };
    }
    throw new CalculatorError(`parse error: unexpected ${JSON.stringify(token.value)}`);
  };
  const result = parseExpr();
  if (pos < tokens.length) throw new CalculatorError('parse error: unexpected input after the expression');
  if (result.quantity ? result.nanos < 0n : result.number < 0) {
    throw new CalculatorError('calculation result is negative');
  }
  return result;
}
