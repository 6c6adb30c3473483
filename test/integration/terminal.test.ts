/**
 * The facade end to end over loopback HTTP: createTerminal against the simulator, a whole sale from the voucher
 * to the signed receipt (2101 → 2102 → invoice → outbox, atomically), the platform's records afterwards exactly
 * once, refusals at settlement, a lost 2102 answer asked again or reversed, refunds (2103 + refund invoice + 3506),
 * purchases, rule-pack updates and events.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  isYibaoGuardError,
  TERMINAL_NAMES,
  type Storage,
  type Terminal,
  type TerminalEvent,
  type TerminalLayout,
} from '../../src/index.js';
import { verifyChain, verifyInvoiceQr } from '../../src/invoice/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { boxes, NOW, P, prescriptionFor } from '../unit/rules/helpers.js';
import { openTestTerminal } from './till-fixture.js';

let now = NOW;
const clock = { now: () => now };

let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;
let events: TerminalEvent[];

async function open(options: { storage?: Storage<TerminalLayout>; timeoutMs?: number } = {}) {
  const t = await openTestTerminal({
    baseUrl: server.url,
    storage: options.storage ?? storage,
    clock,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    breaker: { threshold: 2, cooldownMs: 20, maxCooldownMs: 40 },
  });
  for (const type of [
    'sale:settled',
    'sale:refunded',
    'finding',
    'settlement:reversed',
    'settlement:unknown',
    'rule-pack',
  ] as const)
    t.on(type, (e) => events.push(e));
  return t;
}

/** Stocks products through purchases (3503), so the stock-shortfall rule sees them on hand. */
async function stock(t: Terminal, items: Record<string, number>) {
  for (const [productId, quantity] of Object.entries(items)) {
    const product = DEMO_CATALOG.find((p) => p.productId === productId)!;
    await t.recordMovement({
      kind: 'purchase',
      movementId: `PUR-${productId}`,
      at: now,
      productId,
      ...(product.medListCode ? { medListCode: product.medListCode } : {}),
      productName: product.genericName,
      batchNo: `B-${productId}`,
      traceCodes: [],
      quantity,
      supplierName: '国药控股吉林有限公司',
      unitCostFen: 1000,
    });
  }
}

/**
 * Waits for `condition`; `ms` only bounds a wait for something that will not happen (generous: the machine may be
 * loaded).
 */
