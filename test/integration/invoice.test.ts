/**
 * Signed invoices end to end: the real platform client over real HTTP on 127.0.0.1 against the simulator. A till
 * enrols its key and registers it (YG04), issues invoices, uploads them (YG01), has one checked by the platform (YG02),
 * rotates its key (hand-over record in the chain, hand-over signature for the platform), and an inspector verifies
 * the whole chain and a receipt with nothing but the keys the platform registered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import type { PlatformClient } from '../../src/platform/index.js';
import {
  openInvoiceBook,
  verifyChain,
  verifyInvoiceExport,
  verifyInvoiceQr,
  type InvoiceBook,
  type InvoiceKey,
} from '../../src/invoice/index.js';
import { PHARMACY, tillClient } from './till-fixture.js';
import {
  createSimulator,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const DEVICE_SECRET = new Uint8Array(32).fill(11);

let now = T0;
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;

beforeEach(async () => {
  now = T0;
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
});
afterEach(async () => {
  await server.close();
  await storage.close();
});

function client(book: InvoiceBook): PlatformClient {
  // The book's signer always signs with the key the platform has: cainfo follows the rotation.
  return tillClient({ baseUrl: server.url, clock, signer: book.signer });
}

const line = (amountFen: number) => ({
  medListCode: 'XC10AAA052A001010104430',
  name: '阿托伐他汀钙片',
  specification: '20mg*7片',
  quantity: 1,
  unitPriceFen: amountFen,
  amountFen,
  traceCodes: ['81234560000000000017'],
});
const sale = (amountFen: number) => ({
  lines: [line(amountFen)],
  split: { totalFen: amountFen, fundFen: 0, accountFen: 0, cashFen: amountFen },
});

/** The keys an inspector gets from the platform: the registered key and the ones it replaced. */
function registeredKeys(): InvoiceKey[] {
  const [entry] = simulator.terminalKeys();
  if (!entry) return [];
  return [...entry.previous, { keyId: entry.keyId, publicKey: entry.publicKey }];
}

describe('signed invoices against the simulator', () => {
  it('enrols, registers, issues, uploads, is checked by the platform, rotates, and verifies whole', async () => {
    const book = await openInvoiceBook({
      storage,
      pharmacyCode: PHARMACY.code,
      terminalId: 'T01',
      deviceSecret: DEVICE_SECRET,
      clock,
    });
    await book.enrolKey({ keyId: 'T01-K1' });
    const platform = client(book);
    await book.registerKey(platform);
    expect(simulator.terminalKeys()).toMatchObject([
      { fixmedinsCode: PHARMACY.code, devNo: 'T01', keyId: 'T01-K1', previous: [] },
    ]);

    const receipts = [];
    for (const amount of [5740, 1200, 830]) {
      now += 60_000;
      receipts.push(await book.issue(sale(amount)));
    }
    now += 60_000;
    receipts.push(await book.issue({ kind: 'refund', reverses: 1, ...sale(2870) }));
    expect(await book.upload(platform)).toEqual({ uploaded: 4, through: 4 });
    expect(await book.upload(platform)).toEqual({ uploaded: 0, through: 4 });
    expect(simulator.invoices().map((i) => [i.seq, i.hash])).toEqual(receipts.map((r) => [r.seq, r.hash]));

    // YG02: anyone holding a receipt asks whether the platform has that invoice with that hash.
    const ask = (seq: number, hash: string) =>
      platform.verifyInvoice({ data: { fixmedins_code: PHARMACY.code, terminal_id: 'T01', seq, hash } });
    expect((await ask(2, receipts[1]!.hash)).result).toBe('1');
    expect((await ask(2, receipts[0]!.hash)).result).toBe('2');
    expect((await ask(9, receipts[0]!.hash)).result).toBe('0');

    // Rotation: a key-rotation record signed by K1 in the chain, YG04 with K1's hand-over signature.
    now += 60_000;
    const rotation = await book.rotateKey({ keyId: 'T01-K2', platform });
    expect(rotation.record.body).toMatchObject({ kind: 'key-rotation', keyId: 'T01-K1', newKey: { keyId: 'T01-K2' } });
    expect(simulator.terminalKeys()).toMatchObject([{ keyId: 'T01-K2', previous: [{ keyId: 'T01-K1' }] }]);
    now += 60_000;
    const after = await book.issue(sale(990));
    expect(after.record.body.keyId).toBe('T01-K2');
    // The client's requests are now signed with K2, or the simulator would refuse them.
    expect(await book.upload(platform)).toEqual({ uploaded: 2, through: 6 });
    expect((await ask(6, after.hash)).result).toBe('1');

    // The inspector: only the platform's registry, nothing from the till.
    const keys = registeredKeys();
    expect(keys.map((k) => k.keyId)).toEqual(['T01-K1', 'T01-K2']);
    const records = simulator.invoices().map((i) => i.record);
    expect(await verifyChain(records, keys)).toMatchObject({ ok: true, count: 6, first: 1, last: 6, signed: 6 });
    expect(await verifyChain(records, [keys[0]!])).toMatchObject({ ok: true }); // K2 vouched for by the rotation record
    expect(await verifyInvoiceExport(await book.export(), keys)).toMatchObject({ ok: true, keysFrom: 'given' });
    for (const receipt of [receipts[1]!, after])
      expect(await verifyInvoiceQr(receipt.qr, keys)).toMatchObject({ ok: true });

    // What the platform holds is what the till holds.
    expect(records).toEqual(await book.records());
  });

  it('refuses an upload whose hash is not the record’s, and a second record under an uploaded number', async () => {
    const book = await openInvoiceBook({
      storage,
      pharmacyCode: PHARMACY.code,
      terminalId: 'T01',
      deviceSecret: DEVICE_SECRET,
      clock,
    });
    await book.enrolKey({ keyId: 'T01-K1' });
    const platform = client(book);
    await book.registerKey(platform);
    const issued = await book.issue(sale(100));
    const upload = (record: unknown, hash: string) =>
      platform.uploadInvoice({
        invoice: { terminal_id: 'T01', seq: 1, hash, record: record as Record<string, unknown> },
      });
    await expect(upload(issued.record, '0'.repeat(64))).rejects.toMatchObject({ code: 'PLATFORM_REJECTED' });
    await upload(issued.record, issued.hash);
    const other = await book.issue(sale(200));
    await expect(upload(other.record, other.hash)).rejects.toMatchObject({ code: 'PLATFORM_REJECTED' });
  });
});
