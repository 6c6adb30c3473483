/**
 * Proof that docs/RECEIPT-FORMAT.md suffices: a verifier written from it alone (./independent-verifier.ts, which
 * imports nothing from the project) reproduces every byte of the vectors, accepts the vector chain and export, and
 * rejects every tampered copy. Signing here uses only node:crypto and the seeds the vectors publish.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  base64urlDecode,
  base64urlEncode,
  bigIntToLittleEndian,
  bytesToHex,
  canonicalJson,
  ED25519_L,
  ed25519Verify,
  GENESIS_HASH,
  headerSigningText,
  hexToBytes,
  isCanonicalPointEncoding,
  isScalarBelowL,
  type KeyInfo,
  littleEndianToBigInt,
  NotCanonicalizable,
  QR_KIND_LETTER,
  qrSigningText,
  recordHash,
  recordSchemaProblems,
  sha256Hex,
  utf8Bytes,
  verifyExport,
  verifyQr,
} from './independent-verifier.js';

interface VectorRecord {
  note: string;
  record: { body: Record<string, unknown> & { seq: number; kind: string; keyId: string }; sig: string | null };
  bodyJson: string;
  recordJson: string;
  hash: string;
  qrSigningText: string;
  qr: string;
  upload: unknown;
}
interface Vectors {
  format: string;
  keys: (KeyInfo & { seed: string })[];
  records: VectorRecord[];
  export: { text: string; headerSigningText: string };
  tampered: { name: string; description: string; target: 'export' | 'qr'; text: string; issues: unknown[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../docs/yibao-receipt-format-v1.json', import.meta.url), 'utf8'),
) as Vectors;

const headerKeys = (): KeyInfo[] => {
  const header = JSON.parse(vectors.export.text.split('\n')[0]!) as { keys: KeyInfo[] };
  return header.keys;
};

// --- a signer from the published seeds, node:crypto only ----------------------------------------------------------

const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';

function privateKeyFromSeed(seedHex: string): KeyObject {
  const der = hexToBytes(PKCS8_ED25519_PREFIX + seedHex)!;
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as { x: string };
  return jwk.x;
}

const signers = new Map<string, KeyObject>(vectors.keys.map((k) => [k.keyId, privateKeyFromSeed(k.seed)]));

function signB64(keyId: string, text: string): string {
  const key = signers.get(keyId);
  if (!key) throw new Error(`no seed for ${keyId}`);
  return base64urlEncode(cryptoSign(null, utf8Bytes(text), key));
}

function signB32(keyId: string, text: string): string {
  const key = signers.get(keyId)!;
  return base32Encode(cryptoSign(null, utf8Bytes(text), key));
}

/** The QR text of a record as §5 describes it, signed with the seed (Ed25519 is deterministic). */
function buildQr(body: VectorRecord['record']['body'], hash: string, signed: boolean): string {
  const split = body.split as { totalFen: number };
  const fields = {
    pharmacyCode: body.pharmacyCode as string,
    terminalId: body.terminalId as string,
    seq: body.seq,
    kind: body.kind,
    issuedAt: body.issuedAt as number,
    totalFen: split.totalFen,
    hash,
  };
  const sig = signed ? signB32(body.keyId, qrSigningText(fields)) : '';
  const hashB32 = base32Encode(hexToBytes(hash)!);
  return [
    'YG1',
    fields.pharmacyCode,
    fields.terminalId,
    fields.seq,
    QR_KIND_LETTER[body.kind],
    fields.issuedAt,
    fields.totalFen,
    hashB32,
    sig,
    body.keyId,
  ].join('*');
}

/**
 * Re-issues a chain from bodies: renumbers, relinks prevHash, signs each body with its keyId's seed (or leaves it
 * unsigned), then writes the export with a signed header. Used to build forgeries that are internally consistent
 * (every signature valid) but break one rule of the document, so the rule itself is shown to be checked.
 */
