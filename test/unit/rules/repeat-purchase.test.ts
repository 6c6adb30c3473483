/**
 * 重复购药 (refill too soon) — seed 003 附件2 三（三）: 参保人员"利用享受医疗保障待遇的机会转卖药品": the same drug
 * bought again while the last supply should still last. Default tolerance 20 % of the last supply, window 180 days.
 */
import { describe, expect, it } from 'vitest';
import {
  boxes,
  buyerOf,
  cardOf,
  DAY,
  expectClean,
  findingsOf,
  NOW,
  P,
  prescriptionFor,
  purchase,
  reviewChecked,
  sale,
} from './helpers.js';
import type { PurchaseRecord } from '../../../src/rules/index.js';

/** The retiree buys 4 boxes of 缬沙坦 (28 days) on her prescription, with the given history. */
function refill(purchases: PurchaseRecord[], opts: { packages?: number } = {}) {
  const packages = opts.packages ?? 4;
  const { session } = sale({ buyer: buyerOf('chronic'), purchases });
  session.addLine({ productId: P.valsartan, quantity: packages, traceCodes: boxes(P.valsartan, packages) });
  session.attachPrescription(
    prescriptionFor('chronic', [{ productId: P.valsartan, quantity: packages, days: 7 * packages }]),
  );
  return session;
}

/** 4 boxes, 28 days, bought `daysAgo` days before NOW. */
const earlier = (daysAgo: number, extra: Partial<PurchaseRecord> = {}) =>
  purchase(P.valsartan, NOW - daysAgo * DAY, 4, { daysSupply: 28, ...extra });

describe('repeat-purchase (重复购药)', () => {
  it('三（三）利用享受医疗保障待遇的机会转卖药品：warns on 28 days of 缬沙坦 bought again 13 days after the last 28', async () => {
    const session = refill([earlier(13)]);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'repeat-purchase');
    expect(card).toMatchObject({
      findingId: 'repeat-purchase:L1',
      lineId: 'L1',
      severity: 'warning',
      evidence: { genericName: '缬沙坦胶囊', lastPurchase: '2026-11-10', daysSupply: 28, remainingDays: 15 },
      actions: [
        { kind: 'remove-line', lineId: 'L1' },
        { kind: 'switch-to-self-pay', lineId: 'L1' },
      ],
    });
    expect(card.summary.zh).toBe('重复购药：上次购买的药量还可用 15 天');
    // Refill due from 22.4 days after 2026-11-10 10:00 CST.
    expect(card.detail.zh).toContain('最早可于 2026-12-02 再次购买');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['repeat-purchase']);
  });

  it('honest: the same refill 25 days after the last passes clean', async () => {
    expectClean(await reviewChecked(refill([earlier(25)])));
  });

  it('三（三）转卖药品：at the edge of tolerance — 5.6 days left of 28 (20 %) passes, a minute earlier warns', async () => {
    const edge = NOW - 22.4 * DAY;
    expectClean(await reviewChecked(refill([purchase(P.valsartan, edge, 4, { daysSupply: 28 })])));
    const tooSoon = cardOf(
      await reviewChecked(refill([purchase(P.valsartan, edge + 60_000, 4, { daysSupply: 28 })])),
      'repeat-purchase',
    );
    expect(tooSoon.evidence).toMatchObject({ daysSupply: 28, remainingDays: 6 });
  });

  it('三（三）转卖药品：looks at the latest purchase of the drug, whatever came before', async () => {
    const card = cardOf(await reviewChecked(refill([earlier(60), earlier(40), earlier(5)])), 'repeat-purchase');
    expect(card.evidence).toMatchObject({ remainingDays: 23 });
  });

  it('a purchase whose days of supply are unknown is passed over for an earlier known one', async () => {
    const card = cardOf(
      await reviewChecked(refill([earlier(10), purchase(P.valsartan, NOW - 2 * DAY, 4)])),
      'repeat-purchase',
    );
    expect(card.evidence).toMatchObject({ remainingDays: 18 });
  });

  it('a purchase outside the window (180 days) is not looked at', async () => {
    expectClean(await reviewChecked(refill([purchase(P.valsartan, NOW - 181 * DAY, 4, { daysSupply: 300 })])));
  });

  it('does not look at other drugs, or at the refill sold 自费', async () => {
    expectClean(await reviewChecked(refill([purchase(P.amlodipine, NOW - 3 * DAY, 1, { daysSupply: 28 })])));
    const session = refill([earlier(3)]);
    session.setPayMode('L1', 'self-pay');
    expect(findingsOf(await reviewChecked(session), 'repeat-purchase')).toEqual([]);
  });
});