async function until(condition: () => boolean | Promise<boolean>, ms = 30_000) {
  for (const start = Date.now(); !(await condition());) {
    if (Date.now() - start > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const voucher = (key: keyof typeof DEMO_PEOPLE) => ({
  voucher: { kind: 'ec-qr' as const, qr: simulator.issueVoucher(key).qr },
});

beforeEach(async () => {
  now = NOW;
  events = [];
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
  terminal = await open();
  await terminal.updateRulePack();
  await terminal.signIn();
});
afterEach(async () => {
  await terminal.close();
  await server.close();
});

describe('an honest insured sale', () => {
  it('settles 2101 → 2102 → signed invoice, and delivers 3505, the invoice and the audit trail exactly once', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const buyer = await terminal.verifyVoucher(voucher('active'));
    const sale = terminal.startSale(buyer);
    sale.scan(boxes(P.ibuprofen, 1, 501)[0]!);
    const review = await sale.review();
    expect(review.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(review.canSettle).toBe(true);

    const receipt = await sale.settle();
    expect(receipt.setlId).toMatch(/^ST/);
    expect(receipt.split.totalFen).toBe(receipt.lines.reduce((s, l) => s + l.amountFen, 0));
    expect(receipt.split.fundFen + receipt.split.accountFen + receipt.split.cashFen).toBe(receipt.split.totalFen);
    expect(receipt.invoice.signed).toBe(true);
    expect(simulator.committed('2102')).toHaveLength(1);

    // The receipt verifies on its own (QR) and in its chain, with the terminal's key.
    const keys = await terminal.invoices.keys();
    expect((await verifyInvoiceQr(receipt.invoice.qr, keys)).ok).toBe(true);
    expect((await verifyChain(await terminal.invoices.records(), keys)).ok).toBe(true);

    // Stored: the sale record (no personal data) and the ledger moved.
    const record = await terminal.sale(receipt.saleId);
    expect(record).toMatchObject({
      status: 'settled',
      invoice: { seq: receipt.invoice.seq, signed: true },
      settlement: { setlId: receipt.setlId },
    });
    expect(JSON.stringify(record)).not.toContain(DEMO_PEOPLE.active.residentId);
    expect(JSON.stringify(record)).not.toContain(DEMO_PEOPLE.active.name);
    expect(terminal.onHand(P.ibuprofen)).toBe(9);

    // Nothing goes out until the outbox drains; then each record once, and the PII kept apart is gone.
    expect(simulator.committed('3505')).toHaveLength(0);
    // The purchase (3503), the sale's 3505, its invoice (YG01) and its audit trail (YG06).
    expect((await terminal.sync.status()).pending).toBe(4);
    const drained = await terminal.sync.flush();
    expect(drained).toMatchObject({ stoppedBy: 'empty', deadLettered: 0 });
    expect(simulator.committed('3505')).toHaveLength(1);
    expect(simulator.invoices().map((i) => i.seq)).toEqual([receipt.invoice.seq]);
    const [audit] = simulator.audits();
    expect(audit).toMatchObject({ saleId: receipt.saleId, setlId: receipt.setlId });
    expect(audit!.events.map((e) => e.kind)).toContain('sale-review');
    expect(await storage.count('outboxPii')).toBe(0);
    await terminal.sync.flush();
    expect(simulator.committed('3505')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'sale:settled')).toHaveLength(1);
  });

  it('settles a self-pay sale without a voucher: no 2102, an invoice all cash, 3505 as 自费', async () => {
    await stock(terminal, { [P.proteinPowder]: 5 });
    const sale = terminal.startSale();
    sale.addLine({ productId: P.proteinPowder, quantity: 1 });
    expect((await sale.review()).canSettle).toBe(true);
    const receipt = await sale.settle();
    expect(receipt.setlId).toBeUndefined();
    expect(receipt.split).toEqual({
      totalFen: receipt.lines[0]!.amountFen,
      fundFen: 0,
      accountFen: 0,
      cashFen: receipt.lines[0]!.amountFen,
    });
    expect(simulator.committed('2102')).toHaveLength(0);
    await terminal.sync.flush();
    expect(simulator.committed('3505')).toHaveLength(1);
  });
});

describe('settlement refuses what the rules refuse', () => {
  it('blocks a 串换 sale (a health product billed to the fund) until the line goes 自费', async () => {
    await stock(terminal, { [P.proteinPowder]: 5 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    const line = sale.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: DEMO_CATALOG.find((p) => p.productId === P.ibuprofen)!.medListCode!,
    });
    const review = await sale.review();
    const card = review.findings.find((f) => f.ruleId === 'substitution');
    expect(card).toMatchObject({ severity: 'block', lineId: line.lineId });
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
    expect(simulator.received().filter((r) => r.infno === '2101' || r.infno === '2102')).toHaveLength(0);
    expect(events.some((e) => e.type === 'finding' && e.finding.ruleId === 'substitution')).toBe(true);
  });

  it('blocks an Rx drug without a prescription, then settles it with one', async () => {
    await stock(terminal, { [P.atorvastatin]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    for (const code of boxes(P.atorvastatin, 2, 601)) sale.scan(code);
    expect((await sale.review()).findings.some((f) => f.ruleId === 'rx-required' && f.severity === 'block')).toBe(true);
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
    sale.attachPrescription(prescriptionFor('active', [{ productId: P.atorvastatin, quantity: 2, days: 14 }]));
    await expect(sale.settle()).rejects.toMatchObject({ code: 'SALE_NOT_REVIEWED' });
    const review = await sale.review();
    expect(review.findings.filter((f) => f.severity === 'block')).toEqual([]);
    for (const f of review.findings.filter((x) => x.severity === 'warning'))
      await sale.override(f.findingId, { reasonCode: 'doctor-confirmed' });
    const receipt = await sale.settle();
    expect(receipt.sale.prescriptions[0]!.patient).toEqual({ psnNo: DEMO_PEOPLE.active.psnNo });
    expect(JSON.stringify(receipt.sale)).not.toContain(DEMO_PEOPLE.active.residentId);
  });

  it('refuses a deceased holder at the voucher', async () => {
    const error = await terminal.verifyVoucher(voucher('deceased')).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'BUYER_DECEASED')).toBe(true);
  });
});

describe('a lost 2102 answer', () => {
  it('asks again with the same msgid and issues the invoice: charged once', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    sale.scan(boxes(P.ibuprofen, 1, 701)[0]!);
    await sale.review();
    simulator.faults.add({ infno: '2102', kind: 'lose-response', times: 1 });
    const receipt = await sale.settle();
    expect(simulator.settlements()).toHaveLength(1);
    expect(receipt.setlId).toBe(simulator.settlements()[0]!.setlId);
    expect(await storage.count('settlements')).toBe(0);
  });

  it('reverses (2601) when the platform cannot say, and the buyer is not charged', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    sale.scan(boxes(P.ibuprofen, 1, 801)[0]!);
    await sale.review();
    const balance = simulator.balance('active');
    simulator.faults.add({ infno: '2102', kind: 'lose-response', times: 2 });
    const error = await sale.settle().catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'SETTLEMENT_REVERSED')).toBe(true);
    expect(simulator.settlements().every((s) => s.cancelled)).toBe(true);
    expect(simulator.balance('active')).toBe(balance);
    expect(await terminal.invoices.records()).toHaveLength(0);
    // A reversed e-voucher is spent: the buyer refreshes it, and settling again is a new settlement.
    await expect(sale.settle()).rejects.toMatchObject({ code: 'PLATFORM_REJECTED' });
    sale.renewVoucher(await terminal.verifyVoucher(voucher('active')));
    const receipt = await sale.settle();
    expect(receipt.invoice.seq).toBe(1);
    expect(simulator.settlements().filter((s) => !s.cancelled)).toHaveLength(1);
  });

  it('keeps an unanswerable settlement pending, and a restarted terminal reverses it', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    sale.scan(boxes(P.ibuprofen, 1, 901)[0]!);
    await sale.review();
    const balance = simulator.balance('active');
    simulator.faults.add({ infno: '2102', kind: 'lose-response', times: 2 });
    simulator.faults.add({ infno: '2601', kind: 'http-error', status: 503, times: Infinity });
    const error = await sale.settle().catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'SETTLEMENT_OUTCOME_UNKNOWN')).toBe(true);
    expect(await storage.count('settlements')).toBe(1);
    expect(simulator.balance('active')).toBeLessThan(balance);
    // The till crashes; the platform comes back; the terminal opens again over the same storage.
    await terminal.close();
    for (const f of simulator.faults.list()) simulator.faults.clear(f.id);
    terminal = await open();
    expect(await storage.count('settlements')).toBe(0);
    expect(simulator.balance('active')).toBe(balance);
    expect(simulator.committed('2601')).toHaveLength(1);
  });
});