function issueExport(
  bodies: Record<string, unknown>[],
  opts: {
    unsigned?: Set<number>;
    headerKeyId?: string;
    keys?: KeyInfo[];
    exportedAt?: number;
    headerSigned?: boolean;
  } = {},
): string {
  const original = JSON.parse(vectors.export.text.split('\n')[0]!) as Record<string, unknown>;
  let prev = GENESIS_HASH;
  const lines: string[] = [];
  let lastHash = GENESIS_HASH;
  let lastSeq = 0;
  const newHashBySeq = new Map<number, string>();
  bodies.forEach((b0, i) => {
    const body: Record<string, unknown> = { ...b0, seq: i + 1, prevHash: prev };
    // A reversal that named the vector's own hash of its sale names the re-issued hash of that sale.
    const rv = body.reverses as { seq: number; hash: string } | undefined;
    if (rv && rv.hash === vectors.records[rv.seq - 1]?.hash && newHashBySeq.has(rv.seq)) {
      body.reverses = { seq: rv.seq, hash: newHashBySeq.get(rv.seq) };
    }
    const sig = opts.unsigned?.has(i + 1) ? null : signB64(body.keyId as string, canonicalJson(body));
    const record = { body, sig };
    const line = canonicalJson(record);
    lines.push(line);
    prev = sha256Hex(line);
    newHashBySeq.set(i + 1, prev);
    lastHash = prev;
    lastSeq = i + 1;
  });
  const header: Record<string, unknown> = {
    format: 'yibao-guard.invoice-chain/1',
    pharmacyCode: original.pharmacyCode,
    terminalId: original.terminalId,
    exportedAt: opts.exportedAt ?? original.exportedAt,
    from: { seq: 1, prevHash: GENESIS_HASH },
    head: lines.length ? { seq: lastSeq, hash: lastHash } : null,
    count: lines.length,
    keys: opts.keys ?? original.keys,
    keyId: opts.headerSigned === false ? null : (opts.headerKeyId ?? original.keyId),
    sig: null,
  };
  if (opts.headerSigned !== false) header.sig = signB64(header.keyId as string, headerSigningText(header));
  return [canonicalJson(header), ...lines].map((l) => `${l}\n`).join('');
}

const vectorBodies = (): Record<string, unknown>[] =>
  vectors.records.map((r) => JSON.parse(JSON.stringify(r.record.body)) as Record<string, unknown>);
const vectorUnsigned = new Set(vectors.records.filter((r) => r.record.sig === null).map((r) => r.record.body.seq));

// ---------------------------------------------------------------------------------------------------------------

describe('building blocks (§1), checked on their own', () => {
  it('canonical JSON sorts members by UTF-16 code units and writes numbers as ECMAScript does', () => {
    // U+1F600 is D83D DE00 in UTF-16 and sorts before U+FB33 by code unit, after it by code point.
    expect(canonicalJson({ '\uFB33': 1, '\u{1F600}': 2, b: [1e21, -0, 0.1, 1.5e-7], a: 'é\n"' })).toBe(
      '{"a":"é\\n\\"","b":[1e+21,0,0.1,1.5e-7],"\u{1F600}":2,"\uFB33":1}',
    );
    expect(canonicalJson({ b: { d: null, c: true }, a: [] })).toBe('{"a":[],"b":{"c":true,"d":null}}');
  });

  it('canonical JSON refuses lone surrogates, in values and in names', () => {
    expect(() => canonicalJson({ a: '\ud800' })).toThrow(NotCanonicalizable);
    expect(() => canonicalJson({ '\udc00x': 1 })).toThrow(NotCanonicalizable);
    expect(() => canonicalJson(['ok\ud83d'])).toThrow(NotCanonicalizable);
    expect(canonicalJson(['\ud83d\ude00'])).toBe('["\u{1F600}"]');
  });

  it('base64url and base32 round-trip and refuse non-canonical text', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const b64 = base64urlEncode(bytes);
    expect(b64).toHaveLength(43);
    expect(base64urlDecode(b64)).toEqual(bytes);
    expect(base32Encode(bytes)).toHaveLength(52);
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(base32Encode(new Uint8Array(64))).toHaveLength(103);
    // RFC 4648 §10 test vectors, padding removed
    expect(base32Encode(utf8Bytes('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(utf8Bytes('fooba'))).toBe('MZXW6YTB');
    expect(base64urlEncode(utf8Bytes('foob'))).toBe('Zm9vYg');
    // unused low bits set: not canonical
    expect(base32Decode('MZXW6YTBOJ')).toBeNull();
    expect(base64urlDecode('Zm9vYh')).toBeNull();
    expect(base64urlDecode('Zm9vYg==')).toBeNull();
    expect(base32Decode('mzxw6ytboi')).toBeNull();
  });

  it('SHA-256 is lowercase hex of the UTF-8', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // UTF-8, not UTF-16: a known digest of a drug name
    expect(sha256Hex('阿托伐他汀钙片')).toBe('dc13bccade08c8b2ea18a5a883f550594315d21bd23eba19889139ad01674b2f');
  });
});

describe('the signer: the published seeds give the published public keys', () => {
  it.each(vectors.keys.map((k) => [k.keyId, k] as const))('%s', (_id, k) => {
    expect(k.seed).toMatch(/^[0-9a-f]{64}$/);
    const viaPkcs8 = rawPublicKey(privateKeyFromSeed(k.seed));
    expect(viaPkcs8).toBe(k.publicKey);
    const viaJwk = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: base64urlEncode(hexToBytes(k.seed)!), x: k.publicKey },
      format: 'jwk',
    });
    expect(rawPublicKey(viaJwk)).toBe(k.publicKey);
  });

  it('they are the RFC 8032 §7.1 TEST 1 and TEST 2 keys', () => {
    const hexKeys = vectors.keys.map((k) => bytesToHex(base64urlDecode(k.publicKey)!));
    expect(hexKeys).toEqual([
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    ]);
  });
});

