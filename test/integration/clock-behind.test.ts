/**
 * A wrong clock never breaks the receipt chain. The till sells at 23:58 CST, its clock is then set back a day, it
 * sells, restarts over the same SQLite file and sells again: the chain (records and export) must still verify
 * with the SDK's own verifier, issue times never go backwards, the backward clock is reported (a terminal event,
 * an audit-trail entry, the receipts themselves) and every msgid stays unique.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import {
  TERMINAL_NAMES,
  type Storage,
  type Terminal,
  type TerminalEvent,
  type TerminalLayout,
} from '../../src/index.js';
import { verifyChain, verifyInvoiceExport, verifyInvoiceQr } from '../../src/invoice/index.js';
import { DAY, P } from '../unit/rules/helpers.js';
import { openTestTerminal } from './till-fixture.js';

/** 2026-11-23 23:58 CST (UTC+8). */
const EVENING = Date.UTC(2026, 10, 23, 15, 58);

let now = EVENING;
const clock = { now: () => now };
let dir: string;
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;
let events: TerminalEvent[];

async function open(): Promise<Terminal> {
  storage = await createSqliteStorage({ file: join(dir, 'till.db'), names: TERMINAL_NAMES });
  const t = await openTestTerminal({ baseUrl: server.url, storage, clock });
  t.on('clock:behind', (e) => events.push(e));
  return t;
}

async function restart(): Promise<void> {
  await terminal.close();
  await storage.close();
  terminal = await open();
}

/** A self-pay sale of one box of protein powder. */
async function sell(): Promise<number> {
  const sale = terminal.startSale();
  sale.addLine({ productId: P.proteinPowder, quantity: 1 });
  expect((await sale.review()).canSettle).toBe(true);
  return (await sale.settle()).invoice.seq;
}

beforeEach(async () => {
  now = EVENING;
  events = [];
  dir = mkdtempSync(join(tmpdir(), 'yg-clock-'));
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  terminal = await open();
  await terminal.updateRulePack();
  await terminal.signIn();
  const product = DEMO_CATALOG.find((p) => p.productId === P.proteinPowder)!;
  await terminal.recordMovement({
    kind: 'purchase',
    movementId: 'PUR-1',
    at: now,
    productId: product.productId,
    productName: product.genericName,
    batchNo: 'B-1',
    traceCodes: [],
    quantity: 10,
    supplierName: '国药控股吉林有限公司',
    unitCostFen: 1000,
  });
});

afterEach(async () => {
  await terminal.close();
  await storage.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a clock set back a day between sales, across a restart', () => {
  it('keeps a chain that verifies, with non-decreasing issue times, and reports the backward clock', async () => {
    expect(await sell()).toBe(1);
    now = EVENING - DAY;
    now += 60_000; // a minute passes on the wrong clock
    expect(await sell()).toBe(2);
    await restart();
    now += 60_000;
    expect(await sell()).toBe(3);

    const records = await terminal.invoices.records();
    const keys = await terminal.invoices.keys();
    const report = await verifyChain(records, keys);
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    const exported = await verifyInvoiceExport(await terminal.invoices.export());
    expect(exported.issues).toEqual([]);
    expect(exported.ok).toBe(true);
    // The receipts' own QR codes verify with the book's keys too.
    for (const record of records)
      expect((await verifyInvoiceQr((await terminal.invoices.receiptQr(record.body.seq))!, keys)).ok).toBe(true);

    // Issue times are monotonic: the receipts issued behind the clock take the last receipt's time.
    const times = records.map((r) => r.body.issuedAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toEqual([EVENING, EVENING, EVENING]);
    // Each receipt issued behind the clock says by how much (signed): an inspector sees the device time.
    expect(records.map((r) => r.body.clockBehindMs)).toEqual([undefined, DAY - 60_000, DAY - 120_000]);

    // The terminal told its UI, for each receipt issued behind the clock (also after the restart).
    expect(events).toEqual([
      { type: 'clock:behind', seq: 2, issuedAt: EVENING, deviceTime: EVENING - DAY + 60_000, behindMs: DAY - 60_000 },
      { type: 'clock:behind', seq: 3, issuedAt: EVENING, deviceTime: EVENING - DAY + 120_000, behindMs: DAY - 120_000 },
    ]);

    // The audit trail has it, locally and as uploaded to the platform (YG06).
    const journal = (await storage.read('audit')).map((e) => e.value).filter((e) => e.kind === 'clock-behind');
    expect(journal).toEqual([
      {
        kind: 'clock-behind',
        at: EVENING,
        terminalId: 'T01',
        invoiceSeq: 2,
        deviceTime: EVENING - DAY + 60_000,
        behindMs: DAY - 60_000,
        saleId: expect.any(String),
      },
      {
        kind: 'clock-behind',
        at: EVENING,
        terminalId: 'T01',
        invoiceSeq: 3,
        deviceTime: EVENING - DAY + 120_000,
        behindMs: DAY - 120_000,
        saleId: expect.any(String),
      },
    ]);
    await terminal.sync.flush();
    const uploaded = simulator
      .audits()
      .flatMap((a) => a.events)
      .filter((e) => e['kind'] === 'clock-behind');
    expect(uploaded.map((e) => e['invoiceSeq'])).toEqual([2, 3]);
    expect(simulator.invoices().map((i) => i.seq)).toEqual([1, 2, 3]);

    // msgids stay unique through the backward clock and the restart.
    const msgids = simulator
      .received()
      .filter((r) => !r.duplicate)
      .map((r) => r.msgid);
    expect(msgids.length).toBeGreaterThan(6);
    expect(new Set(msgids).size).toBe(msgids.length);
    expect(simulator.received().filter((r) => r.duplicate)).toEqual([]);
  });

  it('dates a refund issued behind the clock on the book time line, and adds the clock to the sale audit trail', async () => {
    const sale = terminal.startSale();
    sale.addLine({ productId: P.proteinPowder, quantity: 1 });
    await sale.review();
    const receipt = await sale.settle();
    now = EVENING - DAY;
    const refund = await terminal.refund(receipt.saleId);
    expect(refund.invoice.record.body).toMatchObject({ kind: 'refund', seq: 2, issuedAt: EVENING, clockBehindMs: DAY });
    expect(events).toEqual([
      { type: 'clock:behind', seq: 2, issuedAt: EVENING, deviceTime: EVENING - DAY, behindMs: DAY },
    ]);
    const journal = (await storage.read('audit')).map((e) => e.value).filter((e) => e.kind === 'clock-behind');
    expect(journal).toEqual([
      {
        kind: 'clock-behind',
        at: EVENING,
        terminalId: 'T01',
        saleId: receipt.saleId,
        invoiceSeq: 2,
        deviceTime: EVENING - DAY,
        behindMs: DAY,
      },
    ]);
    await terminal.sync.flush();
    const trail = simulator.audits().find((a) => a.saleId === receipt.saleId)!;
    expect(trail.events.filter((e) => e['kind'] === 'clock-behind').map((e) => e['invoiceSeq'])).toEqual([2]);
    expect((await verifyChain(await terminal.invoices.records(), await terminal.invoices.keys())).issues).toEqual([]);
  });
});
