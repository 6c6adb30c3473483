/**
 * The receipt QR code: fits a receipt printer's QR, stays in the QR alphanumeric set, reads back exactly, and is
 * verifiable on its own; any change to it shows.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isYibaoGuardError } from '../../../src/index.js';
import { invoiceQrText, parseInvoiceQr, verifyInvoiceQr } from '../../../src/invoice/index.js';
import { keyOf, otherKey, sale, till } from './helpers.js';

/** The characters QR alphanumeric mode encodes (5.5 bits each instead of 8). */
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

describe('receipt QR code', () => {
  it('is at most 300 characters of the QR alphanumeric set, and reads back as the invoice', async () => {
    const t = await till();
    const issued = await t.book.issue({ ...sale(12_345_678), setlId: 'SETL20261123100000000001' });
    expect(issued.qr.length).toBeLessThanOrEqual(300);
    expect(issued.qr).toMatch(ALPHANUMERIC);
    expect(issued.qr.split('*')).toHaveLength(10);
    expect(await parseInvoiceQr(`  ${issued.qr}\r\n`)).toEqual({
      pharmacyCode: 'P22010100001',
      terminalId: 'T01',
      seq: 1,
      kind: 'sale',
      issuedAt: issued.record.body.issuedAt,
      totalFen: 12_345_678,
      hash: issued.hash,
      sig: expect.stringMatching(/^[\w-]{86}$/),
      keyId: 'T01-K1',
    });
    // A reprint is the same QR: Ed25519 signatures are deterministic.
    expect(await t.book.receiptQr(1)).toBe(issued.qr);
    expect(await t.book.receiptQr(9)).toBeUndefined();
  });

  it('verifies with the terminal key alone; an unsigned receipt, an unknown key, a foreign key are reported', async () => {
    const t = await till();
    const keys = await t.book.keys();
    const issued = await t.book.issue(sale(5740));
    expect(await verifyInvoiceQr(issued.qr, keys)).toMatchObject({
      ok: true,
      issues: [],
      qr: { seq: 1, totalFen: 5740 },
    });
    expect((await verifyInvoiceQr(issued.qr, [])).issues.map((i) => i.kind)).toEqual(['key-not-valid']);
    expect(
      (await verifyInvoiceQr(issued.qr, [{ ...keys[0]!, validUntil: issued.record.body.issuedAt - 1 }])).issues.map(
        (i) => i.kind,
      ),
    ).toEqual(['key-not-valid']);
    const parts = issued.qr.split('*');
    parts[8] = '';
    expect((await verifyInvoiceQr(parts.join('*'), keys)).issues.map((i) => i.kind)).toEqual(['unsigned']);
    // Another till's key, under the same id, does not verify it.
    const foreign = await invoiceQrText(issued.record, await otherKey());
    expect((await verifyInvoiceQr(foreign, keys)).issues.map((i) => i.kind)).toEqual(['bad-signature']);
    expect(await invoiceQrText(issued.record, await keyOf(t))).toBe(issued.qr);
  });

  it('shows a changed total, time, number or record hash as a bad signature', async () => {
    const t = await till();
    const keys = await t.book.keys();
    const issued = await t.book.issue(sale(5740));
    const parts = issued.qr.split('*');
    for (const [field, value] of [
      [6, '574'],
      [5, String(Number(parts[5]) + 1000)],
      [3, '2'],
      [7, `${parts[7]!.slice(0, 10)}${parts[7]![10] === 'A' ? 'B' : 'A'}${parts[7]!.slice(11)}`],
    ] as const) {
      const changed = parts.slice();
      changed[field] = value;
      expect(
        (await verifyInvoiceQr(changed.join('*'), keys)).issues.map((i) => i.kind),
        `field ${field}`,
      ).toEqual(['bad-signature']);
    }
  });

  it('any single changed character is caught', async () => {
    const t = await till();
    const keys = await t.book.keys();
    const { qr } = await t.book.issue(sale(5740));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567*-0189';
    await fc.assert(
      fc.asyncProperty(fc.nat(qr.length - 1), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(qr[at] !== ch);
        const changed = qr.slice(0, at) + ch + qr.slice(at + 1);
        // A change in the key id may name another key: then it is that key that does not verify.
        expect((await verifyInvoiceQr(changed, keys)).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses text that is not a receipt QR with INVOICE_UNREADABLE naming the field', async () => {
    const t = await till();
    const { qr } = await t.book.issue(sale(5740));
    const cases: [string, string][] = [
      ['', 'format'],
      ['https://example.com/?x=1', 'format'],
      [qr.replace('YG1*', 'YG2*'), 'format'],
      [qr.replace('*S*', '*X*'), 'kind'],
      [qr.replace(/\*1\*S\*/, '*0*S*'), 'seq'],
      [`${qr}*extra`, 'format'],
    ];
    for (const [text, field] of cases) {
      const error = await parseInvoiceQr(text).catch((e: unknown) => e);
      expect(isYibaoGuardError(error, 'INVOICE_UNREADABLE'), text).toBe(true);
      expect((error as { field?: string }).field).toBe(field);
    }
    const parts = qr.split('*');
    parts[7] = parts[7]!.slice(0, -1) + (parts[7]!.endsWith('A') ? 'B' : 'A'); // non-zero padding bits, or another hash
    const report = await verifyInvoiceQr(parts.join('*'), await t.book.keys());
    expect(report.ok).toBe(false);
    expect((await verifyInvoiceQr('nonsense', [])).issues).toEqual([
      expect.objectContaining({ kind: 'malformed', index: 0 }),
    ]);
  });
});
