import { parseQuantity, QuantityError, tryParseQuantity } from './quantity';

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

  it('tryParseQuantity returns undefined on bad input', () => {
    expect(tryParseQuantity('nope')).toBeUndefined();
    expect(tryParseQuantity('2')).toBe(2);
  });
});
