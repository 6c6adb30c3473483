import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isYibaoGuardError } from '../../src/index.js';
import { canonicalJson } from '../../src/crypto/index.js';
import { sale, till } from './invoice/helpers.js';

const { cases } = JSON.parse(readFileSync(new URL('../vectors/rfc8785-jcs.json', import.meta.url), 'utf8')) as {
  cases: { name: string; input: string; output: string }[];
};

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
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}',
    );
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

// RFC 8785 §3.2.2.2 takes I-JSON (RFC 7493) only: a string with a lone surrogate has no UTF-8 form, so no verifier in
// another language can reproduce the bytes signed (TextEncoder writes U+FFFD in its place; others refuse).
describe('canonicalJson refuses lone surrogates (I-JSON)', () => {
  /**
   * Well-formed UTF-16, decided independently of the code under test: encodeURIComponent throws on a lone surrogate.
   */
  const wellFormed = (text: string) => {
    try {
      encodeURIComponent(text);
      return true;
    } catch {
      return false;
    }
  };
  const refusal = (value: unknown) => {
    try {
      canonicalJson(value);
    } catch (error) {
      return error as { code?: string; message: string; messageZh: string; field?: string };
    }
    return undefined;
  };

  it.each([
    ['a lone high surrogate', { k: '\ud800' }, 'k'],
    ['a lone low surrogate', { k: 'x\udc00y' }, 'k'],
    ['a pair in the wrong order', { k: '\ude00\ud83d' }, 'k'],
    ['a high surrogate at the end', ['ok', 'abc\ud83d'], '1'],
    ['deep inside', { a: [{ b: ['', '\udfff'] }] }, 'a.0.b.1'],
    ['the root string itself', '\ud800', '(root)'],
  ])('%s: INVALID_INPUT naming where', (_name, value, field) => {
    const error = refusal(value);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    expect(error?.field).toBe(field);
    expect(error?.message).toMatch(/lone surrogate/);
    expect(error?.messageZh).toMatch(/代理/);
  });

  it('in a member name too, and the error text it writes is itself well-formed', () => {
    for (const value of [{ '\ud800': 1 }, { a: { ['x\udc00']: 'v' } }]) {
      const error = refusal(value);
      expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
      expect(error?.message).toMatch(/member name/);
      for (const text of [error!.message, error!.messageZh, error!.field!]) expect(wellFormed(text)).toBe(true);
    }
    expect(refusal({ a: { ['x\udc00']: 'v' } })?.field).toBe('a.x\\udc00');
  });

  it('accepts every well-formed string, surrogate pairs included, and refuses every other one', () => {
    expect(canonicalJson({ '\ud83d\ude00': '\ud83d\ude02 A\u030a' })).toBe('{"\ud83d\ude00":"\ud83d\ude02 A\u030a"}');
    const unit = fc
      .oneof(fc.integer({ min: 0xd7f0, max: 0xe010 }), fc.integer({ min: 0, max: 0xffff }))
      .map((n) => String.fromCharCode(n));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 8 }), fc.boolean(), (text, asKey) => {
        const value = asKey ? { [text]: 1 } : { k: text };
        if (wellFormed(text)) expect(JSON.parse(canonicalJson(value))).toEqual(value);
        else expect(isYibaoGuardError(refusal(value), 'INVALID_INPUT')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('an invoice with such a name is refused with the typed error, and nothing is stored', async () => {
    const t = await till();
    t.clock.advance(60_000);
    await t.book.issue(sale(1000));
    const before = { head: await t.book.head(), records: await t.book.records() };
    const draft = sale(1200);
    const bad = { ...draft, lines: [{ ...draft.lines[0]!, name: '阿莫西林\ud800胶囊' }] };
    t.clock.advance(60_000);
    const error = await t.book.issue(bad).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    expect({ head: await t.book.head(), records: await t.book.records() }).toEqual(before);
    // The book carries on: the next good sale follows the last one.
    const next = await t.book.issue(sale(1300));
    expect(next.record.body.seq).toBe(2);
  });
});

// cyberphone/json-canonicalization (the RFC 8785 authors' reference implementations), testdata/ at commit
// 19d51d7fe467d4706a3ff08adf8a748f29fc21e0, Apache-2.0: copied verbatim to test/vectors/json-canonicalization/.
describe('cyberphone/json-canonicalization testdata', () => {
  const dir = new URL('../vectors/json-canonicalization/', import.meta.url);
  const names = readdirSync(new URL('input/', dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();

  it('has all six files', () => {
    expect(names).toEqual(['arrays', 'french', 'structures', 'unicode', 'values', 'weird']);
  });

  it.each(names)('%s: input/ canonicalises to output/, byte for byte as outhex/', (name) => {
    const output = canonicalJson(JSON.parse(readFileSync(new URL(`input/${name}.json`, dir), 'utf8')));
    expect(output).toBe(readFileSync(new URL(`output/${name}.json`, dir), 'utf8'));
    const hex = readFileSync(new URL(`outhex/${name}.txt`, dir), 'utf8')
      .trim()
      .split(/\s+/)
      .join('');
    expect(Buffer.from(output, 'utf8').toString('hex')).toBe(hex);
  });

  // ES6 number serialisation: their 100-million-line file is too big to commit, but it is generated deterministically
  // (testdata/numgen.js) and testdata/README.md publishes the SHA-256 of its first lines, "hex-ieee,expected\n" each.
  // The same numbers, written by canonicalJson, must give the same hash.
  it('numbers: the first 100 000 lines of es6testfile100m.txt hash as published', () => {
    const statics = new BigUint64Array(NUMGEN_STATIC);
    const serial = Array.from({ length: 2000 }, (_, i) => 0x0010000000000000n + BigInt(i));
    const u64 = new BigUint64Array(1);
    const f64 = new Float64Array(u64.buffer);
    let block = new Uint8Array(32);
    let data = new Float64Array(0);
    const next = (idx: number): number => {
      if (idx < statics.length) return new Float64Array(statics.buffer)[idx]!;
      if (idx < statics.length + serial.length) {
        u64[0] = serial[idx - statics.length]!;
        return f64[0]!;
      }
      let f = 0;
      while (f === 0 || !Number.isFinite(f)) {
        if (data.length === 0) {
          block = new Uint8Array(createHash('sha256').update(block).digest());
          data = new Float64Array(block.buffer.slice(0));
        }
        f = data[0]!;
        data = data.slice(1);
      }
      return f;
    };
    const hash = createHash('sha256');
    const published: Record<number, string> = {
      1000: 'be18b62b6f69cdab33a7e0dae0d9cfa869fda80ddc712221570f9f40a5878687',
      10000: 'b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892',
      100000: '22776e6d4b49fa294a0d0f349268e5c28808fe7e0cb2bcbe28f63894e494d4c7',
    };
    const got: Record<number, string> = {};
    for (let i = 0; i < 100000; i++) {
      f64[0] = next(i);
      hash.update(`${u64[0]!.toString(16)},${canonicalJson(f64[0])}\n`);
      if (published[i + 1]) got[i + 1] = hash.copy().digest('hex');
    }
    expect(got).toEqual(published);
  });
});

/** testdata/numgen.js `staticU64s`: zeros, edge cases and powers around the formatting thresholds. */
const NUMGEN_STATIC = [
  0x0000000000000000n,
  0x8000000000000000n,
  0x0000000000000001n,
  0x8000000000000001n,
  0xc46696695dbd1cc3n,
  0xc43211ede4974a35n,
  0xc3fce97ca0f21056n,
  0xc3c7213080c1a6acn,
  0xc39280f39a348556n,
  0xc35d9b1f5d20d557n,
  0xc327af4c4a80aaacn,
  0xc2f2f2a36ecd5556n,
  0xc2be51057e155558n,
  0xc28840d131aaaaacn,
  0xc253670dc1555557n,
  0xc21f0b4935555557n,
  0xc1e8d5d42aaaaaacn,
  0xc1b3de4355555556n,
  0xc17fca0555555556n,
  0xc1496e6aaaaaaaabn,
  0xc114585555555555n,
  0xc0e046aaaaaaaaabn,
  0xc0aa0aaaaaaaaaaan,
  0xc074d55555555555n,
  0xc040aaaaaaaaaaabn,
  0xc00aaaaaaaaaaaabn,
  0xbfd5555555555555n,
  0xbfa1111111111111n,
  0xbf6b4e81b4e81b4fn,
  0xbf35d867c3ece2a5n,
  0xbf0179ec9cbd821en,
  0xbecbf647612f3696n,
  0xbe965e9f80f29212n,
  0xbe61e54c672874dbn,
  0xbe2ca213d840baf8n,
  0xbdf6e80fe033c8c6n,
  0xbdc2533fe68fd3d2n,
  0xbd8d51ffd74c861cn,
  0xbd5774ccac3d3817n,
  0xbd22c3d6f030f9acn,
  0xbcee0624b3818f79n,
  0xbcb804ea293472c7n,
  0xbc833721ba905bd3n,
  0xbc4ebe9c5db3c61en,
  0xbc18987d17c304e5n,
  0xbbe3ad30dfcf371dn,
  0xbbaf7b816618582fn,
  0xbb792f9ab81379bfn,
  0xbb442615600f9499n,
  0xbb101e77800c76e1n,
  0xbad9ca58cce0be35n,
  0xbaa4a1e0a3e6fe90n,
  0xba708180831f320dn,
  0xba3a68cd9e985016n,
  0x446696695dbd1cc3n,
  0x443211ede4974a35n,
  0x43fce97ca0f21056n,
  0x43c7213080c1a6acn,
  0x439280f39a348556n,
  0x435d9b1f5d20d557n,
  0x4327af4c4a80aaacn,
  0x42f2f2a36ecd5556n,
  0x42be51057e155558n,
  0x428840d131aaaaacn,
  0x4253670dc1555557n,
  0x421f0b4935555557n,
  0x41e8d5d42aaaaaacn,
  0x41b3de4355555556n,
  0x417fca0555555556n,
  0x41496e6aaaaaaaabn,
  0x4114585555555555n,
  0x40e046aaaaaaaaabn,
  0x40aa0aaaaaaaaaaan,
  0x4074d55555555555n,
  0x4040aaaaaaaaaaabn,
  0x400aaaaaaaaaaaabn,
  0x3fd5555555555555n,
  0x3fa1111111111111n,
  0x3f6b4e81b4e81b4fn,
  0x3f35d867c3ece2a5n,
  0x3f0179ec9cbd821en,
  0x3ecbf647612f3696n,
  0x3e965e9f80f29212n,
  0x3e61e54c672874dbn,
  0x3e2ca213d840baf8n,
  0x3df6e80fe033c8c6n,
  0x3dc2533fe68fd3d2n,
  0x3d8d51ffd74c861cn,
  0x3d5774ccac3d3817n,
  0x3d22c3d6f030f9acn,
  0x3cee0624b3818f79n,
  0x3cb804ea293472c7n,
  0x3c833721ba905bd3n,
  0x3c4ebe9c5db3c61en,
  0x3c18987d17c304e5n,
  0x3be3ad30dfcf371dn,
  0x3baf7b816618582fn,
  0x3b792f9ab81379bfn,
  0x3b442615600f9499n,
  0x3b101e77800c76e1n,
  0x3ad9ca58cce0be35n,
  0x3aa4a1e0a3e6fe90n,
  0x3a708180831f320dn,
  0x3a3a68cd9e985016n,
  0x4024000000000000n,
  0x4014000000000000n,
  0x3fe0000000000000n,
  0x3fa999999999999an,
  0x3f747ae147ae147bn,
  0x3f40624dd2f1a9fcn,
  0x3f0a36e2eb1c432dn,
  0x3ed4f8b588e368f1n,
  0x3ea0c6f7a0b5ed8dn,
  0x3e6ad7f29abcaf48n,
  0x3e35798ee2308c3an,
  0x3ed539223589fa95n,
  0x3ed4ff26cd5a7781n,
  0x3ed4f95a762283ffn,
  0x3ed4f8c60703520cn,
  0x3ed4f8b72f19cd0dn,
  0x3ed4f8b5b31c0c8dn,
  0x3ed4f8b58d1c461an,
  0x3ed4f8b5894f7f0en,
  0x3ed4f8b588ee37f3n,
  0x3ed4f8b588e47da4n,
  0x3ed4f8b588e3849cn,
  0x3ed4f8b588e36bb5n,
  0x3ed4f8b588e36937n,
  0x3ed4f8b588e368f8n,
  0x3ed4f8b588e368f1n,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0xbfeffffffffffffan,
  0xbfeffffffffffffbn,
  0x3feffffffffffffan,
  0x3feffffffffffffbn,
  0x3feffffffffffffcn,
  0x3feffffffffffffen,
  0xbfefffffffffffffn,
  0xbfefffffffffffffn,
  0x3fefffffffffffffn,
  0x3fefffffffffffffn,
  0x3fd3333333333332n,
  0x3fd3333333333333n,
  0x3fd3333333333334n,
  0x0010000000000000n,
  0x000ffffffffffffdn,
  0x000fffffffffffffn,
  0x7fefffffffffffffn,
  0xffefffffffffffffn,
  0x4340000000000000n,
  0xc340000000000000n,
  0x4430000000000000n,
  0x44b52d02c7e14af5n,
  0x44b52d02c7e14af6n,
  0x44b52d02c7e14af7n,
  0x444b1ae4d6e2ef4en,
  0x444b1ae4d6e2ef4fn,
  0x444b1ae4d6e2ef50n,
  0x3eb0c6f7a0b5ed8cn,
  0x3eb0c6f7a0b5ed8dn,
  0x41b3de4355555553n,
  0x41b3de4355555554n,
  0x41b3de4355555555n,
  0x41b3de4355555556n,
  0x41b3de4355555557n,
  0xbecbf647612f3696n,
  0x43143ff3c1cb0959n,
];
