/**
 * 中止协议 — seed 003 附件2 二（六）: "为非定点零售药店、中止医保协议期间的定点零售药店进行医保费用结算".
 */
import { describe, expect, it } from 'vitest';
import { DEMO_PHARMACIES } from '../../../adapters/simulator/index.js';
import { box, buyerOf, cardOf, expectClean, P, reviewChecked, sale } from './helpers.js';

function twoLines(agreement: 'active' | 'suspended' | 'ended') {
  const { session } = sale({ buyer: buyerOf('active'), pharmacy: { agreement } });
  session.scan(box(P.ibuprofen, 1));
  session.addLine({ productId: P.astragalus, quantity: 2 });
  return session;
}

describe('pharmacy-suspended (中止医保协议)', () => {
  it('二（六）中止医保协议期间的定点零售药店进行医保费用结算：blocks a fund sale at the suspended demo pharmacy', async () => {
    expect(DEMO_PHARMACIES.suspended.agreement).toBe('suspended');
    const review = await reviewChecked(twoLines('suspended'));
    const card = cardOf(review, 'pharmacy-suspended');
    expect(card).toMatchObject({
      findingId: 'pharmacy-suspended:sale',
      severity: 'block',
      evidence: { agreement: 'suspended', fundLines: 2 },
      actions: [
        { kind: 'switch-to-self-pay', lineId: 'L1' },
        { kind: 'switch-to-self-pay', lineId: 'L2' },
      ],
    });
    expect(card.lineId).toBeUndefined();
    expect(card.detail.zh).toContain('已中止');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['pharmacy-suspended']);
    expect(review.blocked).toBe(true);
  });

  it('二（六）为非定点零售药店…进行医保费用结算：blocks a fund sale once the agreement has ended', async () => {
    const card = cardOf(await reviewChecked(twoLines('ended')), 'pharmacy-suspended');
    expect(card.evidence).toMatchObject({ agreement: 'ended' });
    expect(card.detail.zh).toContain('已终止');
  });

  it('honest: the suspended pharmacy selling everything 自费 passes clean (its actions, applied, get it there)', async () => {
    const session = twoLines('suspended');
    const card = cardOf(await session.review(), 'pharmacy-suspended');
    for (const action of card.actions) await session.apply(action, card.findingId);
    expect(session.lines.map((l) => l.payMode)).toEqual(['self-pay', 'self-pay']);
    expectClean(await reviewChecked(session));
  });

  it('honest: the same fund sale at the active pharmacy passes clean', async () => {
    expectClean(await reviewChecked(twoLines('active')));
  });
});
