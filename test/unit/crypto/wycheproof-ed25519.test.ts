/**
 * Every Ed25519 verify in yibao-guard against Project Wycheproof's vectors: each "valid" vector is accepted and each
 * "invalid" one refused, on every path. The vectors are test/vectors/wycheproof-ed25519_test.json, a verbatim copy of
 * C2SP/wycheproof testvectors_v1/ed25519_test.json (source, commit and licence: test/vectors/README.md).
 *
 * Paths that take any message (the core `verifyEd25519`; the invoice verifier on WebCrypto and on tweetnacl) run all
 * the vectors. Paths that only verify their own structured payloads (rule packs, cainfo and handover signatures,
 * invoices) are shown to call the shared function (one-verify.test.ts) and get the vectors' forgeries applied to a
 * genuine signature of theirs: S + L, S + 2L, S + 4L, S + 8L (the same scalar, so a verifier that skips RFC 8032's
 * S < L check accepts them) and a public key in a non-canonical encoding. HIS tokens (JWTs, verified by jose) get the
 * same forgeries, and refuse the keys that do not decode or are of small order when the verifier is made.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { isYibaoGuardError } from '../../../src/index.js';
import {
  canonicalJson,
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  fromBase64Url,
  toBase64Url,
  verifyEd25519,
  type Signer,
} from '../../../src/crypto/index.js';
import { verifyInvoice } from '../../../src/invoice/index.js';
import { verifyRulePack } from '../../../src/rules/pack.js';
import { ed25519Verifier } from '../../../src/invoice/webcrypto.js';
import { createJwtVerifier, signHisJwt } from '../../../adapters/his/index.js';
import { keyHandoverText, requireSignature } from '../../../adapters/simulator/keys.js';
import {
  signRulePack,
  simulatorRulePack,
  SIMULATOR_PLATFORM_KEY_ID,
  SIMULATOR_PLATFORM_PUBLIC_KEY,
} from '../../../adapters/simulator/keys.js';
import type { World } from '../../../adapters/simulator/world.js';
import { signedBodyText } from '../../../src/platform/index.js';
import { chainOf } from '../invoice/helpers.js';
import { via, withoutWebCryptoEd25519 } from '../invoice/fallback.js';

interface Vector {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly msg: string;
  readonly sig: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
}
const file = JSON.parse(
  readFileSync(new URL('../../vectors/wycheproof-ed25519_test.json', import.meta.url), 'utf8'),
) as {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly {
    readonly type: string;
    readonly publicKey: { readonly pk: string };
    readonly tests: readonly Vector[];
  }[];
};
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const vectors = file.testGroups.flatMap((group) => group.tests.map((t) => ({ ...t, pk: group.publicKey.pk })));

/** The verdict of every any-message path on one input: the core verify and the invoice verifier on each backend. */
async function everyPath(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) {
  const key = toBase64Url(publicKey);
  return {
    core: await verifyEd25519(message, signature, publicKey),
    invoiceWebCrypto: await (await ed25519Verifier(via('auto'))).verify(key, signature, message),
    invoiceTweetnacl: await (await ed25519Verifier(via('tweetnacl'))).verify(key, signature, message),
  };
}
const REFUSED = { core: false, invoiceWebCrypto: false, invoiceTweetnacl: false };

/** Making an HIS token verifier with `key` as its issuer's Ed25519 key, raw or as a JWK. */
const hisVerifierWith =
  (key: Uint8Array, as: 'raw' | 'jwks' = 'raw') =>
  () =>
    createJwtVerifier({
      audience: 'https://clinic.example/his',
      issuers: [
        as === 'raw'
          ? { iss: 'https://his.example', keys: [{ publicKey: key }] }
          : { iss: 'https://his.example', jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(key) }] } },
      ],
    });

/** Each vector the path got wrong: an invalid one accepted, or a valid one refused. */
async function wrongOn(
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => Promise<boolean>,
): Promise<number[]> {
  const wrong: number[] = [];
  for (const v of vectors)
    if ((await verify(hex(v.msg), hex(v.sig), hex(v.pk))) !== (v.result === 'valid')) wrong.push(v.tcId);
  return wrong;
}

