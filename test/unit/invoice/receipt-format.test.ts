/**
 * The receipt-format vectors (docs/yibao-receipt-format-v1.json) are exactly what the SDK issues today, and
 * the SDK's verifiers accept the chain and find what the file says in each tampered copy. A change to the format, the
 * canonical form, the hashing, the QR text or the export shows here as a difference from the committed file: update
 * docs/RECEIPT-FORMAT.md with it, then write the file again with YG_WRITE_VECTORS=1.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { verifyChain, verifyInvoiceExport, verifyInvoiceQr } from '../../../src/invoice/index.js';
import { buildReceiptFormatVectors, type ReceiptFormatVectors } from '../../vectors/receipt-format.js';

const FILE = new URL('../../../docs/yibao-receipt-format-v1.json', import.meta.url);

describe('receipt format vectors', () => {
  it('the committed file is what the SDK issues, byte for byte', async () => {
    const built = `${JSON.stringify(await buildReceiptFormatVectors(), null, 2)}\n`;
    if (process.env.YG_WRITE_VECTORS === '1') writeFileSync(FILE, built);
    expect(built).toBe(readFileSync(FILE, 'utf8'));
  });

  const vectors = JSON.parse(readFileSync(FILE, 'utf8')) as ReceiptFormatVectors;

  it('meets every record kind, an unsigned receipt and a clock set back', () => {
    const kinds = vectors.records.map((r) => r.record.body.kind);
    expect(new Set(kinds)).toEqual(new Set(['sale', 'refund', 'key-rotation', 'catch-up']));
    expect(vectors.records.some((r) => r.record.sig === null)).toBe(true);
    expect(vectors.records.some((r) => r.record.body.clockBehindMs !== undefined)).toBe(true);
    expect(vectors.keys.map((k) => k.keyId)).toEqual(['T01-K1', 'T01-K2']);
  });

  it('the chain and its export verify, with the keys given and with the keys the export lists', async () => {
    const keys = vectors.keys.map(({ keyId, publicKey, validFrom, validUntil }) => ({
      keyId,
      publicKey,
      validFrom,
      validUntil,
    }));
    const chain = await verifyChain(
      vectors.records.map((r) => r.record),
      keys,
    );
    expect(chain.issues).toEqual([]);
    expect(chain.unsignedCovered).toBe(1);
    expect((await verifyInvoiceExport(vectors.export.text, keys)).ok).toBe(true);
    const own = await verifyInvoiceExport(vectors.export.text);
    expect(own.ok).toBe(true);
    expect(own.head).toEqual({ seq: vectors.records.length, hash: vectors.records.at(-1)?.hash });
  });

  it("each record's texts are the ones the document defines", () => {
    for (const r of vectors.records) {
      const { body } = r.record;
      expect(r.qrSigningText).toBe(
        [
          'YG1',
          body.pharmacyCode,
          body.terminalId,
          body.seq,
          body.kind,
          body.issuedAt,
          body.split.totalFen,
          r.hash,
        ].join('|'),
      );
      expect(r.recordJson).toBe(`{"body":${r.bodyJson},"sig":${JSON.stringify(r.record.sig)}}`);
      expect(r.qr.split('*').slice(0, 7).join('*')).toBe(
        [
          'YG1',
          body.pharmacyCode,
          body.terminalId,
          body.seq,
          body.kind[0]?.toUpperCase(),
          body.issuedAt,
          body.split.totalFen,
        ].join('*'),
      );
      expect(r.upload).toEqual({ terminal_id: body.terminalId, seq: body.seq, hash: r.hash, record: r.record });
    }
  });

  it('every signed receipt QR verifies; the unsigned one says so', async () => {
    const keys = vectors.keys.map(({ keyId, publicKey }) => ({ keyId, publicKey }));
    for (const r of vectors.records) {
      const report = await verifyInvoiceQr(r.qr, keys);
      if (r.qr.endsWith(`**${r.record.body.keyId}`)) expect(report.issues.map((i) => i.kind)).toEqual(['unsigned']);
      else expect(report.ok).toBe(true);
    }
  });

  it.each(vectors.tampered.map((t) => [t.name, t] as const))(
    'tampered: %s is caught where the file says',
    async (_name, t) => {
      expect(t.issues.length).toBeGreaterThan(0);
      const keys = vectors.keys.map(({ keyId, publicKey }) => ({ keyId, publicKey }));
      const report = t.target === 'export' ? await verifyInvoiceExport(t.text) : await verifyInvoiceQr(t.text, keys);
      expect(report.ok).toBe(false);
      expect(report.issues.map((i) => ({ kind: i.kind, seq: i.seq, index: i.index }))).toEqual(t.issues);
    },
  );
});
