/**
 * 空刷 — seed 003 附件2 二（五）: 定点药店"与购买人串通勾结，利用参保人医疗保障凭证（社保卡）采取空刷…骗取医保基金结算":
 * selling more than the stock ledger has on hand (goods never booked in). A warning: the ledger may lag a delivery.
 */
import { describe, expect, it } from 'vitest';
import {
  box,
  boxes,
  buyerOf,
  cardOf,
  DEMO_ON_HAND,
  expectClean,
  findingsOf,
  P,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

describe('stock-shortfall (库存不足：空刷)', () => {
  it('二（五）利用参保人医疗保障凭证采取空刷：warns when 2 boxes of 阿托伐他汀 are sold with 1 on the ledger', async () => {
    const { session } = sale({ buyer: buyerOf('active'), onHand: { [P.atorvastatin]: 1 } });
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: boxes(P.atorvastatin, 2) });
    session.attachPrescription(rx('active-statin'));
    const review = await reviewChecked(session);
    const card = cardOf(review, 'stock-shortfall');
    expect(card).toMatchObject({
      findingId: 'stock-shortfall:L1',
      lineId: 'L1',
      severity: 'warning',
      evidence: { productId: P.atorvastatin, onHand: 1, sold: 2 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 1 }],
    });
    expect(card.summary.zh).toBe('库存不足：账面 1，本次售出 2');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['stock-shortfall']);
  });

  it('honest: the same sale against the demo pharmacy’s opening stock (13 boxes) passes clean', async () => {
    expect(DEMO_ON_HAND[P.atorvastatin]).toBe(13);
    const { session } = sale({ buyer: buyerOf('active'), onHand: DEMO_ON_HAND });
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: boxes(P.atorvastatin, 2) });
    session.attachPrescription(rx('active-statin'));
    expectClean(await reviewChecked(session));
  });

  it('二（五）空刷：a product never booked in (0 on hand) is offered removal', async () => {
    const { session } = sale({ buyer: buyerOf('active'), onHand: { ...DEMO_ON_HAND, [P.loratadine]: 0 } });
    session.scan(box(P.loratadine, 1));
    expect(cardOf(await reviewChecked(session), 'stock-shortfall')).toMatchObject({
      evidence: { onHand: 0, sold: 1 },
      actions: [{ kind: 'remove-line', lineId: 'L1' }],
    });
  });

  it('二（五）空刷：counts every line of the product, with one card on the first, whose action brings the total to the ledger', async () => {
    const { session } = sale({ buyer: buyerOf('active'), onHand: { [P.ibuprofen]: 1 } });
    session.addLine({ productId: P.ibuprofen, quantity: 1, traceCodes: [box(P.ibuprofen, 1)] });
    session.addLine({ productId: P.ibuprofen, quantity: 0.5, split: true, traceCodes: [box(P.ibuprofen, 2)] });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'stock-shortfall');
    expect(card).toMatchObject({
      lineId: 'L1',
      evidence: { onHand: 1, sold: 1.5 },
      actions: [{ kind: 'remove-line', lineId: 'L2' }],
    });
    await session.apply(card.actions[0]!, card.findingId);
    expect(findingsOf(await reviewChecked(session), 'stock-shortfall')).toEqual([]);
  });

  it('does not speak for products the ledger does not track, or without a ledger', async () => {
    const { session } = sale({ buyer: buyerOf('active'), onHand: {} });
    session.scan(box(P.loratadine, 1));
    expectClean(await reviewChecked(session));
  });
});
