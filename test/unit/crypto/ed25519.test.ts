import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { isYibaoGuardError } from '../../../src/index.js';
import { createEd25519Signer, ed25519KeyPairFromSeed, toHex, verifyEd25519 } from '../../../src/crypto/index.js';
import { tweetnaclEd25519 } from '../../../src/crypto/ed25519-fallback.js';
import { verifyRulePack } from '../../../src/rules/pack.js';
import {
  signRulePack,
  simulatorRulePack,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from '../../../adapters/simulator/keys.js';
import { withoutWebCryptoEd25519 } from '../invoice/fallback.js';

const { vectors } = JSON.parse(
  readFileSync(new URL('../../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8'),
) as {
  vectors: { secretKey: string; publicKey: string; message: string; signature: string }[];
};
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));

describe('Ed25519 signer (RFC 8032 vectors)', () => {
  it.each(vectors.map((v, i) => [i + 1, v] as const))(
    'TEST %i: derives the public key and signs to the published signature',
    async (_n, v) => {
      const keys = await ed25519KeyPairFromSeed(hex(v.secretKey));
      expect(toHex(keys.publicKey)).toBe(v.publicKey);
      const signer = createEd25519Signer('K1', keys);
      expect(signer.algorithm).toBe('ED25519');
      expect(toHex(await signer.sign(hex(v.message)))).toBe(v.signature);
      expect(await verifyEd25519(hex(v.message), hex(v.signature), hex(v.publicKey))).toBe(true);
    },
  );

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
    await expect(ed25519KeyPairFromSeed(new Uint8Array(31))).rejects.toSatisfy((e: unknown) =>
      isYibaoGuardError(e, 'INVALID_INPUT'),
    );
  });
});

describe('where WebCrypto has no Ed25519', () => {
  const v = vectors[1]!;
  const trusted = [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }];

  it('signs and verifies with the fallback given, and says which option is missing without one', async () => {
    const signed = await signRulePack(simulatorRulePack('220100', 3));
    await withoutWebCryptoEd25519(async () => {
      const unsupported = {
        code: 'ENVIRONMENT_UNSUPPORTED',
        message: expect.stringContaining('ed25519Fallback'),
        messageZh: expect.stringContaining('ed25519Fallback'),
      };
      await expect(ed25519KeyPairFromSeed(hex(v.secretKey))).rejects.toMatchObject(unsupported);
      await expect(verifyEd25519(hex(v.message), hex(v.signature), hex(v.publicKey))).rejects.toMatchObject(
        unsupported,
      );
      // A genuine pack is not taken for a forged one because this runtime cannot check it.
      await expect(verifyRulePack(signed, trusted, signed.pack.validFrom + 1)).rejects.toMatchObject(unsupported);

      const keys = await ed25519KeyPairFromSeed(hex(v.secretKey), tweetnaclEd25519);
      expect(toHex(keys.publicKey)).toBe(v.publicKey);
      expect(toHex(await createEd25519Signer('K1', keys, tweetnaclEd25519).sign(hex(v.message)))).toBe(v.signature);
      await expect(createEd25519Signer('K1', keys).sign(hex(v.message))).rejects.toMatchObject(unsupported);
      expect(await verifyEd25519(hex(v.message), hex(v.signature), hex(v.publicKey), tweetnaclEd25519)).toBe(true);
      expect(await verifyEd25519(hex(v.message), hex(v.signature).reverse(), hex(v.publicKey), tweetnaclEd25519)).toBe(
        false,
      );
      expect(
        (await verifyRulePack(signed, trusted, signed.pack.validFrom + 1, undefined, tweetnaclEd25519)).pack.version,
      ).toBe(3);
      const tampered = { ...signed, pack: { ...signed.pack, version: 4 } };
      await expect(
        verifyRulePack(tampered, trusted, signed.pack.validFrom + 1, undefined, tweetnaclEd25519),
      ).rejects.toMatchObject({ code: 'RULE_PACK_INVALID_SIGNATURE' });
    });
  });

  it('uses WebCrypto, not the fallback, where WebCrypto has Ed25519', async () => {
    const calls = { sign: 0, verify: 0, keyPairFromSeed: 0 };
    const counting = {
      name: 'counting',
      keyPairFromSeed: () => (calls.keyPairFromSeed++, tweetnaclEd25519.keyPairFromSeed(hex(v.secretKey))),
      sign: (m: Uint8Array, k: Uint8Array) => (calls.sign++, tweetnaclEd25519.sign(m, k)),
      verify: (m: Uint8Array, s: Uint8Array, p: Uint8Array) => (calls.verify++, tweetnaclEd25519.verify(m, s, p)),
    };
    const keys = await ed25519KeyPairFromSeed(hex(v.secretKey), counting);
    expect(toHex(await createEd25519Signer('K1', keys, counting).sign(hex(v.message)))).toBe(v.signature);
    expect(await verifyEd25519(hex(v.message), hex(v.signature), hex(v.publicKey), counting)).toBe(true);
    expect(calls).toEqual({ sign: 0, verify: 0, keyPairFromSeed: 0 });
  });
});
