/**
 * Terminal keys: made at enrolment, kept only wrapped under the device secret, registered with the platform (YG04),
 * rotated with a hand-over record in the chain and a hand-over signature for the platform.
 */
import { describe, expect, it } from 'vitest';
import { isYibaoGuardError } from '../../../src/index.js';
import { fromBase64Url, toBase64Url, toHex, verifyEd25519 } from '../../../src/crypto/index.js';
import type { PlatformClient, TransactionInput } from '../../../src/platform/index.js';
import {
  generateTerminalKey,
  registerTerminalKey,
  unwrapTerminalKey,
  verifyChain,
} from '../../../src/invoice/index.js';
import { keyHandoverText } from '../../../adapters/simulator/index.js';
import { DEVICE_SECRET, PHARMACY, sale, seededRandom, till } from './helpers.js';

/** A platform client that records YG04 calls (and the key that signed each request) and answers them. */
function recordingPlatform(book: { signer: { keyId: string } }) {
  const calls: { input: TransactionInput<'YG04'>; cainfoKey: string }[] = [];
  const platform = {
    registerKey: async (input: TransactionInput<'YG04'>) => {
      calls.push({ input, cainfoKey: book.signer.keyId });
      return { key_id: input.data.key_id, registered: '1' };
    },
  } as unknown as PlatformClient;
  return { platform, calls };
}

