/**
 * Issue 15 item 2, end to end over loopback HTTP through createTerminal: a rule pack applies only where it was issued
 * (a genuine pack for another area is refused and never moves the version floor), expiry is live (a pack leaves force
 * at its `validUntil`, every review then carries the expired card, insured settlement waits, the till fetches the
 * current pack from YG03 — at most once per interval of the injected clock — and is back in force), and the pack a
 * till already has installs again after a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type Review,
  type Storage,
  type Terminal,
  type TerminalEvent,
  type TerminalLayout,
  type TerminalOptions,
} from '../../src/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  simulatorRulePack,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { signRulePack } from '../../adapters/simulator/keys.js';
import { boxes, HOUR, NOW, P } from '../unit/rules/helpers.js';
import { openTestTerminal, PHARMACY } from './till-fixture.js';

let now = NOW;
const clock = { now: () => now };
/** v1 leaves force two hours after the test's start. */
const EXPIRES = NOW + 2 * HOUR;
/** How often a till with an expired pack may ask YG03 (the terminal's option, set here to make it visible). */
const RETRY_MS = 10 * 60_000;

let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;
let events: TerminalEvent[];

async function open(rulePacks: Pick<TerminalOptions, 'rulePackExpired'> = {}): Promise<Terminal> {
  const t = await openTestTerminal({
    baseUrl: server.url,
    storage,
    clock,
    timeoutMs: 5000,
    rulePacks: { rulePackRetryMs: RETRY_MS, ...rulePacks },
  });
  t.on('rule-pack', (e) => events.push(e));
  return t;
}

async function stock(t: Terminal, productId: string, quantity: number) {
  const product = DEMO_CATALOG.find((p) => p.productId === productId)!;
  await t.recordMovement({
    kind: 'purchase',
    movementId: `PUR-${productId}-${now}`,
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

/** An insured sale of one box of ibuprofen (a fund line), for a fresh e-voucher. */
let serial = 100;
async function insuredSale(t: Terminal = terminal) {
  const buyer = await t.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr } });
  const sale = t.startSale(buyer);
  sale.scan(boxes(P.ibuprofen, 1, (serial += 1))[0]!);
  return sale;
}

const yg03Asked = () => simulator.received().filter((r) => r.infno === 'YG03').length;
const expiredCard = (review: Review) => review.findings.find((f) => f.ruleId === 'rule-pack-expired');

beforeEach(async () => {
  now = NOW;
  events = [];
  simulator = createSimulator({ clock });
  // The platform's v1 is valid until EXPIRES.
  simulator.publishRulePack({ version: 1, validUntil: EXPIRES });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
  terminal = await open();
  await terminal.updateRulePack();
  await terminal.signIn();
  await stock(terminal, P.ibuprofen, 50);
});
afterEach(async () => {
  await terminal.close();
  await server.close();
});

