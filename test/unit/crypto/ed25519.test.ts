import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createEd25519Signer, ed25519KeyPairFromSeed, isYibaoGuardError, toHex, verifyEd25519 } from '../../../src/index.js';

const { vectors } = JSON.parse(readFileSync(new URL('../../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as {
  vectors: { secretKey: string; publicKey: string; message: string; signature: string }[];
};
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));

describe('Ed25519 signer (RFC 8032 vectors)', () => {
  it.each(vectors.map((v, i) => [i + 1, v] as const))('TEST %i: derives the public key and signs to the published signature', async (_n, v) => {
    const keys = await ed25519KeyPairFromSeed(hex(v.secretKey));
    expect(toHex(keys.publicKey)).toBe(v.publicKey);
    const signer = createEd25519Signer('K1', keys);
    expect(signer.algorithm).toBe('ED25519');
    expect(toHex(await signer.sign(hex(v.message)))).toBe(v.signature);
    expect(await verifyEd25519(hex(v.message), hex(v.signature), hex(v.publicKey))).toBe(true);
  });

  it('verifies any message it signed and rejects any flipped bit', async () => {
    const signer = createEd25519Signer('K1', await ed25519KeyPairFromSeed(new Uint8Array(32).fill(7)));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.nat(), async (message, flip) => {
        const sig = await signer.sign(message);
        expect(await verifyEd25519(message, sig, signer.publicKey)).toBe(true);
        const bad = sig.slice();
        const bit = flip % (bad.length * 8);
        bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(await verifyEd25519(message, bad, signer.publicKey)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('returns false, never throws, for malformed keys and signatures', async () => {
    expect(await verifyEd25519(new Uint8Array(1), new Uint8Array(63), new Uint8Array(32))).toBe(false);
    expect(await verifyEd25519(new Uint8Array(1), new Uint8Array(64), new Uint8Array(31))).toBe(false);
  });

  it('refuses a seed that is not 32 bytes with a typed error', async () => {
    await expect(ed25519KeyPairFromSeed(new Uint8Array(31))).rejects.toSatisfy((e: unknown) => isYibaoGuardError(e, 'INVALID_INPUT'));
  });
});
