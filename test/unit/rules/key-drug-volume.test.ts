/**
 * 重点药品用量 — seed 003 四（一）: "对2022年医保结算费用排名靠前重点药品耗材（附件1）的基金使用情况予以监测，对其他出现
 * 异常增长的药品、耗材等，也要予以重点关注": a key drug above the buyer's usual packages per purchase (median of the
 * last year × 2), or above 5 packages with too little history. Default severity info (the pack may raise it).
 */
import { describe, expect, it } from 'vitest';
import { simulatorRulePack } from '../../../adapters/simulator/index.js';
import { buyerOf, cardOf, DAY, expectClean, findingsOf, NOW, P, purchase, reviewChecked, sale } from './helpers.js';
import type { RulePack } from '../../../src/schemas/index.js';
import type { PurchaseRecord } from '../../../src/rules/index.js';

function astragalus(bags: number, opts: { purchases?: PurchaseRecord[]; pack?: RulePack; lines?: number } = {}) {
  const { session } = sale({ buyer: buyerOf('active'), ...opts });
  session.addLine({ productId: P.astragalus, quantity: bags });
  return session;
}

describe('key-drug-volume (重点药品用量异常)', () => {
  it('四（一）对…重点药品耗材（附件1）的基金使用情况予以监测：notes 6 bags of 黄芪 in one sale with no history (over 5)', async () => {
    const review = await reviewChecked(astragalus(6));
    const card = cardOf(review, 'key-drug-volume');
    expect(card).toMatchObject({
      findingId: 'key-drug-volume:L1',
      lineId: 'L1',
      severity: 'info',
      evidence: { productId: P.astragalus, packages: 6, usual: null, limit: 5 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 5 }],
    });
    expect(card.summary.zh).toBe('重点药品用量异常：黄芪 6袋');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['key-drug-volume']);
    expect(review.canSettle).toBe(true);
  });

  it('honest: 5 bags pass clean', async () => {
    expectClean(await reviewChecked(astragalus(5)));
  });

  const usually2 = [
    purchase(P.astragalus, NOW - 200 * DAY, 2),
    purchase(P.astragalus, NOW - 100 * DAY, 3),
    purchase(P.astragalus, NOW - 30 * DAY, 2),
  ];

  it('四（一）对其他出现异常增长的药品…也要予以重点关注：notes 5 bags from a buyer who usually buys 2 (over 2 × 2)', async () => {
    const card = cardOf(await reviewChecked(astragalus(5, { purchases: usually2 })), 'key-drug-volume');
    expect(card).toMatchObject({
      evidence: { packages: 5, usual: 2, limit: 4 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 4 }],
    });
    expect(card.detail.zh).toContain('通常每次购买 2袋');
  });

  it('honest: 4 bags from the same buyer pass clean', async () => {
    expectClean(await reviewChecked(astragalus(4, { purchases: usually2 })));
  });

  it('history older than the window (365 days) does not count: 5 bags pass on the no-history limit', async () => {
    const old = [purchase(P.astragalus, NOW - 400 * DAY, 1), purchase(P.astragalus, NOW - 380 * DAY, 1)];
    expectClean(await reviewChecked(astragalus(5, { purchases: old })));
  });

  it('四（一）…异常增长：counts every line of the drug (3 + 3 bags), with the cut on the last', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.astragalus, quantity: 3 });
    session.addLine({ productId: P.astragalus, quantity: 3 });
    const card = cardOf(await reviewChecked(session), 'key-drug-volume');
    expect(card).toMatchObject({
      lineId: 'L1',
      evidence: { packages: 6, limit: 5 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L2', quantity: 2 }],
    });
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('the simulator’s pack raises it to a warning, which stops settlement until overridden', async () => {
    const review = await reviewChecked(astragalus(6, { pack: simulatorRulePack('220100', 1) }));
    expect(cardOf(review, 'key-drug-volume').severity).toBe('warning');
    expect(review.canSettle).toBe(false);
  });

  it('does not look at 自费 lines or drugs off the list', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.astragalus, quantity: 9, payMode: 'self-pay' });
    session.addLine({ productId: 'YP-XOT004', quantity: 1, traceCodes: ['81805480000000000001'] }); // 蒙脱石散, not a key drug
    expect(findingsOf(await reviewChecked(session), 'key-drug-volume')).toEqual([]);
  });
});
