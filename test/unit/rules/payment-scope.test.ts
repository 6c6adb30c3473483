/**
 * 限定支付范围 — seed 003 附件2 二（三）: 定点药店"超医保限定支付条件和范围向参保人销售药品、医用耗材、医疗器械等，并纳入
 * 医保基金结算". Not met → a warning whose one action is "switch to 自费".
 */
import { describe, expect, it } from 'vitest';
import {
  box,
  boxes,
  buyerOf,
  cardOf,
  expectClean,
  findingsOf,
  P,
  prescriptionFor,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';
import type { DemoPersonKey } from '../../../adapters/simulator/index.js';
import { PlatformUnavailableError } from '../../../src/errors/index.js';

/** A sale of `packages` of a restricted Rx drug to `who`, with their own prescription for it. */
function restrictedSale(who: DemoPersonKey, productId: string, packages: number) {
  const { session } = sale({ buyer: buyerOf(who) });
  session.addLine({ productId, quantity: packages, traceCodes: boxes(productId, packages) });
  session.attachPrescription(prescriptionFor(who, [{ productId, quantity: packages, days: 10 }]));
  return session;
}

describe('payment-scope (限定支付范围)', () => {
  it('定点药店（三）超医保限定支付条件和范围向参保人销售药品：warns when 非那雄胺片 (限男性) is billed to the fund for a woman', async () => {
    const session = restrictedSale('resident', P.finasteride, 1);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'payment-scope');
    expect(card).toMatchObject({
      findingId: 'payment-scope:L1:unmet',
      lineId: 'L1',
      severity: 'warning',
      evidence: { productId: P.finasteride, unmet: 'male only', amountFen: 3650 },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.summary.zh).toContain('非那雄胺片');
    expect(card.detail.zh).toContain('限男性');
    expect(card.detail.zh).toContain('36.50 元');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['payment-scope']);
    expect(review.canSettle).toBe(false);
  });

  it('honest: 非那雄胺片 for a man (the active employee) passes clean', async () => {
    expectClean(await reviewChecked(restrictedSale('active', P.finasteride, 1)));
  });

  it('honest: the woman’s 非那雄胺片 switched to 自费 (the card’s action) passes clean', async () => {
    const session = restrictedSale('resident', P.finasteride, 1);
    const card = cardOf(await session.review(), 'payment-scope');
    await session.apply(card.actions[0]!, card.findingId);
    expect(session.lines[0]!.payMode).toBe('self-pay');
    expectClean(await reviewChecked(session));
  });

  it('定点药店（三）超医保限定支付条件和范围：warns when 司库奇尤单抗 (限成人, 18 岁及以上) is billed for a 7-year-old', async () => {
    const session = restrictedSale('child', P.secukinumab, 1);
    const card = cardOf(await reviewChecked(session), 'payment-scope');
    expect(card).toMatchObject({
      findingId: 'payment-scope:L1:unmet',
      severity: 'warning',
      evidence: { productId: P.secukinumab, unmet: 'age 18 or over', amountFen: 59_800 },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.detail.zh).toContain('限 18 岁及以上');
  });

  it('定点药店（三）超医保限定支付条件和范围：warns when the buyer’s age is unknown for an age-restricted drug', async () => {
    const { age: _age, ...ageless } = buyerOf('active');
    const { session } = sale({ buyer: ageless });
    session.addLine({ productId: P.secukinumab, quantity: 1, traceCodes: [box(P.secukinumab, 1)] });
    session.attachPrescription(prescriptionFor('active', [{ productId: P.secukinumab, quantity: 1 }]));
    expect(cardOf(await reviewChecked(session), 'payment-scope').evidence['unmet']).toBe('age 18 or over');
  });

  it('honest: 司库奇尤单抗 for an adult passes clean', async () => {
    expectClean(await reviewChecked(restrictedSale('active', P.secukinumab, 1)));
  });

  it('定点药店（三）超医保限定支付条件和范围：warns when 达格列净片 (限糖尿病门诊慢特病 M03100) is billed for a buyer with no such registration', async () => {
    const session = restrictedSale('active', P.dapagliflozin, 1);
    const card = cardOf(await reviewChecked(session), 'payment-scope');
    expect(card).toMatchObject({
      findingId: 'payment-scope:L1:unmet',
      severity: 'warning',
      evidence: { productId: P.dapagliflozin, unmet: 'registered chronic disease (M03100)', amountFen: 5320 },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.detail.zh).toContain('M03100');
  });

  it('honest: the diabetic retiree’s 达格列净片 on her long-term prescription passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('chronic') });
    session.addLine({ productId: P.dapagliflozin, quantity: 2, traceCodes: boxes(P.dapagliflozin, 2) });
    session.attachPrescription(rx('chronic-diabetes'));
    expectClean(await reviewChecked(session));
  });

  it('定点药店（三）超医保限定支付条件和范围：names every condition not met (甘精胰岛素 for the employee)', async () => {
    const session = restrictedSale('active', P.insulinGlargine, 1);
    expect(cardOf(await reviewChecked(session), 'payment-scope').evidence['unmet']).toBe(
      'registered chronic disease (M03100)',
    );
  });

  it('a restriction stated only in words (人血白蛋白) is an info card for the pharmacist to confirm, not a stop', async () => {
    const session = restrictedSale('active', P.albumin, 1);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'payment-scope');
    expect(card).toMatchObject({
      findingId: 'payment-scope:L1:text',
      severity: 'info',
      evidence: { productId: P.albumin },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.detail.zh).toContain(product(P.albumin).paymentRestriction!.text!);
    expect(review.canSettle).toBe(true);
  });

  it('does not look at a restricted drug sold 自费', async () => {
    const session = restrictedSale('resident', P.finasteride, 1);
    session.setPayMode('L1', 'self-pay');
    expect(findingsOf(await reviewChecked(session), 'payment-scope')).toEqual([]);
  });

  describe("against the platform's chronic-disease registrations (5301)", () => {
    /** A sale whose buyer's registrations the platform answers with `codes` (or fails to, with `failure`). */
    function askedSale(who: DemoPersonKey, productId: string, answer: () => Promise<readonly string[]>) {
      const asked: number[] = [];
      const { session } = sale({
        buyer: buyerOf(who),
        chronicRegistrations: () => (asked.push(1), answer()),
      });
      session.addLine({ productId, quantity: 1, traceCodes: boxes(productId, 1) });
      session.attachPrescription(prescriptionFor(who, [{ productId, quantity: 1, days: 10 }]));
      return { session, asked };
    }

    it('定点药店（三）：blocks 达格列净片 on the fund when the platform knows no M03100 registration for the buyer', async () => {
      const { session, asked } = askedSale('active', P.dapagliflozin, async () => ['M00800']);
      const review = await reviewChecked(session);
      const card = cardOf(review, 'payment-scope');
      expect(card).toMatchObject({
        findingId: 'payment-scope:L1:unmet',
        severity: 'block',
        evidence: { productId: P.dapagliflozin, registrations: 'platform' },
        actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
      });
      expect(card.detail.zh).toContain('医保平台的慢特病备案中没有该病种');
      expect(review.blocked).toBe(true);
      expect(asked).toHaveLength(1);
      // The card's action (自费) ends it.
      await session.apply(card.actions[0]!, card.findingId);
      expect(findingsOf(await reviewChecked(session), 'payment-scope')).toEqual([]);
    });

    it("honest: the platform's registration qualifies a buyer whose voucher showed none", async () => {
      const { session } = askedSale('active', P.dapagliflozin, async () => ['M03100']);
      expect(findingsOf(await reviewChecked(session), 'payment-scope')).toEqual([]);
    });

    it('warns that the qualification could not be confirmed when the platform cannot be asked', async () => {
      const { session } = askedSale('active', P.dapagliflozin, async () => {
        throw new PlatformUnavailableError({ infno: '5301', msgid: 'M1' });
      });
      const card = cardOf(await reviewChecked(session), 'payment-scope');
      expect(card).toMatchObject({
        findingId: 'payment-scope:L1:unconfirmed',
        severity: 'warning',
        evidence: { registrations: 'unconfirmed' },
        actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
      });
      expect(card.summary.zh).toContain('慢特病备案无法核实');
    });

    it("honest: the platform unreachable, the voucher's own registration still qualifies the diabetic retiree", async () => {
      const { session } = askedSale('chronic', P.dapagliflozin, async () => {
        throw new PlatformUnavailableError({ infno: '5301', msgid: 'M1' });
      });
      expect(findingsOf(await reviewChecked(session), 'payment-scope')).toEqual([]);
    });

    it('asks nothing for a basket without a disease-restricted fund line, and a bug in the hook is thrown', async () => {
      const { session, asked } = askedSale('resident', P.finasteride, async () => []);
      expect(cardOf(await reviewChecked(session), 'payment-scope').severity).toBe('warning');
      expect(asked).toHaveLength(0);
      const broken = askedSale('active', P.dapagliflozin, async () => {
        throw new TypeError('bug');
      });
      await expect(broken.session.review()).rejects.toThrow('bug');
    });
  });
});