describe('every record (§2, §3.1, §5)', () => {
  const keyOf = (id: string): KeyInfo => {
    const k = vectors.keys.find((x) => x.keyId === id);
    if (!k) throw new Error(`no key ${id}`);
    return k;
  };

  it('there are six, seq 1 to 6, as §8 lists them', () => {
    expect(vectors.records.map((r) => `${r.record.body.seq}:${r.record.body.kind}`)).toEqual([
      '1:sale',
      '2:sale',
      '3:catch-up',
      '4:refund',
      '5:key-rotation',
      '6:sale',
    ]);
  });

  describe.each(vectors.records.map((r) => [`seq ${r.record.body.seq} (${r.note})`, r] as const))('%s', (_n, v) => {
    const { record } = v;
    const body = record.body;

    it('the canonical JSON of the body is bodyJson, of the record is recordJson', () => {
      expect(canonicalJson(body)).toBe(v.bodyJson);
      expect(canonicalJson(record)).toBe(v.recordJson);
      // §3.1: "body" sorts before "sig"
      expect(v.recordJson).toBe(
        `{"body":${v.bodyJson},"sig":${record.sig === null ? 'null' : JSON.stringify(record.sig)}}`,
      );
    });

    it('the record hash is SHA-256 of recordJson', () => {
      expect(sha256Hex(v.recordJson)).toBe(v.hash);
      expect(recordHash(record)).toBe(v.hash);
    });

    it('the record has the schema of §2', () => {
      expect(recordSchemaProblems(record)).toEqual([]);
    });

    it('sig verifies over bodyJson with the key of body.keyId (or is null for the unsigned receipt)', () => {
      if (body.seq === 2) {
        expect(record.sig).toBeNull();
        return;
      }
      expect(typeof record.sig).toBe('string');
      const pk = base64urlDecode(keyOf(body.keyId).publicKey)!;
      const sig = base64urlDecode(record.sig!)!;
      expect(sig).toHaveLength(64);
      expect(ed25519Verify(pk, utf8Bytes(v.bodyJson), sig)).toBe(true);
      // and the seed reproduces it: Ed25519 is deterministic
      expect(signB64(body.keyId, v.bodyJson)).toBe(record.sig);
      // not over the record, not with the other key
      expect(ed25519Verify(pk, utf8Bytes(v.recordJson), sig)).toBe(false);
      const other = vectors.keys.find((k) => k.keyId !== body.keyId)!;
      expect(ed25519Verify(base64urlDecode(other.publicKey)!, utf8Bytes(v.bodyJson), sig)).toBe(false);
    });

    it("the QR signing text built from the body is the vector's qrSigningText", () => {
      const mine = qrSigningText({
        pharmacyCode: body.pharmacyCode as string,
        terminalId: body.terminalId as string,
        seq: body.seq,
        kind: body.kind,
        issuedAt: body.issuedAt as number,
        totalFen: (body.split as { totalFen: number }).totalFen,
        hash: v.hash,
      });
      expect(mine.startsWith('YG1|')).toBe(true);
      expect(v.qrSigningText, "the vector's qrSigningText (§8: the QR signing text, a string)").toBe(mine);
    });

    it('the QR is as §5 says: ten fields from the body, the record hash in base32, rebuilt byte for byte', () => {
      const parts = v.qr.split('*');
      expect(parts).toHaveLength(10);
      expect(parts[7]).toBe(base32Encode(hexToBytes(v.hash)!));
      expect(parts[7]).toHaveLength(52);
      if (record.sig === null) expect(parts[8]).toBe('');
      else expect(parts[8]).toHaveLength(103);
      expect(buildQr(body, v.hash, record.sig !== null)).toBe(v.qr);
      const r = verifyQr(v.qr, vectors.keys);
      expect(r.fields).toEqual({
        pharmacyCode: body.pharmacyCode,
        terminalId: body.terminalId,
        seq: body.seq,
        kind: body.kind,
        kindLetter: QR_KIND_LETTER[body.kind],
        issuedAt: body.issuedAt,
        totalFen: (body.split as { totalFen: number }).totalFen,
        hash: v.hash,
        hashBase32: parts[7],
        sig: parts[8],
        keyId: body.keyId,
      });
    });

    it(body.seq === 2 ? 'the QR is reported unsigned' : 'the QR signature verifies', () => {
      const r = verifyQr(v.qr, vectors.keys);
      if (body.seq === 2) {
        expect(r.ok).toBe(false);
        expect(r.problems).toEqual(['unsigned']);
      } else {
        expect(r.problems).toEqual([]);
        expect(r.ok).toBe(true);
        // with the other key only, it does not
        const other = vectors.keys.filter((k) => k.keyId !== body.keyId).map((k) => ({ ...k, keyId: body.keyId }));
        expect(verifyQr(v.qr, other).ok).toBe(false);
      }
    });

    it('the YG01 upload is { terminal_id, seq, hash, record } (§7)', () => {
      expect(v.upload).toEqual({ terminal_id: body.terminalId, seq: body.seq, hash: v.hash, record });
    });
  });
});

