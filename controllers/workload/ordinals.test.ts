import {
  inRange,
  ordinalName,
  ordinalOf,
  ordinalRange,
  parseOrdinalName,
  rangeOrdinals,
  reservedOrdinals,
} from './ordinals';

describe('ordinal identity', () => {
  it('names and parses <owner>-<ordinal>, owners with dashes included', () => {
    expect(ordinalName('web', 3)).toBe('web-3');
    expect(parseOrdinalName('my-db-12')).toEqual({ owner: 'my-db', ordinal: 12 });
    expect(ordinalOf('my-db-12', 'my-db')).toBe(12);
    expect(ordinalOf('my-db-12', 'db')).toBeUndefined();
    expect(ordinalOf('web-x', 'web')).toBeUndefined();
    expect(ordinalOf('web-99999999999', 'web')).toBeUndefined();
    expect(ordinalOf(undefined, 'web')).toBeUndefined();
  });

  it.each([
    ['web-007', { owner: 'web', ordinal: 7 }],
    ['-5', { owner: '', ordinal: 5 }],
    ['web-2147483647', { owner: 'web', ordinal: 2147483647 }],
    ['web-2147483648', undefined],
    ['web-', undefined],
    ['web', undefined],
    ['web-1b', undefined],
    ['web-1-b', undefined],
    ['web-1.5', undefined],
  ])('parses %s as Kruise ^(.*)-(\\d+)$ does', (name, parsed) => {
    expect(parseOrdinalName(name)).toEqual(parsed);
  });

  it.each([
    [[], []],
    [
      [1, 3],
      [1, 3],
    ],
    [['2-4'], [2, 3, 4]],
    [
      [0, '5-5', '7-8'],
      [0, 5, 7, 8],
    ],
  ])('reserveOrdinals %j → %j', (entries, ordinals) => {
    const reserved = reservedOrdinals(entries as (number | string)[]);
    expect(reserved instanceof Set ? [...reserved].sort((a, b) => a - b) : reserved).toEqual(ordinals);
  });

  it.each([['4-2'], ['x'], ['3'], ['1-2-3']])('rejects the reserveOrdinals entry %j', (entry) => {
    expect(reservedOrdinals([entry])).toEqual({ error: expect.stringContaining(JSON.stringify(entry)) });
  });

  it.each([
    // start, replicas, reserved, [start, end), ordinals
    [0, 3, [], 0, 3, [0, 1, 2]],
    [0, 3, [1], 0, 4, [0, 2, 3]],
    [2, 4, [1, 3], 2, 7, [2, 4, 5, 6]],
    [5, 2, [5, 6], 5, 9, [7, 8]],
    [0, 0, [0], 0, 0, []],
  ])('start %i, %i replicas, reserved %j → [%i, %i) %j', (start, replicas, reserved, from, end, ordinals) => {
    const range = ordinalRange(start, replicas, new Set(reserved));
    expect(range).toMatchObject({ start: from, end });
    expect(rangeOrdinals(range)).toEqual(ordinals);
    expect(ordinals.every((o) => inRange(range, o))).toBe(true);
    for (const r of reserved) expect(inRange(range, r)).toBe(false);
    expect(inRange(range, end)).toBe(false);
    expect(inRange(range, start - 1)).toBe(false);
  });
});