describe('Wycheproof ed25519_test.json', () => {
  it('holds 151 EdDSA verify vectors: 88 valid, 63 invalid, none merely acceptable', () => {
    expect(file.algorithm).toBe('EDDSA');
    expect(file.numberOfTests).toBe(151);
    expect(vectors).toHaveLength(151);
    expect(new Set(file.testGroups.map((g) => g.type))).toEqual(new Set(['EddsaVerify']));
    expect(vectors.filter((v) => v.result === 'valid')).toHaveLength(88);
    expect(vectors.filter((v) => v.result === 'invalid')).toHaveLength(63);
  });

  it('core verifyEd25519 (rule packs, cainfo): every vector as expected', async () => {
    expect(await wrongOn(verifyEd25519)).toEqual([]);
  });

  it('invoice verifier on WebCrypto: every vector as expected', async () => {
    const verifier = await ed25519Verifier(via('auto'));
    expect(verifier.backend).toBe('webcrypto');
    expect(await wrongOn((m, s, k) => verifier.verify(toBase64Url(k), s, m))).toEqual([]);
  });

  it('invoice verifier on tweetnacl: every vector as expected', async () => {
    const verifier = await ed25519Verifier(via('tweetnacl'));
    expect(verifier.backend).toBe('tweetnacl');
    expect(await wrongOn((m, s, k) => verifier.verify(toBase64Url(k), s, m))).toEqual([]);
  });

  it('invoice verifier where the runtime has no WebCrypto Ed25519 (auto falls back to tweetnacl): every vector as expected', async () => {
    await withoutWebCryptoEd25519(async () => {
      const verifier = await ed25519Verifier(via('auto'));
      expect(verifier.backend).toBe('tweetnacl');
      expect(await wrongOn((m, s, k) => verifier.verify(toBase64Url(k), s, m))).toEqual([]);
    });
  });
});

// --- Encodings RFC 8032 refuses that the vectors do not cover: a public key that does not decode. ---------------

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const le = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const scalar = (bytes: Uint8Array): bigint => bytes.reduce((n, byte, i) => n | (BigInt(byte) << BigInt(8 * i)), 0n);
const power = (base: bigint, exp: bigint): bigint => {
  let result = 1n;
  for (let b = base % P, e = exp; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
};
const inverse = (n: bigint) => power(((n % P) + P) % P, P - 2n);
const withSignBit = (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === 31 ? b | 0x80 : b));

/**
 * A signature (R, S) with R = [S]B: under the neutral element as public key, the verify equation [S]B = R + [k]A
 * holds for every message. The neutral element (0, 1) has three encodings that do not decode under RFC 8032 §5.1.3:
 * y = p + 1 (y ≥ p), and y = 1 or y = p + 1 with the sign bit set (x = 0 has no negative). Today's tweetnacl and
 * WebCrypto both accept the signature under them, for any message.
 */
async function universalSignature(): Promise<Uint8Array> {
  const seed = new Uint8Array(32).fill(5);
  const { publicKey } = await ed25519KeyPairFromSeed(seed);
  const h = new Uint8Array(await crypto.subtle.digest('SHA-512', seed)).slice(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const sig = new Uint8Array(64);
  sig.set(publicKey); // R = [a]B, the seed's public key
  sig.set(le(scalar(h) % L), 32); // S = a mod L
  return sig;
}
const NON_CANONICAL_KEYS = {
  'y = p + 1': le(P + 1n),
  'y = 1, sign bit set': withSignBit(le(1n)),
  'y = p + 1, sign bit set': withSignBit(le(P + 1n)),
};

describe('a public key that does not decode (RFC 8032 §5.1.3) is refused on every path', () => {
  const message = new TextEncoder().encode('any message at all');

  it.each(Object.entries(NON_CANONICAL_KEYS))('%s', async (_name, key) => {
    const sig = await universalSignature();
    // The forgery is real: the bare backends accept it.
    expect(nacl.sign.detached.verify(message, sig, key)).toBe(true);
    const imported = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'Ed25519' }, false, ['verify']);
    expect(await crypto.subtle.verify({ name: 'Ed25519' }, imported, new Uint8Array(sig), message)).toBe(true);
    expect(await everyPath(message, sig, key)).toEqual(REFUSED);
  });

  it.each(Object.entries(NON_CANONICAL_KEYS))(
    'the HIS token verifier is not made with %s as an issuer key',
    (_name, key) => {
      expect(hisVerifierWith(key)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', field: 'issuers.keys.publicKey' }),
      );
      expect(hisVerifierWith(key, 'jwks')).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', field: 'issuers.jwks.keys.x' }),
      );
    },
  );

  it('a y with no square root (x² = (y² − 1)/(dy² + 1) not a square) is refused too, never a throw', async () => {
    const d = (-121665n * inverse(121666n)) % P;
    let y = 2n;
    while (power((((y * y - 1n) % P) * inverse((d * y * y + 1n) % P)) % P, (P - 1n) / 2n) !== P - 1n) y++;
    const sig = await universalSignature();
    expect(await everyPath(message, sig, le(y))).toEqual(REFUSED);
  });
});

