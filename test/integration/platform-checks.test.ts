/**
 * What the till asks the platform at review, a whole till over real HTTP on 127.0.0.1. 限定支付范围 against the
 * platform's 门诊慢特病 registrations (5301): a drug the fund pays only for a registered disease is judged by what the
 * platform holds, asked once per sale; a buyer it knows unregistered is a block, and a platform that cannot be asked
 * leaves a warning that says so. The benefit check (2001): a benefit the platform refuses is a card with its reason
 * before settlement, not a 2101 error after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  TERMINAL_NAMES,
  type Storage,
  type Terminal,
  type TerminalLayout,
} from '../../src/index.js';
import {
  createSimulator,
  DEMO_CATALOG,
  DEMO_PEOPLE,
  DEMO_PHARMACIES,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { boxes, NOW, P, prescriptionFor } from '../unit/rules/helpers.js';
import { openTestTerminal } from './till-fixture.js';

const clock = { now: () => NOW };
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;
let terminal: Terminal;

beforeEach(async () => {
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
  terminal = await openTestTerminal({ baseUrl: server.url, storage, clock, timeoutMs: 2_000 });
  await terminal.updateRulePack();
  await terminal.signIn();
});
afterEach(async () => {
  await terminal.close();
  await server.close();
});

const asked5301 = () => simulator.received().filter((r) => r.infno === '5301');

/** A sale of one box of 甘精胰岛素 (限糖尿病门诊慢特病 M03100) to `who` on the fund, with their prescription. */
async function insulinSale(who: keyof typeof DEMO_PEOPLE) {
  const sale = terminal.startSale(
    await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher(who).qr } }),
  );
  for (const code of boxes(P.insulinGlargine, 1, 301)) sale.scan(code);
  sale.attachPrescription(prescriptionFor(who, [{ productId: P.insulinGlargine, quantity: 1, days: 30 }]));
  expect(sale.lines[0]?.payMode).toBe('fund');
  return sale;
}

describe("payment scope and the platform's chronic-disease registrations (5301)", () => {
  it('M03100 is a restriction of the demo catalog the test relies on', () => {
    const insulin = DEMO_CATALOG.find((p) => p.productId === P.insulinGlargine);
    expect(insulin?.paymentRestriction?.diseaseCodes).toEqual(['M03100']);
    expect(DEMO_PEOPLE.chronic.chronicDiseases.map((d) => d.code)).toContain('M03100');
  });

  it('honest: the registered diabetic gets no payment-scope card, and the platform is asked once for the sale', async () => {
    const sale = await insulinSale('chronic');
    expect((await sale.review()).findings.filter((f) => f.ruleId === 'payment-scope')).toEqual([]);
    await sale.review();
    expect(asked5301()).toHaveLength(1);
    expect(asked5301()[0]?.outcome).toBe(0);
  });

  it('blocks insulin on the fund for a buyer the platform knows unregistered; 自费 clears it', async () => {
    const sale = await insulinSale('active');
    const review = await sale.review();
    const card = review.findings.find((f) => f.ruleId === 'payment-scope');
    expect(card).toMatchObject({ severity: 'block', evidence: { registrations: 'platform' } });
    expect(card?.detail.zh).toContain('医保平台的慢特病备案中没有该病种');
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
    await sale.apply(card!.actions[0]!, card!.findingId);
    expect(sale.lines[0]?.payMode).toBe('self-pay');
    expect((await sale.review()).findings.filter((f) => f.ruleId === 'payment-scope')).toEqual([]);
  });

  it('the platform unreachable for 5301: a warning that the registration could not be confirmed, asked again next review', async () => {
    // The platform down for the review (its own 3101 analysis would otherwise flag the line too).
    for (const infno of ['5301', '3101'])
      simulator.faults.add({ infno, kind: 'http-error', status: 503, times: Infinity });
    const sale = await insulinSale('active');
    const card = (await sale.review()).findings.find((f) => f.ruleId === 'payment-scope');
    expect(card).toMatchObject({
      findingId: 'payment-scope:L1:unconfirmed',
      severity: 'warning',
      evidence: { registrations: 'unconfirmed' },
    });
    expect(card?.summary.zh).toContain('慢特病备案无法核实');
    // The platform back: the next review asks again and the answer decides.
    simulator.faults.clear();
    const again = (await sale.review()).findings.find((f) => f.ruleId === 'payment-scope');
    expect(again?.severity).toBe('block');
    expect(asked5301().filter((r) => r.outcome === 0)).toHaveLength(1);
  });

  it('the registered diabetic with the platform unreachable: her voucher’s own registration still qualifies her', async () => {
    simulator.faults.add({ infno: '5301', kind: 'timeout', times: Infinity });
    const sale = await insulinSale('chronic');
    expect((await sale.review()).findings.filter((f) => f.ruleId === 'payment-scope')).toEqual([]);
    // It was asked, and did not answer.
    expect(asked5301().length).toBeGreaterThan(0);
    expect(asked5301().every((r) => r.outcome === null)).toBe(true);
  });
});

