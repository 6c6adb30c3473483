import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { canonicalJson, isYibaoGuardError } from '../../src/index.js';

const { cases } = JSON.parse(readFileSync(new URL('../vectors/rfc8785-jcs.json', import.meta.url), 'utf8')) as { cases: { name: string; input: string; output: string }[] };

describe('canonicalJson (RFC 8785)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(canonicalJson(JSON.parse(c.input))).toBe(c.output);
  });

  it('is independent of key order and stable under a parse round trip', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
  });

  it('drops undefined members as JSON does, and refuses what JSON cannot carry', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
    for (const bad of [NaN, Infinity, { n: -Infinity }, { big: 1n }, () => 1]) {
      let error: unknown;
      try {
        canonicalJson(bad);
      } catch (e) {
        error = e;
      }
      expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    }
  });
});
