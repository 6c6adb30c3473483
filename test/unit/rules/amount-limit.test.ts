/**
 * 医保支付限额 — seed 003 附件2 四（二）: "非法收取参保人员医保卡或医疗保险证件到定点医疗服务机构刷卡结付相关费用或套现",
 * and 三（三）"利用享受医疗保障待遇的机会转卖药品": what one voucher draws from the fund at pharmacies, per sale
 * (default 2000 元), per CST day (3000 元) and per year (off unless the pack sets it).
 */
import { describe, expect, it } from 'vitest';
import {
  barePack,
  boxes,
  buyerOf,
  cardOf,
  cst,
  expectClean,
  findingsOf,
  P,
  purchase,
  reviewChecked,
  sale,
} from './helpers.js';
import type { RulePack } from '../../../src/schemas/index.js';
import type { PurchaseRecord } from '../../../src/rules/index.js';

/** OTC key drugs and herbal pieces, at most 5 of each (so no other rule speaks): 2030.50 元 in all. */
const BIG_BASKET: ReadonlyArray<[string, number]> = [
  [P.ejiaoSyrup, 5], // 复方阿胶浆 98 × 5
  ['YP-ZYG017', 5], // 蒲地蓝消炎口服液 32.8 × 5
  ['YP-ZYG005', 5], // 蓝岑口服液 26.8 × 5
  ['YP-ZYG029', 5], // 速效救心丸 21.5 × 5
  [P.fritillaria, 5], // 川贝母 58 × 5
  [P.scorpion, 5], // 全蝎 42 × 5
  [P.centipede, 5], // 蜈蚣 35 × 5
  [P.notoginseng, 5], // 三七粉 28 × 5
  ['YP-TYG016', 5], // 人参片 26 × 5
  ['YP-TYG012', 5], // 天麻 22 × 5
  ['YP-TYG014', 5], // 砂仁 16 × 5
];

function basket(items: ReadonlyArray<[string, number]>, opts: { purchases?: PurchaseRecord[]; pack?: RulePack } = {}) {
  const { session } = sale({ buyer: buyerOf('active'), ...opts });
  for (const [productId, n] of items) {
    const traceable = productId.startsWith('YP-Z') || productId.startsWith('YP-X');
    session.addLine({ productId, quantity: n, ...(traceable ? { traceCodes: boxes(productId, n) } : {}) });
  }
  return session;
}

/** 复方阿胶浆 ×5 + 川贝母 ×2: 606 元. */
const SMALL: ReadonlyArray<[string, number]> = [
  [P.ejiaoSyrup, 5],
  [P.fritillaria, 2],
];

describe('amount-limit (医保支付限额)', () => {
  it('四（二）…刷卡结付相关费用或套现：warns on one sale of 2030.50 元 over the 2000 元 per-sale ceiling', async () => {
    const session = basket(BIG_BASKET);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'amount-limit');
    expect(card).toMatchObject({
      findingId: 'amount-limit:sale:sale',
      severity: 'warning',
      evidence: { period: 'sale', amountFen: 203_050, limitFen: 200_000 },
      // The largest line (复方阿胶浆, 490 元) is the one to take out or switch first.
      actions: [
        { kind: 'switch-to-self-pay', lineId: 'L1' },
        { kind: 'remove-line', lineId: 'L1' },
      ],
    });
    expect(card.lineId).toBeUndefined();
    expect(card.summary.zh).toBe('医保支付超限：单笔 2030.50 元 > 2000.00 元');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['amount-limit']);
  });

  it('honest: the same basket without the 砂仁 (1950.50 元) passes clean', async () => {
    expectClean(await reviewChecked(basket(BIG_BASKET.slice(0, -1))));
  });

  it('the card’s action (largest line to 自费) brings the sale under the ceiling', async () => {
    const session = basket(BIG_BASKET);
    const card = cardOf(await session.review(), 'amount-limit');
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('四（二）…刷卡结付相关费用或套现：warns when today’s fund total (2500 元 earlier today + 606 元) passes the 3000 元 daily ceiling', async () => {
    const session = basket(SMALL, {
      purchases: [purchase(P.fritillaria, cst(2026, 11, 23, 8), 1, { fundFen: 250_000 })],
    });
    const card = cardOf(await reviewChecked(session), 'amount-limit');
    expect(card).toMatchObject({
      findingId: 'amount-limit:sale:day',
      evidence: { period: 'day', amountFen: 310_600, limitFen: 300_000 },
    });
    expect(card.summary.zh).toContain('当日累计');
  });

  it('honest: 2300 元 earlier today + 606 元 stays under the daily ceiling', async () => {
    expectClean(
      await reviewChecked(
        basket(SMALL, { purchases: [purchase(P.fritillaria, cst(2026, 11, 23, 8), 1, { fundFen: 230_000 })] }),
      ),
    );
  });

  it('honest: 2500 元 spent yesterday at 23:59 CST does not count toward today', async () => {
    expectClean(
      await reviewChecked(
        basket(SMALL, { purchases: [purchase(P.fritillaria, cst(2026, 11, 22, 23, 59), 1, { fundFen: 250_000 })] }),
      ),
    );
  });

  const yearly = barePack({ 'amount-limit': { enabled: true, params: { perYearFen: 1_000_000 } } });

  it('四（二）…刷卡结付相关费用或套现：warns when the year’s fund total passes a pack’s 10000 元 yearly ceiling', async () => {
    const session = basket(SMALL, {
      pack: yearly,
      purchases: [purchase(P.fritillaria, cst(2026, 3, 1, 9), 1, { fundFen: 950_000 })],
    });
    const card = cardOf(await reviewChecked(session), 'amount-limit');
    expect(card).toMatchObject({
      findingId: 'amount-limit:sale:year',
      evidence: { period: 'year', amountFen: 1_010_600, limitFen: 1_000_000 },
    });
  });

  it('honest: last year’s purchases (2025-12-31 23:00 CST) do not count, and without the pack’s ceiling there is no yearly limit', async () => {
    expectClean(
      await reviewChecked(
        basket(SMALL, {
          pack: yearly,
          purchases: [purchase(P.fritillaria, cst(2025, 12, 31, 23), 1, { fundFen: 950_000 })],
        }),
      ),
    );
    expectClean(
      await reviewChecked(
        basket(SMALL, { purchases: [purchase(P.fritillaria, cst(2026, 3, 1, 9), 1, { fundFen: 950_000 })] }),
      ),
    );
  });

  it('counts only what is billed to the fund', async () => {
    const session = basket(BIG_BASKET);
    session.setPayMode('L11', 'self-pay');
    expect(findingsOf(await reviewChecked(session), 'amount-limit')).toEqual([]);
  });
});
