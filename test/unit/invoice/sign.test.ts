/**
 * The invoice book: gapless numbers and one chain under concurrency and crashes, unsigned receipts and the automatic
 * catch-up record, refunds and voids, and what a draft may not contain.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createMemoryStorage,
  isYibaoGuardError,
  StorageError,
  TERMINAL_NAMES,
  type Storage,
  type TerminalLayout,
} from '../../../src/index.js';
import { GENESIS_HASH } from '../../../src/schemas/index.js';
import { createMemoryBacking } from '../../../src/storage/index.js';
import type { Signer } from '../../../src/crypto/index.js';
import { invoiceHash, openInvoiceBook, parseInvoiceQr, verifyChain } from '../../../src/invoice/index.js';
import { DEVICE_SECRET, PHARMACY, keyOf, sale, till } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('issuing', () => {
  it('numbers invoices 1, 2, 3… and chains each to the whole previous record', async () => {
    const t = await till();
    const issued = [];
    for (let i = 0; i < 4; i++) issued.push(await t.book.issue(sale(100 + i)));
    expect(issued.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(issued[0]!.record.body.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < 4; i++) expect(issued[i]!.record.body.prevHash).toBe(await invoiceHash(issued[i - 1]!.record));
    expect(issued.every((r) => r.signed)).toBe(true);
    expect(await t.book.head()).toMatchObject({ seq: 4, hash: issued[3]!.hash, keyId: 'T01-K1' });
    expect(await t.book.get(2)).toEqual(issued[1]!.record);
    expect((await t.book.records({ after: 2 })).map((r) => r.body.seq)).toEqual([3, 4]);
    expect((await verifyChain(await t.book.records(), await t.book.keys())).ok).toBe(true);
  });

  it('prints a QR code that reads back as the invoice', async () => {
    const t = await till();
    const issued = await t.book.issue(sale(5740));
    const qr = await parseInvoiceQr(issued.qr);
    expect(qr).toMatchObject({
      pharmacyCode: PHARMACY,
      terminalId: 'T01',
      seq: 1,
      kind: 'sale',
      totalFen: 5740,
      hash: issued.hash,
      keyId: 'T01-K1',
    });
    expect(issued.qr.length).toBeLessThanOrEqual(300);
  });

  it('never forks or skips a number when two books write one storage at once', async () => {
    const backing = createMemoryBacking();
    const a = await till({ storage: createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES, backing }) });
    const b = await openInvoiceBook({
      storage: createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES, backing }),
      pharmacyCode: PHARMACY,
      terminalId: 'T01',
      deviceSecret: DEVICE_SECRET,
    });
    const issued = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : { book: b }).book.issue(sale(100 + i))),
    );
    expect(issued.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const records = await a.book.records();
    expect(records).toHaveLength(20);
    expect(await verifyChain(records, await a.book.keys())).toMatchObject({ ok: true, count: 20 });
  });

  it('leaves no gap when the write fails: the number is taken again by the next invoice', async () => {
    const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
    let failNext = false;
    const flaky: Storage<TerminalLayout> = {
      ...storage,
      write: (ops) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new StorageError('STORAGE_FAILED'));
        }
        return storage.write(ops);
      },
    };
    const t = await till({ storage: flaky });
    await t.book.issue(sale(100));
    failNext = true;
    expect(isYibaoGuardError(await rejection(t.book.issue(sale(200))), 'STORAGE_FAILED')).toBe(true);
    expect((await t.book.head())?.seq).toBe(1);
    expect((await t.book.issue(sale(300))).seq).toBe(2);
    expect((await verifyChain(await t.book.records(), await t.book.keys())).ok).toBe(true);
  });

  it('refuses a draft that does not add up, before anything is written', async () => {
    const t = await till();
    const bad = sale(500);
    expect(
      isYibaoGuardError(
        await rejection(t.book.issue({ ...bad, split: { ...bad.split, totalFen: 501, cashFen: 501 } })),
        'INVALID_INPUT',
      ),
    ).toBe(true);
    expect(
      isYibaoGuardError(
        await rejection(t.book.issue({ ...bad, lines: [{ ...bad.lines[0]!, quantity: 2 }] })),
        'INVALID_MONEY',
      ),
    ).toBe(true);
    expect(
      isYibaoGuardError(
        await rejection(t.book.issue({ ...bad, lines: [{ ...bad.lines[0]!, buyerName: '张三' } as never] })),
        'INVALID_INPUT',
      ),
    ).toBe(true);
    expect(await t.book.head()).toMatchObject({ seq: 0 });
  });
});

describe('bad drafts', () => {
  it('throw typed errors only, and write nothing', async () => {
    const t = await till();
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (draft) => {
        const error = await rejection(t.book.issue(draft as never)).catch((e: unknown) => e);
        expect(isYibaoGuardError(error), String(error)).toBe(true);
      }),
      { numRuns: 100 },
    );
    const junk = [
      null,
      7,
      'sale',
      { kind: 'key-rotation' },
      { lines: 'x', split: {} },
      { lines: [null], split: sale(1).split },
      { lines: [{}], split: sale(1).split },
    ];
    for (const draft of junk) expect(isYibaoGuardError(await rejection(t.book.issue(draft as never)))).toBe(true);
    expect((await t.book.head())?.seq).toBe(0);
  });
});

describe('refunds and voids', () => {
  it('refund names the sale by seq and hash; void copies it whole', async () => {
    const t = await till();
    const first = await t.book.issue(sale(1000));
    await t.book.issue(sale(2000));
    const refund = await t.book.issue({
      kind: 'refund',
      reverses: 1,
      ...{ lines: sale(400).lines, split: sale(400).split },
    });
    expect(refund.record.body).toMatchObject({
      kind: 'refund',
      reverses: { seq: 1, hash: first.hash },
      setlId: 'SETL0001',
    });
    const voided = await t.book.issue({ kind: 'void', reverses: 2 });
    expect(voided.record.body.split.totalFen).toBe(2000);
    expect((await parseInvoiceQr(voided.qr)).kind).toBe('void');
    expect((await verifyChain(await t.book.records(), await t.book.keys())).ok).toBe(true);
  });

  it('refuses to reverse what does not exist, what is not a sale, or more than the sale', async () => {
    const t = await till();
    await t.book.issue(sale(1000));
    const refund = (reverses: number, amount = 100) =>
      t.book.issue({ kind: 'refund', reverses, lines: sale(amount).lines, split: sale(amount).split });
    for (const attempt of [refund(7), refund(0)])
      expect(isYibaoGuardError(await rejection(attempt), 'INVOICE_REVERSAL_INVALID')).toBe(true);
    await refund(1, 600);
    expect(isYibaoGuardError(await rejection(refund(2)), 'INVOICE_REVERSAL_INVALID')).toBe(true); // 2 is a refund
    expect(isYibaoGuardError(await rejection(refund(1, 500)), 'INVOICE_REVERSAL_INVALID')).toBe(true); // 600 + 500 > 1000
    expect(
      isYibaoGuardError(await rejection(t.book.issue({ kind: 'void', reverses: 1 })), 'INVOICE_REVERSAL_INVALID'),
    ).toBe(true);
    expect((await refund(1, 400)).seq).toBe(3);
    expect(isYibaoGuardError(await rejection(t.book.issue({ ...sale(100), reverses: 1 })), 'INVALID_INPUT')).toBe(true);
  });
});

describe('signing failure never blocks a sale', () => {
  /** A signer over the till's key that fails while `down` is set. */
  async function flaky(t: Awaited<ReturnType<typeof till>>, mode: 'throw' | 'hang') {
    const real = await keyOf(t);
    const state = { down: true };
    const signer: Signer = {
      keyId: real.keyId,
      algorithm: 'ED25519',
      publicKey: real.publicKey,
      sign: (message) =>
        state.down
          ? mode === 'throw'
            ? Promise.reject(new Error('HSM offline'))
            : new Promise(() => {})
          : real.sign(message),
    };
    return { signer, state };
  }

  it('issues an unsigned receipt, then a signed catch-up record before the next invoice, automatically', async () => {
    const t = await till();
    await t.book.issue(sale(100));
    const { signer, state } = await flaky(t, 'throw');
    await t.book.unlock({ signer });
    const unsigned = [await t.book.issue(sale(200)), await t.book.issue(sale(300))];
    expect(unsigned.map((r) => [r.seq, r.signed, r.record.sig])).toEqual([
      [2, false, null],
      [3, false, null],
    ]);
    expect(unsigned[0]!.signingError).toMatchObject({ code: 'INVOICE_KEY_UNAVAILABLE', name: 'InvoiceError' });
    expect(unsigned[0]!.signingError?.messageZh).toMatch(/签名器出错/);
    expect((await t.book.head())?.unsignedFrom).toBe(2);
    expect((await parseInvoiceQr(unsigned[0]!.qr)).sig).toBeNull();

    state.down = false;
    const next = await t.book.issue(sale(400));
    expect(next.catchUp).toMatchObject({ seq: 4 });
    expect(next.catchUp?.record.body).toMatchObject({
      kind: 'catch-up',
      covers: { from: 2, to: 3 },
      lines: [],
      split: { totalFen: 0 },
    });
    expect(next).toMatchObject({ seq: 5, signed: true });
    expect((await t.book.head())?.unsignedFrom).toBeUndefined();
    expect(await verifyChain(await t.book.records(), await t.book.keys())).toMatchObject({
      ok: true,
      unsigned: 2,
      unsignedCovered: 2,
    });
  });

  it('does not wait for a signer that hangs', async () => {
    const t = await till({ signTimeoutMs: 50 });
    const { signer, state } = await flaky(t, 'hang');
    await t.book.unlock({ signer });
    const receipt = await t.book.issue(sale(100));
    expect(receipt.signed).toBe(false);
    expect(receipt.signingError?.message).toMatch(/longer than 50 ms/);
    state.down = false;
    expect(await t.book.catchUp()).toMatchObject({ seq: 2, signed: true });
    expect(await t.book.catchUp()).toBeUndefined();
  });

  it('sells before any key is enrolled, and closes those receipts with the first key', async () => {
    const t = await till({ enrol: false });
    const first = await t.book.issue(sale(100));
    expect(first).toMatchObject({ seq: 1, signed: false });
    expect(first.record.body.keyId).toBe('UNENROLLED');
    await t.book.enrolKey({ keyId: 'T01-K1' });
    const next = await t.book.issue(sale(200));
    expect(next.catchUp?.record.body.covers).toEqual({ from: 1, to: 1 });
    expect((await verifyChain(await t.book.records(), await t.book.keys())).ok).toBe(true);
  });

  it('with a wrong device secret the receipts go unsigned until the right one unlocks the key', async () => {
    const t = await till();
    await t.book.issue(sale(100));
    const reopened = await openInvoiceBook({
      storage: t.storage,
      pharmacyCode: PHARMACY,
      terminalId: 'T01',
      deviceSecret: new Uint8Array(32).fill(8),
      clock: t.clock,
    });
    const receipt = await reopened.issue(sale(200));
    expect(receipt.signed).toBe(false);
    expect(receipt.signingError?.message).toMatch(/wrong device secret/);
    const catchUp = await reopened.unlock({ deviceSecret: DEVICE_SECRET });
    expect(catchUp).toMatchObject({ seq: 3, signed: true });
    expect((await verifyChain(await reopened.records(), await reopened.keys())).ok).toBe(true);
  });
});