describe('refunds, purchases and rule packs', () => {
  it('refunds an insured sale whole: 2103, a refund invoice, 3506, and the boxes may be sold again', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    const codes = boxes(P.ibuprofen, 1, 1001);
    for (const code of codes) sale.scan(code);
    await sale.review();
    const receipt = await sale.settle();
    const balance = simulator.balance('active');
    const refund = await terminal.refund(receipt.saleId);
    expect(refund.invoice.record.body).toMatchObject({ kind: 'refund', reverses: { seq: receipt.invoice.seq } });
    expect(refund.sale.status).toBe('refunded');
    expect(simulator.balance('active')).toBe(balance + receipt.split.accountFen);
    expect(terminal.onHand(P.ibuprofen)).toBe(10);
    await expect(terminal.refund(receipt.saleId)).rejects.toMatchObject({ code: 'REFUND_INVALID' });
    await terminal.sync.flush();
    expect(simulator.committed('3506')).toHaveLength(1);
    expect(simulator.invoices()).toHaveLength(2);
    const again = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    for (const code of codes) again.scan(code);
    expect((await again.review()).findings.filter((f) => f.ruleId === 'trace-code-duplicate')).toEqual([]);
  });

  it('records a refund whose 2103 answer was lost: asked again with the same msgid, now or after a restart', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sales = [];
    for (const [serial, person] of [
      [1301, 'active'],
      [1302, 'resident'],
    ] as const) {
      const sale = terminal.startSale(await terminal.verifyVoucher(voucher(person)));
      sale.scan(boxes(P.ibuprofen, 1, serial)[0]!);
      await sale.review();
      sales.push(await sale.settle());
    }
    // Lost twice: the cancellation stands on the platform, the till cannot say yet.
    simulator.faults.add({ infno: '2103', kind: 'lose-response', times: 2 });
    await expect(terminal.refund(sales[0]!.saleId)).rejects.toMatchObject({ code: 'REFUND_OUTCOME_UNKNOWN' });
    expect(simulator.settlements().filter((s) => s.cancelled)).toHaveLength(1);
    // Asking again (same msgid) records it: refund invoice, 3506, status.
    const refund = await terminal.refund(sales[0]!.saleId);
    expect(refund.sale.status).toBe('refunded');
    expect(simulator.committed('2103')).toHaveLength(1);
    // A malformed answer, then a crash: the restarted terminal finishes the refund by itself.
    simulator.faults.add({ infno: '2103', kind: 'malformed', times: 2 });
    await expect(terminal.refund(sales[1]!.saleId)).rejects.toMatchObject({ code: 'REFUND_OUTCOME_UNKNOWN' });
    await terminal.close();
    terminal = await open();
    expect((await terminal.sale(sales[1]!.saleId))?.status).toBe('refunded');
    expect(simulator.committed('2103')).toHaveLength(2);
    expect(await storage.list('meta', { prefix: 'refund.pending/' })).toEqual([]);
  });

  it('remembers what each buyer bought: the same drug again before the supply runs out is a refill too soon, until it is refunded', async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const first = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    first.scan(boxes(P.ibuprofen, 1, 1401)[0]!);
    await first.review();
    const receipt = await first.settle();
    // 20 capsules at 2 a day (the catalog's daily dose): 10 days of supply, bought today.
    const again = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    again.scan(boxes(P.ibuprofen, 1, 1402)[0]!);
    const card = (await again.review()).findings.find((f) => f.ruleId === 'repeat-purchase');
    expect(card).toMatchObject({ severity: 'warning', evidence: { daysSupply: 10 } });
    await terminal.refund(receipt.saleId);
    const afterRefund = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    afterRefund.scan(boxes(P.ibuprofen, 1, 1403)[0]!);
    expect((await afterRefund.review()).findings.filter((f) => f.ruleId === 'repeat-purchase')).toEqual([]);
  });

  it('refunds part of a self-pay sale', async () => {
    await stock(terminal, { [P.proteinPowder]: 5 });
    const sale = terminal.startSale();
    const line = sale.addLine({ productId: P.proteinPowder, quantity: 3 });
    await sale.review();
    const receipt = await sale.settle();
    const refund = await terminal.refund(receipt.saleId, { lines: [{ lineId: line.lineId, quantity: 1 }] });
    expect(refund.sale.status).toBe('partly-refunded');
    expect(refund.split.totalFen).toBe(line.unitPriceFen);
    await expect(
      terminal.refund(receipt.saleId, { lines: [{ lineId: line.lineId, quantity: 3 }] }),
    ).rejects.toMatchObject({ code: 'REFUND_INVALID' });
  });

  it('a sale of a drug never bought in is flagged (stock-shortfall), and a purchase clears it', async () => {
    await stock(terminal, { [P.atorvastatin]: 3 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    sale.scan(boxes(P.ibuprofen, 1, 1101)[0]!);
    expect((await sale.review()).findings.some((f) => f.ruleId === 'stock-shortfall')).toBe(true);
    await stock(terminal, { [P.ibuprofen]: 3 });
    expect((await sale.review()).findings.some((f) => f.ruleId === 'stock-shortfall')).toBe(false);
  });

  it('tells the UI when delivery goes offline and comes back, and delivers what queued meanwhile once', async () => {
    const seen: string[] = [];
    terminal.on('offline', () => seen.push('offline'));
    terminal.on('online', () => seen.push('online'));
    terminal.on('sync:progress', (e) => e.delivered && seen.push(`delivered ${e.delivered}`));
    simulator.faults.add({ kind: 'http-error', status: 503, times: Infinity });
    await stock(terminal, { [P.proteinPowder]: 5 });
    const sale = terminal.startSale();
    sale.addLine({ productId: P.proteinPowder, quantity: 1 });
    await sale.review();
    await sale.settle();
    expect((await terminal.sync.flush()).stoppedBy).toBe('transient-failure');
    // The background worker keeps trying; after two failures in a row the circuit opens: offline.
    terminal.sync.start();
    await until(() => seen.includes('offline'));
    expect((await terminal.sync.status()).pending).toBe(4);
    for (const f of simulator.faults.list()) simulator.faults.clear(f.id);
    await until(() => seen.includes('online'));
    await until(async () => (await terminal.sync.status()).pending === 0);
    expect(simulator.committed('3503')).toHaveLength(1);
    expect(simulator.committed('3505')).toHaveLength(1);
    expect((await terminal.sync.status()).pending).toBe(0);
  });

  it("self-audits what it settled: the overridden warning is in the ledger with the pharmacist's reason", async () => {
    await stock(terminal, { [P.ibuprofen]: 10 });
    const sale = terminal.startSale(await terminal.verifyVoucher(voucher('active')));
    for (const code of boxes(P.ibuprofen, 2, 1201)) sale.scan(code);
    const review = await sale.review();
    const warning = review.findings.find((f) => f.ruleId === 'days-supply')!;
    expect(warning.severity).toBe('warning');
    await sale.override(warning.findingId, { reasonCode: 'other', note: '患者出差两周' });
    await sale.review();
    const receipt = await sale.settle();
    const report = await terminal.selfAudit({ from: NOW - 86_400_000, to: NOW + 86_400_000 });
    const entry = report.entries.find((e) => e.ruleId === 'days-supply');
    expect(entry).toMatchObject({ saleId: receipt.saleId, severity: 'warning', productId: P.ibuprofen });
    expect(entry!.tillOutcome).toBe('overridden');
    expect(entry!.override).toMatchObject({ reasonCode: 'other' });
    expect(report.totals.sales).toBe(1);
  });

  it('without the self-audit given to createTerminal, terminal.selfAudit refuses with INVALID_INPUT naming the option', async () => {
    await terminal.close();
    terminal = await openTestTerminal({ baseUrl: server.url, storage, clock, withoutSelfAudit: true });
    const error = await terminal.selfAudit({ from: NOW - 86_400_000, to: NOW + 86_400_000 }).catch((e: unknown) => e);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    expect(error).toMatchObject({ field: 'selfAudit' });
    expect((error as Error).message).toContain("'yibao-guard/audit'");
  });

  it('keeps the rule pack it downloaded, verified, across a restart', async () => {
    const version = terminal.rulePack?.version;
    expect(version).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'rule-pack')).toBe(true);
    await terminal.close();
    terminal = await open();
    expect(terminal.rulePack?.version).toBe(version);
    expect(await terminal.updateRulePack()).toBeUndefined();
  });
});
