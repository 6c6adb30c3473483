import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { isYibaoGuardError } from '../../../src/index.js';
import { fromBase64Url, sha256Hex, toBase64Url } from '../../../src/crypto/index.js';

describe('base64url', () => {
  it('matches Node for any bytes and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  it('refuses other alphabets, impossible lengths and non-canonical padding bits', () => {
    for (const bad of ['ab+c', 'ab/c', 'abc=', 'a', 'abcde', '-_9']) {
      let error: unknown;
      try {
        fromBase64Url(bad);
      } catch (e) {
        error = e;
      }
      expect(isYibaoGuardError(error, 'INVALID_INPUT'), bad).toBe(true);
    }
  });
});

describe('sha256Hex', () => {
  it('agrees with node:crypto for text and bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        expect(await sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
      }),
      { numRuns: 50 },
    );
    expect(await sha256Hex(new Uint8Array([1, 2, 3]))).toBe(
      createHash('sha256')
        .update(Buffer.from([1, 2, 3]))
        .digest('hex'),
    );
  });
});