describe('enrolment and wrapping', () => {
  it('stores the private key only wrapped, never in clear', async () => {
    const random = seededRandom(42);
    const seed = seededRandom(42)(32);
    const t = await till({ random });
    const dump =
      JSON.stringify(await t.storage.list('invoiceKeys')) + JSON.stringify(await t.storage.list('invoiceChain'));
    for (const form of [toBase64Url(seed), toHex(seed)]) expect(dump).not.toContain(form);
    const [stored] = await t.storage.list('invoiceKeys');
    expect(stored?.key).toBe(`${PHARMACY}/T01/T01-K1`);
    expect(stored?.value).toMatchObject({
      v: 1,
      keyId: 'T01-K1',
      alg: 'HKDF-SHA256/A256GCM',
      createdAt: t.clock.now(),
    });
  });

  it('unwraps only with the device secret it was wrapped under, and only as the key it says it is', async () => {
    const { wrapped, signer } = await generateTerminalKey({ keyId: 'T01-K1', deviceSecret: DEVICE_SECRET, now: 0 });
    const again = await unwrapTerminalKey(wrapped, DEVICE_SECRET);
    const message = new TextEncoder().encode('hello');
    expect(toHex(await again.sign(message))).toBe(toHex(await signer.sign(message)));
    for (const attempt of [
      unwrapTerminalKey(wrapped, new Uint8Array(32).fill(8)),
      unwrapTerminalKey({ ...wrapped, keyId: 'T01-K9' }, DEVICE_SECRET),
      unwrapTerminalKey(
        {
          ...wrapped,
          data: `${wrapped.data.slice(0, 10)}${wrapped.data[10] === 'A' ? 'B' : 'A'}${wrapped.data.slice(11)}`,
        },
        DEVICE_SECRET,
      ),
    ]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(isYibaoGuardError(error, 'INVOICE_KEY_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(/wrong device secret/);
    }
    const short = await generateTerminalKey({ keyId: 'K', deviceSecret: new Uint8Array(8) }).catch((e: unknown) => e);
    expect(isYibaoGuardError(short, 'INVALID_INPUT')).toBe(true);
    const badId = await generateTerminalKey({ keyId: 'has space', deviceSecret: DEVICE_SECRET }).catch(
      (e: unknown) => e,
    );
    expect(isYibaoGuardError(badId, 'INVALID_INPUT')).toBe(true);
  });

  it('refuses a second enrolment: a terminal rotates its key instead', async () => {
    const t = await till();
    const error = await t.book.enrolKey({ keyId: 'T01-K2' }).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
  });
});

describe('registration (YG04) and rotation', () => {
  it('registers the enrolled key without a hand-over, once', async () => {
    const t = await till({ enrol: false });
    const { platform, calls } = recordingPlatform(t.book);
    await t.book.enrolKey({ keyId: 'T01-K1', platform });
    await t.book.registerKey(platform);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input.data).toEqual({
      terminal_id: 'T01',
      key_id: 'T01-K1',
      pubkey: toBase64Url(t.book.signer.publicKey),
      begntime: t.clock.now(),
    });
    expect(await t.book.head()).toMatchObject({ keyId: 'T01-K1', registeredKeyId: 'T01-K1' });
  });

  it('rotates: a key-rotation record signed by the old key, then YG04 with the old key’s hand-over signature', async () => {
    const t = await till({ enrol: false });
    const { platform, calls } = recordingPlatform(t.book);
    await t.book.enrolKey({ keyId: 'T01-K1', platform });
    await t.book.issue(sale(100));
    const oldKey = toBase64Url(t.book.signer.publicKey);
    t.clock.advance(60_000);
    const rotation = await t.book.rotateKey({ keyId: 'T01-K2', platform });
    expect(rotation.record.body).toMatchObject({
      kind: 'key-rotation',
      seq: 2,
      keyId: 'T01-K1',
      newKey: { keyId: 'T01-K2' },
      lines: [],
    });
    const newKey = rotation.record.body.newKey!.publicKey;
    expect(calls.map((c) => [c.input.data.key_id, c.cainfoKey])).toEqual([
      ['T01-K1', 'T01-K1'],
      ['T01-K2', 'T01-K1'], // the request itself is still signed with the key the platform has
    ]);
    const handover = calls[1]!.input.data.handover_sig!;
    expect(
      await verifyEd25519(
        new TextEncoder().encode(keyHandoverText('T01-K2', newKey)),
        fromBase64Url(handover),
        fromBase64Url(oldKey),
      ),
    ).toBe(true);
    expect(t.book.signer.keyId).toBe('T01-K2');
    expect(await t.book.head()).toMatchObject({ keyId: 'T01-K2', registeredKeyId: 'T01-K2' });

    const next = await t.book.issue(sale(200));
    expect(next.record.body.keyId).toBe('T01-K2');
    const keys = await t.book.keys();
    expect(keys).toEqual([
      { keyId: 'T01-K1', publicKey: oldKey, validFrom: expect.any(Number), validUntil: t.clock.now() },
      { keyId: 'T01-K2', publicKey: newKey, validFrom: t.clock.now() },
    ]);
    // An inspector holding only the first key still verifies the whole chain: the rotation record vouches for K2.
    const report = await verifyChain(await t.book.records(), [keys[0]!]);
    expect(report).toMatchObject({
      ok: true,
      keys: [
        { keyId: 'T01-K1', source: 'given' },
        { keyId: 'T01-K2', source: 'rotation' },
      ],
    });
  });

  it('keeps the chain rotated when the platform is unreachable, and registers later with the old key’s hand-over', async () => {
    const t = await till({ enrol: false });
    const { platform, calls } = recordingPlatform(t.book);
    await t.book.enrolKey({ keyId: 'T01-K1', platform });
    const down = { registerKey: () => Promise.reject(new Error('offline')) } as unknown as PlatformClient;
    await expect(t.book.rotateKey({ keyId: 'T01-K2', platform: down })).rejects.toThrow('offline');
    expect(await t.book.head()).toMatchObject({ keyId: 'T01-K2', registeredKeyId: 'T01-K1' });
    expect(t.book.signer.keyId).toBe('T01-K1'); // cainfo stays with the key the platform knows
    await t.book.registerKey(platform);
    expect(calls.map((c) => c.input.data.key_id)).toEqual(['T01-K1', 'T01-K2']);
    expect(calls[1]!.input.data.handover_sig).toBeDefined();
    expect(t.book.signer.keyId).toBe('T01-K2');
  });

  it('refuses to rotate without a key, to a used key id, or when the old key cannot sign', async () => {
    const bare = await till({ enrol: false });
    expect(
      isYibaoGuardError(
        await bare.book.rotateKey({ keyId: 'T01-K2' }).catch((e: unknown) => e),
        'INVOICE_KEY_UNAVAILABLE',
      ),
    ).toBe(true);
    const t = await till();
    expect(
      isYibaoGuardError(await t.book.rotateKey({ keyId: 'T01-K1' }).catch((e: unknown) => e), 'INVALID_INPUT'),
    ).toBe(true);
    await t.book.unlock({
      signer: {
        keyId: 'T01-K1',
        algorithm: 'ED25519',
        publicKey: t.book.signer.publicKey,
        sign: () => Promise.reject(new Error('HSM offline')),
      },
    });
    expect(
      isYibaoGuardError(
        await t.book.rotateKey({ keyId: 'T01-K2' }).catch((e: unknown) => e),
        'INVOICE_KEY_UNAVAILABLE',
      ),
    ).toBe(true);
    expect((await t.book.head())?.keyId).toBe('T01-K1');
  });

  it('registerTerminalKey sends YG04 with the hand-over signature of the previous key', async () => {
    const previous = (await generateTerminalKey({ keyId: 'A', deviceSecret: DEVICE_SECRET })).signer;
    const next = (await generateTerminalKey({ keyId: 'B', deviceSecret: DEVICE_SECRET })).signer;
    const { platform, calls } = recordingPlatform({ signer: previous });
    await registerTerminalKey(platform, { terminalId: 'T01', key: next, previous, begntime: 5 });
    const sig = calls[0]!.input.data.handover_sig!;
    expect(
      await verifyEd25519(
        new TextEncoder().encode(keyHandoverText('B', toBase64Url(next.publicKey))),
        fromBase64Url(sig),
        previous.publicKey,
      ),
    ).toBe(true);
  });
});
