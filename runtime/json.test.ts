import { applyJsonPatch, canonicalJson, deepEqual, diffJson } from './json';

describe('diffJson', () => {
  it.each([
    ['scalars', { a: 1 }, { a: 2 }],
    ['type change', { a: { b: 1 } }, { a: [1] }],
    ['added and removed keys', { a: 1, b: 2 }, { b: 2, c: { d: null } }],
    ['escaped keys', { 'x/y': 1, 'm~n': 2 }, { 'x/y': 3, 'p~q/r': 4 }],
    ['growing array', { l: [1, 2] }, { l: [1, 2, 3, { z: 1 }] }],
    ['shrinking array', { l: [1, 2, 3, 4] }, { l: [0] }],
    ['root replacement', [1], { a: 1 }],
    ['__proto__ key', JSON.parse('{"__proto__":{"x":1}}'), JSON.parse('{"__proto__":{"x":2}}')],
  ])('round-trips %s', (_name, from, to) => {
    expect(applyJsonPatch(from, diffJson(from, to))).toEqual(to);
  });

  it('is empty for equal documents', () => {
    expect(diffJson({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] })).toEqual([]);
  });

  it('round-trips 500 random document pairs', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.3) return [1, 'a', true, null, 2.5][Math.floor(rand() * 5)];
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
      );
    };
    for (let i = 0; i < 500; i++) {
      const from = value(0);
      const to = value(0);
      expect(applyJsonPatch(from, diffJson(from, to))).toEqual(to);
    }
  });
});

describe('deepEqual and canonicalJson', () => {
  it('ignore key order and undefined members, not array order or types', () => {
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1, d: undefined })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(canonicalJson({ b: 1, a: { d: 2, c: undefined } })).toBe('{"a":{"d":2},"b":1}');
  });
});

describe('diffJson ops', () => {
  it('replaces changed members, removes and adds keys, and treats undefined members as absent', () => {
    expect(
      diffJson({ a: 1, b: [1, 2], c: 3, u: undefined }, { a: 2, b: [1, 3], d: 4, e: undefined }),
    ).toEqual([
      { op: 'remove', path: '/c' },
      { op: 'replace', path: '/a', value: 2 },
      { op: 'replace', path: '/b/1', value: 3 },
      { op: 'add', path: '/d', value: 4 },
    ]);
  });
});