describe('the export (§6)', () => {
  const text = vectors.export.text;
  const lines = text.split('\n');

  it("is the header, then each record's recordJson, every line LF-terminated", () => {
    expect(text.endsWith('\n')).toBe(true);
    expect(lines.pop()).toBe('');
    expect(lines.slice(1)).toEqual(vectors.records.map((r) => r.recordJson));
  });

  it("the header's signing text I compute is export.headerSigningText, and its signature verifies", () => {
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(canonicalJson(header)).toBe(lines[0]);
    expect(headerSigningText(header)).toBe(vectors.export.headerSigningText);
    const key = vectors.keys.find((k) => k.keyId === header.keyId)!;
    expect(
      ed25519Verify(
        base64urlDecode(key.publicKey)!,
        utf8Bytes(vectors.export.headerSigningText),
        base64urlDecode(header.sig as string)!,
      ),
    ).toBe(true);
  });

  it("verifies with the header's own keys", () => {
    const r = verifyExport(text);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('verifies with vectors.keys as trusted keys', () => {
    const r = verifyExport(text, vectors.keys);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('verifies with only T01-K1 trusted: T01-K2 is trusted through the rotation record (§3.4, way 2)', () => {
    const r = verifyExport(
      text,
      vectors.keys.filter((k) => k.keyId === 'T01-K1'),
    );
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('fails with only T01-K2 trusted: nothing vouches for T01-K1', () => {
    const r = verifyExport(
      text,
      vectors.keys.filter((k) => k.keyId === 'T01-K2'),
    );
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.includes('no trusted public key for T01-K1'))).toBe(true);
  });

  it('re-issuing the vector bodies with the seeds and §6 reproduces the export byte for byte', () => {
    expect(issueExport(vectorBodies(), { unsigned: vectorUnsigned })).toBe(text);
  });
});

describe('every tampered copy is rejected', () => {
  it('there are tampered copies of both the export and a QR', () => {
    expect(vectors.tampered.length).toBeGreaterThanOrEqual(7);
    expect(new Set(vectors.tampered.map((t) => t.target))).toEqual(new Set(['export', 'qr']));
  });

  describe.each(vectors.tampered.map((t) => [`${t.name}: ${t.description}`, t] as const))('%s', (_n, t) => {
    if (t.target === 'export') {
      it("with the header's keys", () => {
        expect(t.text).not.toBe(vectors.export.text);
        const r = verifyExport(t.text);
        expect(r.problems.length).toBeGreaterThan(0);
        expect(r.ok).toBe(false);
      });
      it('with vectors.keys as trusted keys', () => {
        const r = verifyExport(t.text, vectors.keys);
        expect(r.problems.length).toBeGreaterThan(0);
        expect(r.ok).toBe(false);
      });
    } else {
      it('the QR is rejected', () => {
        expect(vectors.records.map((r) => r.qr)).not.toContain(t.text);
        const r = verifyQr(t.text, vectors.keys);
        expect(r.problems.length).toBeGreaterThan(0);
        expect(r.ok).toBe(false);
      });
    }
  });
});

describe('RFC 8032 §5.1.7: S ≥ L is rejected (signature malleability)', () => {
  const v1 = vectors.records[0]!;
  const pk1 = base64urlDecode(vectors.keys[0]!.publicKey)!;
  const malleate = (sig: Uint8Array): Uint8Array => {
    const s = littleEndianToBigInt(sig.subarray(32));
    expect(s < ED25519_L).toBe(true);
    const out = Uint8Array.from(sig);
    out.set(bigIntToLittleEndian(s + ED25519_L, 32), 32);
    expect(s + ED25519_L < 1n << 256n).toBe(true);
    return out;
  };

  it('a record signature with S + L is refused by the verifier (whatever node:crypto alone says)', () => {
    const sig = base64urlDecode(v1.record.sig!)!;
    const bad = malleate(sig);
    expect(ed25519Verify(pk1, utf8Bytes(v1.bodyJson), sig)).toBe(true);
    expect(ed25519Verify(pk1, utf8Bytes(v1.bodyJson), bad)).toBe(false);
    // node:crypto alone is not relied upon here (OpenSSL 3.0 happens to refuse S + L too; older builds need not),
    // so the explicit check is tested on its own as well.
    expect(isScalarBelowL(sig.subarray(32))).toBe(true);
    expect(isScalarBelowL(bad.subarray(32))).toBe(false);
    expect(isScalarBelowL(bigIntToLittleEndian(ED25519_L, 32))).toBe(false);
    expect(isScalarBelowL(bigIntToLittleEndian(ED25519_L - 1n, 32))).toBe(true);
  });

  it('a QR with S + L is refused', () => {
    const parts = v1.qr.split('*');
    const bad = malleate(base32Decode(parts[8]!)!);
    parts[8] = base32Encode(bad);
    const r = verifyQr(parts.join('*'), vectors.keys);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(['bad-signature']);
  });

  it('an export whose last record carries S + L is refused at that record', () => {
    const lines = vectors.export.text.split('\n');
    const last = JSON.parse(lines[6]!) as { body: unknown; sig: string };
    last.sig = base64urlEncode(malleate(base64urlDecode(last.sig)!));
    lines[6] = canonicalJson(last);
    const r = verifyExport(lines.join('\n'));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[bad-signature] record line 5 (seq 6)'))).toBe(true);
  });

  it('non-canonical point encodings are refused (y ≥ p; x = 0 with the sign bit)', () => {
    const p = (1n << 255n) - 19n;
    expect(isCanonicalPointEncoding(bigIntToLittleEndian(p, 32))).toBe(false);
    expect(isCanonicalPointEncoding(bigIntToLittleEndian(p + 1n, 32))).toBe(false); // the identity, y = 1 + p
    const oneWithSign = bigIntToLittleEndian(1n, 32);
    oneWithSign[31]! |= 0x80;
    expect(isCanonicalPointEncoding(oneWithSign)).toBe(false);
    expect(isCanonicalPointEncoding(bigIntToLittleEndian(1n, 32))).toBe(true);
    expect(isCanonicalPointEncoding(pk1)).toBe(true);
  });
});

describe('the chain rules are each checked (forgeries re-signed with the published seeds)', () => {
  const K1 = 'T01-K1';

  it('control: the re-issued genuine chain verifies', () => {
    expect(verifyExport(issueExport(vectorBodies(), { unsigned: vectorUnsigned })).problems).toEqual([]);
  });

  it('an unsigned receipt with no catch-up after it is a problem', () => {
    const bodies = vectorBodies().filter((b) => b.kind !== 'catch-up');
    const r = verifyExport(issueExport(bodies, { unsigned: new Set([2]) }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[unsigned] record line 1 (seq 2)'))).toBe(true);
  });

  it('a catch-up that does not cover the unsigned receipt leaves it unsigned', () => {
    const bodies = vectorBodies();
    // seq 1 unsigned too, but the catch-up covers only seq 2
    const r = verifyExport(issueExport(bodies, { unsigned: new Set([1, 2]) }));
    expect(r.ok).toBe(false);
    expect(r.problems.filter((p) => p.startsWith('[unsigned]'))).toHaveLength(1);
    expect(r.problems.some((p) => p.startsWith('[unsigned] record line 0 (seq 1)'))).toBe(true);
  });

  it('a record signed by the retired key after the rotation is key-not-valid', () => {
    const bodies = vectorBodies();
    bodies[5] = { ...bodies[5], keyId: K1, issuedAt: 1795399440000 };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned, headerKeyId: K1 }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[key-not-valid] record line 5 (seq 6)'))).toBe(true);
  });

  it('the new key signing before the rotation record is key-not-valid', () => {
    const bodies = vectorBodies();
    bodies[3] = { ...bodies[3], keyId: 'T01-K2' };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[key-not-valid] record line 3 (seq 4)'))).toBe(true);
  });

  it("a record outside its key's validity times is key-not-valid", () => {
    const keys = headerKeys().map((k) => (k.keyId === K1 ? { ...k, validFrom: 1795399300000 } : k));
    const r = verifyExport(issueExport(vectorBodies(), { unsigned: vectorUnsigned, keys }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[key-not-valid] record line 0 (seq 1)'))).toBe(true);
  });

  it("a refund beyond the sale's total is excess-reversal", () => {
    const bodies = vectorBodies();
    const extra = { ...bodies[3] };
    bodies.splice(4, 0, extra); // a second refund of 2870 + the first 2870 = 5740: still allowed
    const ok = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(ok.problems).toEqual([]);
    bodies.splice(4, 0, { ...extra }); // a third: 8610 > 5740
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[excess-reversal] record line 5 (seq 6)'))).toBe(true);
  });

  it('a refund naming the right seq with another hash is unknown-reversal', () => {
    const bodies = vectorBodies();
    bodies[3] = { ...bodies[3], reverses: { seq: 1, hash: vectors.records[1]!.hash } };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[unknown-reversal] record line 3 (seq 4)'))).toBe(true);
  });

  it('a refund of something that is not a sale is unknown-reversal', () => {
    const bodies = vectorBodies();
    bodies[3] = { ...bodies[3], reverses: { seq: 3, hash: vectors.records[2]!.hash } };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[unknown-reversal] record line 3 (seq 4)'))).toBe(true);
  });

  it('split and line sums that do not add up are malformed', () => {
    const bodies = vectorBodies();
    bodies[0] = { ...bodies[0], split: { totalFen: 5740, fundFen: 4000, accountFen: 1240, cashFen: 501 } };
    const r1 = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r1.problems.some((p) => p.includes('fundFen + accountFen + cashFen is not totalFen'))).toBe(true);
    const bodies2 = vectorBodies();
    bodies2[0] = { ...bodies2[0], split: { totalFen: 5741, fundFen: 4001, accountFen: 1240, cashFen: 500 } };
    const r2 = verifyExport(issueExport(bodies2, { unsigned: vectorUnsigned }));
    expect(r2.problems.some((p) => p.includes('amountFen do not add up to totalFen'))).toBe(true);
  });

  it('issuedAt going backwards is a problem', () => {
    const bodies = vectorBodies();
    bodies[3] = { ...bodies[3], issuedAt: 1795399370000 };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith('[reordered] record line 3 (seq 4)'))).toBe(true);
  });

  it('an unsigned header is accepted with a warning that the end may be cut', () => {
    const r = verifyExport(issueExport(vectorBodies(), { unsigned: vectorUnsigned, headerSigned: false }));
    expect(r.problems).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    // and cutting the end of such a file is then not detectable from the records
  });

  it('a CR, a missing final LF or a BOM is malformed', () => {
    const t = vectors.export.text;
    expect(verifyExport(t.replace('\n', '\r\n')).ok).toBe(false);
    expect(verifyExport(t.slice(0, -1)).ok).toBe(false);
    expect(verifyExport(`\uFEFF${t}`).ok).toBe(false);
  });

  it('an unknown member in a body is refused', () => {
    const bodies = vectorBodies();
    bodies[0] = { ...bodies[0], buyer: 'x' };
    const r = verifyExport(issueExport(bodies, { unsigned: vectorUnsigned }));
    expect(r.problems.some((p) => p.includes('body: unknown member buyer'))).toBe(true);
  });
});