/**
 * The eight encodings of the points of order 1, 2, 4 and 8. Under each, R = the neutral element and S = 0 satisfies
 * the verify equation for every message whose k = SHA-512(R ‖ A ‖ M) mod L is a multiple of 8: a forgery needing no
 * key, one message in eight. tweetnacl and WebCrypto both accept it (shown below); RFC 8032 does not forbid such keys,
 * but a key under which anyone can sign proves nothing, so every path refuses them.
 */
const SMALL_ORDER_KEYS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];

describe('a public key of small order is refused on every path', () => {
  const R = le(1n);
  const forgery = new Uint8Array(64);
  forgery.set(R); // S = 0
  /** A message for which the keyless forgery satisfies the equation under `key`. */
  const messageFor = (key: Uint8Array) => {
    for (let n = 0; ; n++) {
      const message = new TextEncoder().encode(`pay 0.01 yuan #${n}`);
      const k = scalar(new Uint8Array(createHash('sha512').update(R).update(key).update(message).digest())) % L;
      if (k % 8n === 0n) return message;
    }
  };

  it.each(SMALL_ORDER_KEYS)('%s', async (keyHex) => {
    const key = hex(keyHex);
    const message = messageFor(key);
    // The forgery is real: the bare backends accept it.
    expect(nacl.sign.detached.verify(message, forgery, key)).toBe(true);
    const imported = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'Ed25519' }, false, ['verify']);
    expect(await crypto.subtle.verify({ name: 'Ed25519' }, imported, forgery, message)).toBe(true);
    // yibao-guard's verify does not.
    expect(await everyPath(message, forgery, key)).toEqual(REFUSED);
    // And the HIS token verifier (jose, on WebCrypto) is never given such a key.
    expect(hisVerifierWith(key)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'issuers.keys.publicKey' }),
    );
    expect(hisVerifierWith(key, 'jwks')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'issuers.jwks.keys.x' }),
    );
  });
});

// --- The structured paths: a genuine signature of each, malleated as the vectors do. ----------------------------

/** S + k·L for k = 1, 2, 4, 8 (all below 2^256): the scalar is unchanged, so only an S < L check refuses them. */
function malleated(signature: Uint8Array): Uint8Array[] {
  const s = scalar(signature.slice(32));
  return [1n, 2n, 4n, 8n]
    .map((k) => s + k * L)
    .filter((v) => v < 1n << 256n)
    .map((v) => {
      const out = signature.slice();
      out.set(le(v), 32);
      return out;
    });
}
const malleatedB64 = (sig: string) => malleated(fromBase64Url(sig)).map(toBase64Url);

async function signer(fill: number, keyId = 'K1'): Promise<Signer> {
  return createEd25519Signer(keyId, await ed25519KeyPairFromSeed(new Uint8Array(32).fill(fill)));
}

