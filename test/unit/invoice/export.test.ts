/**
 * The chain export an inspector takes away: its format, its signed header, and the property that matters: any
 * single changed byte anywhere in the file is detected, and reported at the line it is in.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INVOICE_EXPORT_FORMAT, InvoiceExportHeaderSchema } from '../../../src/schemas/index.js';
import { canonicalJson, type Signer } from '../../../src/crypto/index.js';
import { verifyInvoiceExport, type InvoiceKey } from '../../../src/invoice/index.js';
import { keyOf, sale, till, type Till } from './helpers.js';

/** A chain with every kind of record: sales, an unsigned receipt and its catch-up, a refund, a void, a key rotation. */
async function richChain(): Promise<{ t: Till; text: string; keys: InvoiceKey[] }> {
  const t = await till();
  const step = () => t.clock.advance(60_000);
  await t.book.issue(sale(1200));
  step();
  const real = await keyOf(t);
  const state = { down: true };
  const flaky: Signer = { ...real, sign: (m) => (state.down ? Promise.reject(new Error('offline')) : real.sign(m)) };
  await t.book.unlock({ signer: flaky });
  await t.book.issue(sale(800));
  state.down = false;
  step();
  await t.book.issue({ kind: 'refund', reverses: 1, lines: sale(200).lines, split: sale(200).split });
  step();
  await t.book.rotateKey({ keyId: 'T01-K2' });
  step();
  await t.book.issue(sale(300));
  step();
  await t.book.issue({ kind: 'void', reverses: 6 });
  return { t, text: await t.book.export(), keys: await t.book.keys() };
}

/** Which line (0 = header) byte `at` of `bytes` belongs to; a line's "\n" belongs to it. */
function lineOf(bytes: Uint8Array, at: number): number {
  let line = 0;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}

describe('chain export', () => {
  it('is a signed canonical header line, then one canonical record per line, every line ending in a newline', async () => {
    const { t, text, keys } = await richChain();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const header = InvoiceExportHeaderSchema.parse(JSON.parse(lines[0]!));
    expect(header).toMatchObject({
      format: INVOICE_EXPORT_FORMAT,
      pharmacyCode: 'P22010100001',
      terminalId: 'T01',
      count: 7,
      from: { seq: 1 },
      head: { seq: 7 },
      keyId: 'T01-K2',
    });
    expect(header.keys.map((k) => k.keyId)).toEqual(['T01-K1', 'T01-K2']);
    for (const line of lines) expect(canonicalJson(JSON.parse(line))).toBe(line);
    expect(lines.slice(1).map((l) => JSON.parse(l).body.kind)).toEqual([
      'sale',
      'sale',
      'catch-up',
      'refund',
      'key-rotation',
      'sale',
      'void',
    ]);
    const fromExport = await verifyInvoiceExport(text);
    expect(fromExport).toMatchObject({ ok: true, keysFrom: 'export', count: 7, unsigned: 1, unsignedCovered: 1 });
    expect(await verifyInvoiceExport(text, [keys[0]!])).toMatchObject({ ok: true, keysFrom: 'given' });
    void t;
  });

  it('shows records cut off the end, a changed header and an unsigned header', async () => {
    const { t, text, keys } = await richChain();
    const lines = text.split('\n');
    const cut = `${lines.slice(0, 6).join('\n')}\n`;
    const report = await verifyInvoiceExport(cut, keys);
    expect(report.issues.map((i) => [i.kind, i.index, i.seq])).toEqual([['deleted', 5, 6]]);

    const header = JSON.parse(lines[0]!);
    const relabelled = [
      canonicalJson({ ...header, count: 6, head: { seq: 6, hash: JSON.parse(lines[0]!).head.hash } }),
      ...lines.slice(1),
    ].join('\n');
    expect((await verifyInvoiceExport(relabelled, keys)).issues.map((i) => [i.kind, i.index])).toEqual([
      ['bad-signature', -1],
    ]);

    const unsigned = [canonicalJson({ ...header, keyId: null, sig: null }), ...lines.slice(1)].join('\n');
    const unsignedReport = await verifyInvoiceExport(unsigned, keys);
    expect(unsignedReport.issues.map((i) => [i.kind, i.index])).toEqual([['unsigned', -1]]);
    expect(unsignedReport.issues[0]!.detail.zh).toMatch(/无法排除末尾记录被删除/);
    void t;
  });

  it('refuses converted line endings, a missing final newline and blank lines, line by line', async () => {
    const { text, keys } = await richChain();
    const crlf = await verifyInvoiceExport(text.replaceAll('\n', '\r\n'), keys);
    expect(crlf.ok).toBe(false);
    expect(crlf.issues.filter((i) => i.kind === 'malformed').map((i) => i.index)).toEqual([-1, 0, 1, 2, 3, 4, 5, 6]);
    expect((await verifyInvoiceExport(text.slice(0, -1), keys)).issues.map((i) => [i.kind, i.index])).toEqual([
      ['malformed', 6],
    ]);
    const blank = await verifyInvoiceExport(text.replace('\n', '\n\n'), keys);
    expect(blank.issues[0]).toMatchObject({ kind: 'malformed', index: 0 });
  });

  it('detects any single changed byte anywhere in the file, at the line it is in', async () => {
    const { text, keys } = await richChain();
    const bytes = new TextEncoder().encode(text);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(bytes.length - 1),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (at, delta, given) => {
          const changed = bytes.slice();
          changed[at] = ((changed[at] as number) + delta) & 0xff;
          const report = await verifyInvoiceExport(decoder.decode(changed), given ? keys : undefined);
          expect(report.ok).toBe(false);
          expect(report.issues.map((i) => i.index)).toContain(lineOf(bytes, at) - 1);
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);
});
