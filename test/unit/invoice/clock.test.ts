/**
 * A wrong clock never breaks the chain. Issue times are monotonic per book (an invoice is issued at
 * max(device clock, the book's time), the book's time kept in its head, so a restart keeps it); a receipt issued
 * behind the clock says by how much (`clockBehindMs`, signed). The verifier judges key validity on the chain's
 * time line (a record cannot have been signed before the records it is built on), so a chain an older till issued
 * through a backward clock jump verifies too, and the report lists the records issued behind the clock.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type SignedInvoice,
  type Storage,
  type TerminalLayout,
} from '../../../src/index.js';
import { InvoiceBodySchema } from '../../../src/schemas/index.js';
import {
  openInvoiceBook,
  verifyChain,
  verifyInvoice,
  verifyInvoiceExport,
  verifyInvoiceQr,
  type InvoiceKey,
} from '../../../src/invoice/index.js';
import {
  chainOf,
  DEVICE_SECRET,
  keyOf,
  otherKey,
  PHARMACY,
  rechain,
  sale,
  seededRandom,
  signBody,
  T0,
  till,
} from './helpers.js';

const DAY = 86_400_000;
const HEAD_KEY = `${PHARMACY}/T01`;
const times = (records: readonly SignedInvoice[]) => records.map((r) => r.body.issuedAt);

/** Opens the book again over the same storage, with its own clock: a restart. */
async function reopen(storage: Storage<TerminalLayout>, now: () => number) {
  return openInvoiceBook({
    storage,
    pharmacyCode: PHARMACY,
    terminalId: 'T01',
    deviceSecret: DEVICE_SECRET,
    clock: { now },
    random: seededRandom(2),
  });
}

describe('issue times are monotonic per book', () => {
  it('dates an invoice issued behind the clock at the last issue time, and says by how much', async () => {
    const t = await till();
    t.clock.advance(60_000);
    await t.book.issue(sale(100));
    t.clock.advance(-DAY);
    const behind = await t.book.issue(sale(200));
    expect(behind.record.body.issuedAt).toBe(T0 + 60_000);
    expect(behind.record.body.clockBehindMs).toBe(DAY);
    t.clock.advance(DAY + 60_000);
    const ahead = await t.book.issue(sale(300));
    expect(ahead.record.body.issuedAt).toBe(T0 + 120_000);
    expect(ahead.record.body).not.toHaveProperty('clockBehindMs');
    expect(await t.book.head()).toMatchObject({ seq: 3, time: T0 + 120_000 });

    const records = await t.book.records();
    const keys = await t.book.keys();
    const report = await verifyChain(records, keys);
    expect(report.issues).toEqual([]);
    expect(report.clockBehind).toEqual([{ index: 1, seq: 2, behindMs: DAY }]);
    expect(await verifyInvoice(behind.record, keys)).toMatchObject({ ok: true });
    expect(await verifyInvoiceQr(behind.qr, keys)).toMatchObject({ ok: true });
    expect(await verifyInvoiceExport(await t.book.export())).toMatchObject({ ok: true, issues: [] });
  });

  it('keeps the book time across a restart, and takes it from the last record when an older head lacks it', async () => {
    const t = await till();
    t.clock.advance(60_000);
    await t.book.issue(sale(100));
    // A restart with the clock a day behind: the head in storage carries the book's time.
    const restarted = await reopen(t.storage, () => T0 - DAY);
    const second = await restarted.issue(sale(200));
    expect(second.record.body).toMatchObject({ issuedAt: T0 + 60_000, clockBehindMs: DAY + 60_000 });
    // A head as an older version wrote it (no `time`): the last record's issue time stands for it.
    const head = (await t.storage.get('invoiceChain', HEAD_KEY))!;
    const { time: _, ...old } = head.value;
    await t.storage.write([{ op: 'put', store: 'invoiceChain', key: HEAD_KEY, value: old, expect: head.rev }]);
    const third = await (await reopen(t.storage, () => T0 - 2 * DAY)).issue(sale(300));
    expect(third.record.body).toMatchObject({ issuedAt: T0 + 60_000, clockBehindMs: 2 * DAY + 60_000 });
    expect((await verifyChain(await t.book.records(), await t.book.keys())).issues).toEqual([]);
  });

  it('dates a key enrolled or rotated behind the clock on the book time line, so it is valid for what it signs', async () => {
    // Unsigned receipts before enrolment, then the clock goes back a day and the key is enrolled.
    const t = await till({ enrol: false });
    t.clock.advance(60_000);
    await t.book.issue(sale(100));
    t.clock.advance(-DAY);
    await t.book.enrolKey({ keyId: 'T01-K1' });
    const next = await t.book.issue(sale(200));
    expect(next.catchUp?.record.body).toMatchObject({ kind: 'catch-up', issuedAt: T0 + 60_000, clockBehindMs: DAY });
    expect((await t.book.keys()).find((k) => k.keyId === 'T01-K1')?.validFrom).toBe(T0 + 60_000);
    // A rotation behind the clock: the old key retires, the new one starts, at the book's time.
    t.clock.advance(-DAY);
    const rotation = await t.book.rotateKey({ keyId: 'T01-K2' });
    expect(rotation.record.body).toMatchObject({ issuedAt: T0 + 60_000, clockBehindMs: 2 * DAY });
    await t.book.issue(sale(300));
    const keys = await t.book.keys();
    expect(keys.map((k) => [k.keyId, k.validFrom, k.validUntil])).toEqual([
      ['T01-K1', T0 + 60_000, T0 + 60_000],
      ['T01-K2', T0 + 60_000, undefined],
    ]);
    const records = await t.book.records();
    expect(times(records)).toEqual(records.map(() => T0 + 60_000));
    const report = await verifyChain(records, keys);
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ ok: true, unsigned: 1, unsignedCovered: 1 });
    expect(report.clockBehind.map((c) => c.seq)).toEqual([2, 3, 4, 5]);
    expect(await verifyInvoiceExport(await t.book.export())).toMatchObject({ ok: true, issues: [] });
  });

  it('holds for any clock moves, restarts and rotations (property)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('sale' as const), move: fc.integer({ min: -3 * DAY, max: 3 * DAY }) }),
      fc.record({ kind: fc.constant('restart' as const), move: fc.integer({ min: -3 * DAY, max: DAY }) }),
      fc.record({ kind: fc.constant('rotate' as const), move: fc.integer({ min: -3 * DAY, max: DAY }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        let now = T0;
        const storage = createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
        let book = await reopen(storage, () => now);
        await book.enrolKey({ keyId: 'K0' });
        let rotations = 0;
        let latest = now;
        for (const s of steps) {
          now = Math.max(0, now + s.move);
          if (s.kind === 'restart') book = await reopen(storage, () => now);
          const issued =
            s.kind === 'rotate' ? await book.rotateKey({ keyId: `K${++rotations}` }) : await book.issue(sale(100));
          // max(device clock, book time), and the shortfall recorded exactly.
          expect(issued.record.body.issuedAt).toBe(Math.max(now, latest));
          expect(issued.record.body.clockBehindMs).toBe(now < latest ? latest - now : undefined);
          latest = issued.record.body.issuedAt;
        }
        const records = await book.records();
        expect(times(records)).toEqual([...times(records)].sort((a, b) => a - b));
        expect((await verifyChain(records, await book.keys())).issues).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a clockBehindMs that is not a positive whole number of ms', async () => {
    const body = (await (await till()).book.issue(sale(100))).record.body;
    for (const bad of [0, -5, 1.5, '60000'])
      expect(InvoiceBodySchema.safeParse({ ...body, clockBehindMs: bad }).success).toBe(false);
    expect(InvoiceBodySchema.safeParse({ ...body, clockBehindMs: 60_000 }).success).toBe(true);
  });
});