describe('the forgeries of tc 63–66 applied to each path’s own signatures', () => {
  it('malleated() gives 4 distinct signatures, each as many bytes as the genuine one', async () => {
    const sig = await (await signer(3)).sign(new Uint8Array([1, 2, 3]));
    const out = malleated(sig);
    expect(out.length).toBeGreaterThanOrEqual(3); // S + 8L may reach 2^256 for a large S
    for (const m of out) expect(m).toHaveLength(64);
    expect(new Set(out.map(toBase64Url)).size).toBe(out.length);
  });

  it('rule pack (YG03): a genuine pack with S + kL is refused as RULE_PACK_INVALID_SIGNATURE', async () => {
    const signed = await signRulePack(simulatorRulePack('220100', 3));
    const trusted = [{ keyId: SIMULATOR_PLATFORM_KEY_ID, publicKey: SIMULATOR_PLATFORM_PUBLIC_KEY }];
    const now = signed.pack.validFrom + 1;
    await expect(verifyRulePack(signed, trusted, now)).resolves.toMatchObject({ keyId: SIMULATOR_PLATFORM_KEY_ID });
    for (const sig of malleatedB64(signed.sig)) {
      const error = await verifyRulePack({ ...signed, sig }, trusted, now).catch((e: unknown) => e);
      expect(isYibaoGuardError(error, 'RULE_PACK_INVALID_SIGNATURE'), sig).toBe(true);
    }
  });

  it('HIS token: a genuine EdDSA JWT with S + kL is refused for its signature', async () => {
    const his = await signer(4, 'his-k1');
    const clock = { now: () => Date.UTC(2026, 10, 23, 2, 0) };
    const aud = 'https://clinic.example/his';
    const verifier = createJwtVerifier({
      audience: aud,
      clock,
      issuers: [{ iss: 'https://his.example', keys: [{ kid: 'his-k1', publicKey: his.publicKey }] }],
    });
    const token = await signHisJwt({ signer: his, iss: 'https://his.example', aud, clock, jti: 'genuine' });
    await expect(verifier.verify(`Bearer ${token}`, '/cds-services/yibao-presettle')).resolves.toMatchObject({
      jti: 'genuine',
    });
    let n = 0;
    for (const k of [1, 2, 3, 4]) {
      // A fresh jti each time, so that only the signature can be what refuses it.
      const fresh = await signHisJwt({ signer: his, iss: 'https://his.example', aud, clock, jti: `forged-${k}` });
      const [h, p, s] = fresh.split('.') as [string, string, string];
      for (const sig of malleatedB64(s)) {
        n++;
        const error = await verifier
          .verify(`Bearer ${h}.${p}.${sig}`, '/cds-services/yibao-presettle')
          .catch((e: unknown) => e);
        expect(isYibaoGuardError(error, 'HIS_UNAUTHORIZED') && (error as { reason?: string }).reason).toBe('signature');
      }
    }
    expect(n).toBeGreaterThanOrEqual(12);
  });

  it('cainfo and handover_sig (simulator): a genuine request signature with S + kL is refused', async () => {
    const terminal = await signer(6, 'T01-K1');
    const world = {
      keys: new Map([
        ['P22010100001/T01', { keyId: 'T01-K1', publicKey: toBase64Url(terminal.publicKey), previous: [] }],
      ]),
    } as unknown as World;
    const wire = {
      infno: 'YG05',
      msgid: 'M1',
      dev_no: 'T01',
      input: { data: { drug_trac_codg: ['81000010000000000001'] } },
      signtype: 'ED25519',
    };
    const cainfo = toBase64Url(await terminal.sign(new TextEncoder().encode(signedBodyText(wire))));
    await expect(requireSignature(world, 'P22010100001/T01', { ...wire, cainfo })).resolves.toBeUndefined();
    for (const forged of malleatedB64(cainfo)) {
      await expect(requireSignature(world, 'P22010100001/T01', { ...wire, cainfo: forged })).rejects.toThrow(
        /cainfo does not verify/,
      );
    }
    // handover_sig goes through the same function: a genuine one verifies, its S + kL twins do not.
    const text = new TextEncoder().encode(keyHandoverText('T01-K2', 'AAAA'));
    const handover = await terminal.sign(text);
    expect(await verifyEd25519(text, handover, terminal.publicKey)).toBe(true);
    for (const forged of malleated(handover)) expect(await verifyEd25519(text, forged, terminal.publicKey)).toBe(false);
  });

  it('invoice: a genuine record with S + kL is a bad signature, on both backends', async () => {
    const { records, keys } = await chainOf(1);
    const record = records[0]!;
    expect(fromBase64Url(record.sig!)).toHaveLength(64);
    for (const backend of ['auto', 'tweetnacl'] as const) {
      expect((await verifyInvoice(record, keys, via(backend))).ok).toBe(true);
      for (const sig of malleatedB64(record.sig!)) {
        const report = await verifyInvoice({ ...record, sig }, keys, via(backend));
        expect(report.ok, `${backend} ${sig}`).toBe(false);
        expect(report.issues.map((i) => i.kind)).toContain('bad-signature');
      }
    }
    // The body signed is the record's canonical JSON: the forgeries changed nothing else.
    expect(canonicalJson(record.body)).toBe(canonicalJson(records[0]!.body));
  });
});
