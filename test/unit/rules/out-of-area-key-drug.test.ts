/**
 * 异地凭证套刷 — seed 003 附件2 五（四）: "定点零售药店利用异地参保人员医保电子凭证套刷药品倒卖牟利、串换药品等行为", on
 * the key drugs of 附件1. Defaults: 2 packages of one key drug, 500 元 of key drugs per sale.
 */
import { describe, expect, it } from 'vitest';
import { boxes, buyerOf, cardOf, expectClean, findingsOf, P, reviewChecked, sale } from './helpers.js';

describe('out-of-area-key-drug (异地凭证购买重点药品)', () => {
  it('五（四）利用异地参保人员医保电子凭证套刷药品倒卖牟利：warns on 3 bags of 川贝母 for the Shenzhen-insured buyer', async () => {
    const buyer = buyerOf('nonlocal');
    expect(buyer.outOfArea).toBe(true);
    const { session } = sale({ buyer });
    session.addLine({ productId: P.fritillaria, quantity: 3 });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'out-of-area-key-drug');
    expect(card).toMatchObject({
      findingId: 'out-of-area-key-drug:L1',
      lineId: 'L1',
      severity: 'warning',
      evidence: { productId: P.fritillaria, packages: 3, maxPackages: 2 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 2 }],
    });
    expect(card.summary.zh).toBe('异地凭证购买重点药品超量：川贝母 3袋');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['out-of-area-key-drug']);
  });

  it('honest: 2 bags for her pass clean, and 3 bags for a local buyer draw nothing from this rule', async () => {
    const { session } = sale({ buyer: buyerOf('nonlocal') });
    session.addLine({ productId: P.fritillaria, quantity: 2 });
    expectClean(await reviewChecked(session));
    const { session: local } = sale({ buyer: buyerOf('active') });
    local.addLine({ productId: P.fritillaria, quantity: 3 });
    expectClean(await reviewChecked(local));
  });

  it('五（四）套刷药品倒卖牟利：counts every line of the drug (2 + 2 bags on two lines), with the cut on the last', async () => {
    const { session } = sale({ buyer: buyerOf('nonlocal') });
    session.addLine({ productId: P.fritillaria, quantity: 2 });
    session.addLine({ productId: P.fritillaria, quantity: 2 });
    const card = cardOf(await reviewChecked(session), 'out-of-area-key-drug');
    expect(card).toMatchObject({
      lineId: 'L1',
      evidence: { packages: 4, maxPackages: 2 },
      actions: [{ kind: 'remove-line', lineId: 'L2' }],
    });
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('五（四）套刷药品倒卖牟利：warns on key drugs worth 522 元 in one sale, 2 of each, over 500 元', async () => {
    const { session } = sale({ buyer: buyerOf('nonlocal') });
    session.addLine({ productId: P.ejiaoSyrup, quantity: 2, traceCodes: boxes(P.ejiaoSyrup, 2) }); // 196
    session.addLine({ productId: P.fritillaria, quantity: 2 }); // 116
    session.addLine({ productId: P.scorpion, quantity: 2 }); // 84
    session.addLine({ productId: P.centipede, quantity: 2 }); // 70
    session.addLine({ productId: P.notoginseng, quantity: 2 }); // 56
    const review = await reviewChecked(session);
    const card = cardOf(review, 'out-of-area-key-drug');
    expect(card).toMatchObject({
      findingId: 'out-of-area-key-drug:sale:amount',
      severity: 'warning',
      evidence: { amountFen: 52_200, maxAmountFen: 50_000 },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.summary.zh).toBe('异地凭证购买重点药品金额超限：522.00 元');
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('does not count 自费 lines or drugs off the key-drug list', async () => {
    const { session } = sale({ buyer: buyerOf('nonlocal') });
    session.addLine({ productId: P.fritillaria, quantity: 5, payMode: 'self-pay' });
    session.addLine({ productId: P.loratadine, quantity: 1, traceCodes: boxes(P.loratadine, 1) });
    expect(findingsOf(await reviewChecked(session), 'out-of-area-key-drug')).toEqual([]);
  });
});
