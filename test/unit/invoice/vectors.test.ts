/**
 * RFC 8032 through our own wrappers (both backends, and through enrolment's wrap and unwrap), RFC 8785 cases an
 * invoice meets, and the pinned invoice vectors of test/vectors/yibao-invoice-v1.json (an implementation elsewhere,
 * a province's verifier say, must reproduce them byte for byte).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { SignedInvoice } from '../../../src/index.js';
import { canonicalJson, toBase64Url, toHex } from '../../../src/crypto/index.js';
import {
  generateTerminalKey,
  invoiceHash,
  invoiceQrSigningText,
  invoiceQrText,
  parseInvoiceQr,
  verifyInvoiceQr,
  unwrapTerminalKey,
  verifyChain,
  webCryptoEd25519,
} from '../../../src/invoice/index.js';
import { ed25519Verifier, signerFromSeed } from '../../../src/invoice/webcrypto.js';
import { via, withoutWebCryptoEd25519 } from './fallback.js';
import { tweetnaclEd25519 } from '../../../src/crypto/ed25519-fallback.js';

const rfc8032 = JSON.parse(readFileSync(new URL('../../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as {
  vectors: { secretKey: string; publicKey: string; message: string; signature: string }[];
};
const jcs = JSON.parse(readFileSync(new URL('../../vectors/invoice-jcs.json', import.meta.url), 'utf8')) as {
  cases: { name: string; input: string; output: string }[];
};
const pinned = JSON.parse(readFileSync(new URL('../../vectors/yibao-invoice-v1.json', import.meta.url), 'utf8')) as {
  seed: string;
  keyId: string;
  publicKey: string;
  records: { record: SignedInvoice; bodyJson: string; hash: string; qrSigningText: string; qr: string }[];
};
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const cases = rfc8032.vectors.map((v, i) => [i + 1, v] as const);

describe('RFC 8032 through the invoice signers and verifiers', () => {
  it('runs on WebCrypto here (Node ≥ 20)', async () => {
    expect(await webCryptoEd25519()).toBe(true);
  });

  it.each(cases)(
    'TEST %i: the WebCrypto signer signs to the published signature and both verifiers accept it',
    async (_n, v) => {
      const signer = await signerFromSeed('K1', hex(v.secretKey));
      expect(toHex(signer.publicKey)).toBe(v.publicKey);
      expect(toHex(await signer.sign(hex(v.message)))).toBe(v.signature);
      for (const backend of ['webcrypto', 'tweetnacl'] as const) {
        const verifier = await ed25519Verifier(via(backend));
        expect(verifier.backend).toBe(backend);
        expect(await verifier.verify(toBase64Url(hex(v.publicKey)), hex(v.signature), hex(v.message))).toBe(true);
        const bad = hex(v.signature);
        bad[5] = (bad[5] as number) ^ 1;
        expect(await verifier.verify(toBase64Url(hex(v.publicKey)), bad, hex(v.message))).toBe(false);
      }
    },
  );

  it.each(cases)('TEST %i: without WebCrypto Ed25519 the tweetnacl signer gives the same signature', async (_n, v) => {
    await withoutWebCryptoEd25519(async () => {
      await expect(signerFromSeed('K1', hex(v.secretKey))).rejects.toMatchObject({
        code: 'ENVIRONMENT_UNSUPPORTED',
        message: expect.stringContaining('ed25519Fallback'),
      });
      await expect(ed25519Verifier()).rejects.toMatchObject({ code: 'ENVIRONMENT_UNSUPPORTED' });
      const signer = await signerFromSeed('K1', hex(v.secretKey), tweetnaclEd25519);
      expect(toHex(signer.publicKey)).toBe(v.publicKey);
      expect(toHex(await signer.sign(hex(v.message)))).toBe(v.signature);
      expect((await ed25519Verifier(via('auto'))).backend).toBe('tweetnacl');
    });
  });

  it.each(cases)(
    'TEST %i: a key enrolled from the vector seed, wrapped and unwrapped, still signs to the published signature',
    async (_n, v) => {
      const deviceSecret = new Uint8Array(32).fill(3);
      let calls = 0;
      const random = (n: number) => (calls++ === 0 ? hex(v.secretKey) : new Uint8Array(n).fill(calls));
      const { wrapped } = await generateTerminalKey({ keyId: 'K1', deviceSecret, random, now: 0 });
      expect(wrapped.publicKey).toBe(toBase64Url(hex(v.publicKey)));
      expect(JSON.stringify(wrapped)).not.toContain(toBase64Url(hex(v.secretKey)));
      const signer = await unwrapTerminalKey(wrapped, deviceSecret);
      expect(toHex(await signer.sign(hex(v.message)))).toBe(v.signature);
      await withoutWebCryptoEd25519(async () => {
        await expect(unwrapTerminalKey(wrapped, deviceSecret)).rejects.toMatchObject({
          code: 'ENVIRONMENT_UNSUPPORTED',
        });
        const nacl = await unwrapTerminalKey(wrapped, deviceSecret, tweetnaclEd25519);
        expect(toHex(await nacl.sign(hex(v.message)))).toBe(v.signature);
      });
    },
  );

  it('refuses a signature whose S is not below the group order on both backends alike', async () => {
    const v = rfc8032.vectors[0]!;
    const sig = hex(v.signature);
    // S + L: the same point equation holds, so tweetnacl alone would accept it (RFC 8032 says reject).
    const L = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
    let carry = 0;
    for (let i = 0; i < 32; i++) {
      const sum = (sig[32 + i] as number) + (L[i] as number) + carry;
      sig[32 + i] = sum & 0xff;
      carry = sum >> 8;
    }
    for (const backend of ['webcrypto', 'tweetnacl'] as const) {
      expect(
        await (await ed25519Verifier(via(backend))).verify(toBase64Url(hex(v.publicKey)), sig, hex(v.message)),
      ).toBe(false);
    }
  });
});

describe('RFC 8785 cases an invoice meets', () => {
  it.each(jcs.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(canonicalJson(JSON.parse(c.input))).toBe(c.output);
  });
});

describe('pinned invoice vectors (test/vectors/yibao-invoice-v1.json)', () => {
  it('reproduces every body JSON, signature, record hash, QR signing text and QR text', async () => {
    const signer = await signerFromSeed(pinned.keyId, hex(pinned.seed));
    expect(toBase64Url(signer.publicKey)).toBe(pinned.publicKey);
    const keys = [{ keyId: pinned.keyId, publicKey: pinned.publicKey }];
    for (const v of pinned.records) {
      expect(canonicalJson(v.record.body)).toBe(v.bodyJson);
      if (v.record.sig !== null)
        expect(toBase64Url(await signer.sign(new TextEncoder().encode(v.bodyJson)))).toBe(v.record.sig);
      expect(await invoiceHash(v.record)).toBe(v.hash);
      expect(await invoiceQrText(v.record, v.record.sig === null ? undefined : signer)).toBe(v.qr);
      expect(await invoiceQrSigningText(await parseInvoiceQr(v.qr))).toBe(v.qrSigningText);
      expect((await verifyInvoiceQr(v.qr, keys)).ok).toBe(v.record.sig !== null);
    }
    const report = await verifyChain(
      pinned.records.map((v) => v.record),
      keys,
    );
    expect(report).toMatchObject({ ok: true, count: pinned.records.length, unsigned: 1, unsignedCovered: 1 });
  });
});