describe('expiry is live', () => {
  it('v1 leaves force at validUntil: the expired card blocks insured settlement, the till fetches the current pack from YG03 (once per interval) and is in force again', async () => {
    expect(terminal.rulePack?.version).toBe(1);

    // One millisecond before: in force, a clean review, no YG03.
    now = EXPIRES - 1;
    const before = await insuredSale();
    const clean = await before.review();
    expect(expiredCard(clean)).toBeUndefined();
    expect(clean.canSettle).toBe(true);
    expect(terminal.rulePack?.version).toBe(1);
    const asked = yg03Asked();

    // At validUntil: out of force. A sale reviewed just before cannot settle on that review any more.
    now = EXPIRES;
    expect(terminal.rulePack).toBeUndefined();
    await expect(before.settle()).rejects.toMatchObject({ code: 'SALE_NOT_REVIEWED' });
    const review = await before.review();
    // The till asked YG03 for the current pack; the platform had nothing newer yet.
    expect(yg03Asked()).toBe(asked + 1);
    const card = expiredCard(review)!;
    expect(card).toMatchObject({ severity: 'block', outcome: 'open', evidence: { packVersion: 1, fundLines: 1 } });
    expect(card.summary.zh).toContain('规则包已于');
    expect(card.summary.en).toContain('expired');
    expect(card.actions).toEqual([{ kind: 'switch-to-self-pay', lineId: before.lines[0]!.lineId }]);
    expect(review.canSettle).toBe(false);
    // Insured settlement refused, and nothing reached the platform's settlement.
    await expect(before.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
    expect(simulator.received().filter((r) => r.infno === '2101' || r.infno === '2102')).toHaveLength(0);

    // Reviews within the interval do not ask the platform again.
    now = EXPIRES + RETRY_MS - 1;
    expect(expiredCard(await before.review())).toBeDefined();
    expect(yg03Asked()).toBe(asked + 1);

    // Self-pay still goes: the card's action switches the line, the card is then information only.
    await before.apply(card.actions[0]!, card.findingId);
    const selfPay = await before.review();
    expect(expiredCard(selfPay)).toMatchObject({ severity: 'info' });
    expect(selfPay.canSettle).toBe(true);
    const cash = await before.settle();
    expect(cash.split.fundFen).toBe(0);
    expect(cash.sale.review.packVersion).toBeUndefined();

    // The platform publishes v2; once the interval has passed, the next review fetches it and it is in force.
    simulator.publishRulePack({ version: 2, validUntil: EXPIRES + 365 * 24 * HOUR });
    now = EXPIRES + RETRY_MS;
    const after = await insuredSale();
    const fresh = await after.review();
    expect(yg03Asked()).toBe(asked + 2);
    expect(terminal.rulePack?.version).toBe(2);
    expect(events).toContainEqual({ type: 'rule-pack', version: 2 });
    expect(expiredCard(fresh)).toBeUndefined();
    expect(fresh.canSettle).toBe(true);
    const receipt = await after.settle();
    expect(receipt.setlId).toBeDefined();
    expect(receipt.sale.review.packVersion).toBe(2);
    expect(simulator.committed('2102')).toHaveLength(1);
  });

  it('configured to warn, the expired card is a warning: insured settlement goes once a pharmacist gives a reason', async () => {
    await terminal.close();
    terminal = await open({ rulePackExpired: 'warn' });
    now = EXPIRES + HOUR;
    const sale = await insuredSale();
    const review = await sale.review();
    const card = expiredCard(review)!;
    expect(card).toMatchObject({ severity: 'warning', outcome: 'open' });
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_WARNING_NOT_OVERRIDDEN' });
    await sale.override(card.findingId, { reasonCode: 'other', note: '平台规则包更新延迟，已电话报备' });
    const receipt = await sale.settle();
    expect(receipt.sale.review.findings).toContainEqual(
      expect.objectContaining({ ruleId: 'rule-pack-expired', outcome: 'overridden' }),
    );
  });

  it('a till opened after its pack expired still shows the expired card (it does not run as if it never had rules)', async () => {
    await terminal.close();
    now = EXPIRES + HOUR;
    terminal = await open();
    expect(terminal.rulePack).toBeUndefined();
    const sale = await insuredSale();
    expect(expiredCard(await sale.review())).toMatchObject({ severity: 'block', evidence: { packVersion: 1 } });
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
  });
});

describe('rule packs apply only where they were issued', () => {
  it('a genuine pack for another area is refused with RULE_PACK_WRONG_SCOPE, is not stored, and the real v2 still installs', async () => {
    const foreign = await signRulePack(simulatorRulePack('310100', 99));
    const error = await terminal.installRulePack(foreign).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RULE_PACK_WRONG_SCOPE' });
    expect((error as Error).message).toContain('310100');
    expect(terminal.rulePack?.version).toBe(1);
    expect((await storage.list('rulePacks')).map((r) => r.key)).toEqual(['current', 'v00000001']);
    simulator.publishRulePack({ version: 2 });
    expect((await terminal.updateRulePack())?.version).toBe(2);
    expect(terminal.rulePack?.version).toBe(2);
  });

  it('the pack a till has installs again after a restart over the same storage; the same version with other content does not', async () => {
    const signed = await signRulePack(simulatorRulePack(PHARMACY.admdvs, 1, { validUntil: EXPIRES }));
    expect((await terminal.installRulePack(signed)).version).toBe(1);
    await terminal.close();
    terminal = await open();
    expect((await terminal.installRulePack(structuredClone(signed))).version).toBe(1);
    expect(terminal.rulePack?.version).toBe(1);
    await expect(
      terminal.installRulePack(await signRulePack(simulatorRulePack(PHARMACY.admdvs, 1))),
    ).rejects.toMatchObject({ code: 'RULE_PACK_STALE' });
  });
});
