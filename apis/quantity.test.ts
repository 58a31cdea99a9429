import { MAX_QUANTITY_LENGTH, parseQuantity, QuantityError, tryParseQuantity } from './quantity';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['500m', 0.5],
    ['100n', 1e-7],
    ['250u', 2.5e-4],
    ['2k', 2000],
    ['3M', 3e6],
    ['4G', 4e9],
    ['5T', 5e12],
    ['6P', 6e15],
    ['7E', 7e18],
    ['1Ki', 1024],
    ['16Mi', 16 * 2 ** 20],
    ['16Gi', 16 * 2 ** 30],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2e-3', 0.002],
    ['1.5e+2', 150],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['.5', 0.5],
    ['5.', 5],
    ['+3', 3],
    ['-2m', -0.002],
    [' 4 ', 4],
  ])('parses %j', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected, 12);
  });

  it('accepts JSON numbers', () => {
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity(0.25)).toBe(0.25);
  });

  it.each(['', 'abc', '1x', '1KiB', '1.2.3', 'Gi', '1 Gi', '--1', '1e', '1ee3', 'm'])(
    'rejects %j',
    (text) => {
      expect(() => parseQuantity(text)).toThrow(QuantityError);
    },
  );

  it('rejects non-string, non-number input', () => {
    expect(() => parseQuantity(null)).toThrow(QuantityError);
    expect(() => parseQuantity({})).toThrow(QuantityError);
    expect(() => parseQuantity(Number.NaN)).toThrow(QuantityError);
    expect(() => parseQuantity('1e999')).toThrow(QuantityError);
  });

  it('rejects quantities longer than the cap before parsing them', () => {
    // 40,000 digits then a bad suffix: a backtracking pattern spent seconds on this.
    expect(() => parseQuantity(`${'9'.repeat(40_000)}x`)).toThrow(/longer than 64/);
    expect(() => parseQuantity('1'.repeat(MAX_QUANTITY_LENGTH + 1))).toThrow(QuantityError);
    expect(parseQuantity(`${'0'.repeat(MAX_QUANTITY_LENGTH - 1)}1`)).toBe(1);
  });

  it('reads E as exa alone and as the exponent before digits; zero with any exponent is zero', () => {
    expect(parseQuantity('2E')).toBe(2e18);
    expect(parseQuantity('2E2')).toBe(200);
    expect(parseQuantity('0e999')).toBe(0);
    expect(() => parseQuantity('1e+')).toThrow(QuantityError);
    expect(() => parseQuantity('1e3m')).toThrow(QuantityError);
    expect(() => parseQuantity('.')).toThrow(QuantityError);
    expect(() => parseQuantity('+')).toThrow(QuantityError);
  });

  it('tryParseQuantity returns undefined on bad input', () => {
    expect(tryParseQuantity('nope')).toBeUndefined();
    expect(tryParseQuantity('2')).toBe(2);
  });
});