describe('key validity is judged on the chain time line', () => {
  /** A chain as a till without monotonic times wrote it: records from `from` on dated `shift` ms earlier, re-signed. */
  async function backdated(n: number, from: number, shift: number) {
    const { t, records, keys } = await chainOf(n);
    const shifted = records.map((r, i) =>
      i >= from ? { ...r, body: { ...r.body, issuedAt: r.body.issuedAt - shift } } : r,
    );
    return { t, keys, records: await rechain(shifted, from, await keyOf(t)) };
  }

  it('accepts a chain issued through a backward clock jump, and lists the records issued behind the clock', async () => {
    // Key T01-K1 made at T0; sales at T0+1…4 min; from the third on the clock is a day behind (before the key was
    // made).
    const { records, keys } = await backdated(4, 2, DAY);
    expect(keys).toEqual([expect.objectContaining({ keyId: 'T01-K1', validFrom: T0 })]);
    expect(records[2]!.body.issuedAt).toBeLessThan(T0);
    const report = await verifyChain(records, keys);
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    // Behind the chain's time (the second sale's, T0+2 min) by a day less the minutes that passed on the wrong clock.
    expect(report.clockBehind).toEqual([
      { index: 2, seq: 3, behindMs: DAY - 60_000 },
      { index: 3, seq: 4, behindMs: DAY - 120_000 },
    ]);
  });

  it('still refuses a record dated before its key when nothing in the chain vouches for a later time', async () => {
    const { records, keys } = await backdated(3, 0, DAY);
    const report = await verifyChain(records, keys);
    expect(report.issues.map((i) => [i.kind, i.seq])).toEqual([
      ['key-not-valid', 1],
      ['key-not-valid', 2],
      ['key-not-valid', 3],
    ]);
    // One record alone has only its own time.
    expect((await verifyInvoice((await backdated(3, 2, DAY)).records[2], keys)).issues.map((i) => i.kind)).toEqual([
      'key-not-valid',
    ]);
  });

  it('takes no time from a record whose signature fails', async () => {
    const { t, records, keys } = await chainOf(3);
    const key = await keyOf(t);
    // Record 1 forged with another key and dated two days on; record 2, properly signed and built on it, dated before
    // the key.
    const forged = await signBody({ ...records[0]!.body, issuedAt: T0 + 2 * DAY }, await otherKey());
    const chain = await rechain(
      [forged, { ...records[1]!, body: { ...records[1]!.body, issuedAt: T0 - DAY } }, records[2]!],
      1,
      key,
    );
    const report = await verifyChain(chain, keys);
    expect(report.issues.map((i) => [i.kind, i.seq])).toEqual([
      ['bad-signature', 1],
      ['key-not-valid', 2],
    ]);
  });

  it('judges the end of a key validity on the same line: signed after it, whatever the record says', async () => {
    const { t, records } = await chainOf(3);
    const key = await keyOf(t);
    const until = T0 + 90_000; // after the first sale (T0+1 min), before the second (T0+2 min)
    const keys: InvoiceKey[] = [
      { keyId: 'T01-K1', publicKey: (await t.book.keys())[0]!.publicKey, validFrom: T0, validUntil: until },
    ];
    // The third record claims T0+1 min but is built on the second (T0+2 min): it was signed after the key's end.
    const chain = await rechain(
      [records[0]!, records[1]!, { ...records[2]!, body: { ...records[2]!.body, issuedAt: T0 + 60_000 } }],
      2,
      key,
    );
    expect((await verifyChain(chain, keys)).issues.map((i) => [i.kind, i.seq])).toEqual([
      ['key-not-valid', 2],
      ['key-not-valid', 3],
    ]);
  });
});