describe("the platform's benefit check (2001) before settlement", () => {
  const asked2001 = () => simulator.received().filter((r) => r.infno === '2001');
  const REASON = { zh: '参保人待遇已暂停（单位欠费）', en: 'benefits suspended (employer arrears)' };

  async function ibuprofenSale() {
    const sale = terminal.startSale(
      await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr } }),
    );
    for (const code of boxes(P.ibuprofen, 1, 401)) sale.scan(code);
    expect(sale.lines[0]?.payMode).toBe('fund');
    return sale;
  }

  it('honest: a benefit the platform grants leaves no card, asked once for the sale', async () => {
    const sale = await ibuprofenSale();
    expect((await sale.review()).findings.filter((f) => f.ruleId === 'buyer-status')).toEqual([]);
    await sale.review();
    expect(asked2001()).toHaveLength(1);
    expect(asked2001()[0]?.outcome).toBe(0);
  });

  it('a benefit refused after verification: a block with the platform’s reason, and nothing sent for settlement', async () => {
    const sale = await ibuprofenSale();
    simulator.refuseBenefit('active', REASON);
    const review = await sale.review();
    const card = review.findings.find((f) => f.ruleId === 'buyer-status');
    expect(card).toMatchObject({ findingId: 'buyer-status:sale:benefit', severity: 'block' });
    expect(card?.detail.zh).toContain(REASON.zh);
    expect(card?.evidence['reason']).toContain(REASON.zh);
    await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
    expect(simulator.received().filter((r) => r.infno === '2101' || r.infno === '2102')).toEqual([]);
  });

  it('a till whose pharmacy the platform holds suspended (the till told it is active): blocked at review, no 2101', async () => {
    const suspended = await openTestTerminal({
      baseUrl: server.url,
      storage: createMemoryStorage({ names: TERMINAL_NAMES }),
      clock,
      pharmacy: DEMO_PHARMACIES.suspended,
    });
    try {
      await suspended.updateRulePack();
      await suspended.signIn();
      const sale = suspended.startSale(
        await suspended.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr } }),
      );
      for (const code of boxes(P.ibuprofen, 1, 451)) sale.scan(code);
      const card = (await sale.review()).findings.find((f) => f.findingId === 'buyer-status:sale:benefit');
      expect(card?.severity).toBe('block');
      expect(card?.detail.zh).toContain('协议已暂停');
      await expect(sale.settle()).rejects.toMatchObject({ code: 'RULE_BLOCKED' });
      expect(simulator.received().filter((r) => r.infno === '2101' || r.infno === '2102')).toEqual([]);
    } finally {
      await suspended.close();
    }
  });

  it('the platform unreachable for 2001: no card, the check is left to settlement', async () => {
    simulator.faults.add({ infno: '2001', kind: 'http-error', status: 503, times: Infinity });
    const sale = await ibuprofenSale();
    expect((await sale.review()).findings.filter((f) => f.ruleId === 'buyer-status')).toEqual([]);
    // It was asked, and answered 503.
    expect(asked2001().length).toBeGreaterThan(0);
    expect(asked2001().every((r) => r.status === 503)).toBe(true);
    simulator.faults.clear();
  });
});
