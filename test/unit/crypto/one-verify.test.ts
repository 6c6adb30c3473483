/**
 * One Ed25519 verify for every path: rule packs, cainfo, and invoices on either backend each go through the core
 * `verifyEd25519` (so RFC 8032's checks, wycheproof-ed25519.test.ts, hold for all of them), and nothing in src/ or
 * adapters/ verifies an Ed25519 signature any other way. HIS tokens are JWTs, verified by jose (on WebCrypto) for
 * every JWS algorithm; their Ed25519 signatures get the same RFC 8032 checks first, from the same `ed25519Strict`.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createEd25519Signer, ed25519KeyPairFromSeed, toBase64Url, verifyEd25519 } from '../../../src/crypto/index.js';
import { signedBodyText } from '../../../src/platform/index.js';
import { verifyInvoice } from '../../../src/invoice/index.js';
import { verifyRulePack } from '../../../src/rules/pack.js';
import { ed25519Strict } from '../../../src/crypto/ed25519-strict.js';
import { createJwtVerifier, signHisJwt } from '../../../adapters/his/index.js';
import {
  requireSignature,
  signRulePack,
  simulatorRulePack,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from '../../../adapters/simulator/keys.js';
import type { World } from '../../../adapters/simulator/world.js';
import { chainOf } from '../invoice/helpers.js';
import { via } from '../invoice/fallback.js';
import { tweetnaclEd25519 } from '../../../src/crypto/ed25519-fallback.js';

vi.mock('../../../src/crypto/ed25519.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/crypto/ed25519.js')>();
  return { ...original, verifyEd25519: vi.fn(original.verifyEd25519) };
});
vi.mock('../../../src/crypto/ed25519-strict.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/crypto/ed25519-strict.js')>();
  return { ...original, ed25519Strict: vi.fn(original.ed25519Strict) };
});
const shared = vi.mocked(verifyEd25519);
const strict = vi.mocked(ed25519Strict);

/** The calls of the shared verify since the last reset, and what each answered. */
async function sharedVerdicts(): Promise<boolean[]> {
  return Promise.all(shared.mock.results.map((r) => r.value as Promise<boolean>));
}

beforeEach(() => {
  shared.mockClear();
  strict.mockClear();
});

describe('every path verifies through the core verifyEd25519', () => {
  it('rule packs (YG03)', async () => {
    const signed = await signRulePack(simulatorRulePack('220100', 3));
    await verifyRulePack(
      signed,
      [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }],
      signed.pack.validFrom + 1,
    );
    expect(await sharedVerdicts()).toEqual([true]);
  });

  it('cainfo (simulator)', async () => {
    const terminal = createEd25519Signer('T01-K1', await ed25519KeyPairFromSeed(new Uint8Array(32).fill(6)));
    const world = {
      keys: new Map([
        ['P22010100001/T01', { keyId: 'T01-K1', publicKey: toBase64Url(terminal.publicKey), previous: [] }],
      ]),
    } as unknown as World;
    const wire = { infno: 'YG05', msgid: 'M1', dev_no: 'T01', input: { data: {} }, signtype: 'ED25519' };
    const cainfo = toBase64Url(await terminal.sign(new TextEncoder().encode(signedBodyText(wire))));
    await requireSignature(world, 'P22010100001/T01', { ...wire, cainfo });
    expect(await sharedVerdicts()).toEqual([true]);
  });

  it.each(['auto', 'tweetnacl'] as const)('invoices, backend %s', async (backend) => {
    const { records, keys } = await chainOf(2);
    shared.mockClear();
    const nacl = vi.spyOn(tweetnaclEd25519, 'verify');
    try {
      expect((await verifyInvoice(records[1], keys, via(backend))).ok).toBe(true);
      expect(await sharedVerdicts()).toEqual([true]);
      // The shared verify gets the backend's equation: WebCrypto's over the imported key, or the fallback's.
      expect(typeof shared.mock.calls[0]?.[3]).toBe('function');
      expect(nacl).toHaveBeenCalledTimes(backend === 'auto' ? 0 : 1);
    } finally {
      nacl.mockRestore();
    }
  });
});

describe('HIS tokens: jose verifies, after the RFC 8032 checks of ed25519Strict', () => {
  it('an EdDSA token: its signature and key pass ed25519Strict, and the core verify is not asked', async () => {
    const his = createEd25519Signer('his-k1', await ed25519KeyPairFromSeed(new Uint8Array(32).fill(4)));
    const clock = { now: () => Date.UTC(2026, 10, 23, 2, 0) };
    const aud = 'https://clinic.example/his';
    strict.mockClear();
    shared.mockClear();
    const verifier = createJwtVerifier({
      audience: aud,
      clock,
      issuers: [{ iss: 'https://his.example', keys: [{ kid: 'his-k1', publicKey: his.publicKey }] }],
    });
    // Making the verifier checks the key (under a signature of zeros, which passes every signature check).
    expect(strict.mock.calls.map(([, key]) => toBase64Url(key))).toEqual([toBase64Url(his.publicKey)]);
    expect(strict.mock.results.map((r) => r.value)).toEqual([true]);
    strict.mockClear();
    const token = await signHisJwt({ signer: his, iss: 'https://his.example', aud, clock });
    await verifier.verify(`Bearer ${token}`, '/cds-services/yibao-presettle');
    expect(strict.mock.calls.map(([sig, key]) => [toBase64Url(sig), toBase64Url(key)])).toEqual([
      [token.split('.')[2], toBase64Url(his.publicKey)],
    ]);
    expect(strict.mock.results.map((r) => r.value)).toEqual([true]);
    expect(shared).not.toHaveBeenCalled();
  });
});

describe('nothing else verifies an Ed25519 signature', () => {
  const root = new URL('../../../', import.meta.url).pathname;
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : /\.[cm]?[jt]s$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  /**
   * tweetnacl loaded, and calls of an Ed25519 verify: tweetnacl's, WebCrypto's, node:crypto's (`verify(null, …)`,
   * `createVerify`).
   */
  const PRIMITIVE =
    /detached\.verify|\.verify\(\s*(ED25519|\{\s*name:\s*['"]Ed25519|['"]Ed25519)|\bverify\(\s*null|createVerify|import\(['"]tweetnacl['"]\)|from ['"]tweetnacl['"]/g;

  it('only src/crypto/ed25519.ts (its WebCrypto probe and default), the tweetnacl fallback and the WebCrypto equation of src/invoice/webcrypto.ts call a primitive', () => {
    const found: Record<string, string[]> = {};
    for (const file of [...files('src'), ...files('adapters')]) {
      const hits = readFileSync(join(root, file), 'utf8').match(PRIMITIVE);
      // A call the formatter broke over lines counts as the same call.
      if (hits) found[relative(root, join(root, file))] = hits.map((hit) => hit.replace(/\(\s+/g, '('));
    }
    expect(found).toEqual({
      'src/crypto/ed25519.ts': ['.verify(ED25519', '.verify(ED25519'],
      'src/crypto/ed25519-fallback.ts': ["from 'tweetnacl'", 'detached.verify'],
      'src/invoice/webcrypto.ts': ['.verify(ED25519'],
    });
  });
});
