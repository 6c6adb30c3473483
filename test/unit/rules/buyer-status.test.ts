/**
 * 参保人状态 — seed 003 附件2 二（四）: 定点药店"明知购买人所持系冒用、盗用他人的，或伪造、变造的医保凭证（社保卡），
 * 仍向其销售…并纳入医保基金结算" and 三（二）参保人员"将本人的医疗保障凭证交由他人冒名使用"; seed 004（十二）"对失信
 * 参保人员，可按照规定采取暂停医疗费用联网结算等措施". Verification refuses these people at the till; the rule is for the
 * HIS hook and the self-audit, which take the standing from elsewhere.
 */
import { describe, expect, it } from 'vitest';
import type { DemoPersonKey } from '../../../adapters/simulator/index.js';
import { PlatformUnavailableError } from '../../../src/errors/index.js';
import { box, buyerOf, cardOf, expectClean, P, reviewChecked, sale } from './helpers.js';

function ibuprofenFor(who: DemoPersonKey) {
  const { session } = sale({ buyer: buyerOf(who) });
  session.scan(box(P.ibuprofen, 1));
  session.setPayMode('L1', 'fund');
  return session;
}

describe('buyer-status (参保人状态)', () => {
  it.each([
    [
      'deceased',
      'deceased',
      '二（四）明知购买人所持系冒用、盗用他人的…医保凭证…仍向其销售：blocks a sale on a dead person’s voucher',
      '已死亡',
    ],
    [
      'suspended',
      'insurance-suspended',
      '三（二）将本人的医疗保障凭证交由他人冒名使用：blocks a sale to a person whose insurance is suspended',
      '暂停参保',
    ],
    [
      'terminated',
      'not-insured',
      '二（四）…医保凭证…仍向其销售：blocks a sale to a person whose insurance has ended',
      '未参保',
    ],
    [
      'blacklisted',
      'settlement-suspended',
      '吉林（十二）对失信参保人员…暂停医疗费用联网结算：blocks a sale to a credit-blacklisted person',
      '失信',
    ],
  ] as const)('%s (%s): %s', async (who, status, _name, zh) => {
    const review = await reviewChecked(ibuprofenFor(who));
    const card = cardOf(review, 'buyer-status');
    expect(card).toMatchObject({
      findingId: 'buyer-status:sale',
      severity: 'block',
      evidence: { status },
      actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
    });
    expect(card.lineId).toBeUndefined();
    expect(card.summary.zh).toContain(zh);
    expect(review.findings.map((f) => f.ruleId)).toEqual(['buyer-status']);
  });

  it('honest: the same sale to an active person passes clean', async () => {
    expectClean(await reviewChecked(ibuprofenFor('active')));
  });

  it('honest: the deceased person’s sale switched to 自费 (the card’s action) passes clean', async () => {
    const session = ibuprofenFor('deceased');
    const card = cardOf(await session.review(), 'buyer-status');
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  describe("the platform's benefit check (2001), asked before settlement", () => {
    function checkedSale(answer: () => Promise<string | undefined>, payMode: 'fund' | 'self-pay' = 'fund') {
      const asked: number[] = [];
      const { session } = sale({ buyer: buyerOf('active'), benefitCheck: () => (asked.push(1), answer()) });
      session.scan(box(P.ibuprofen, 1));
      session.setPayMode('L1', payMode);
      return { session, asked };
    }

    it('a refused benefit is a block with the platform’s reason, whatever the pack, and 自费 ends it', async () => {
      const { session, asked } = checkedSale(async () => '参保人待遇已暂停（单位欠费）');
      const review = await reviewChecked(session);
      const card = cardOf(review, 'buyer-status');
      expect(card).toMatchObject({
        findingId: 'buyer-status:sale:benefit',
        severity: 'block',
        evidence: { benefit: 'refused', reason: '参保人待遇已暂停（单位欠费）' },
        actions: [{ kind: 'switch-to-self-pay', lineId: 'L1' }],
      });
      expect(card.detail.zh).toContain('医保平台待遇检查（2001）：参保人待遇已暂停（单位欠费）');
      expect(review.blocked).toBe(true);
      expect(asked).toHaveLength(1);
      await session.apply(card.actions[0]!, card.findingId);
      expectClean(await reviewChecked(session));
    });

    it('honest: a benefit the platform grants leaves no card', async () => {
      expectClean(await reviewChecked(checkedSale(async () => undefined).session));
    });

    it('a platform that cannot be asked leaves the check to settlement: no card', async () => {
      const { session } = checkedSale(async () => {
        throw new PlatformUnavailableError({ infno: '2001', msgid: 'M1' });
      });
      expectClean(await reviewChecked(session));
    });

    it('asks nothing for a sale with no line on the fund; a bug in the hook is thrown', async () => {
      const { session, asked } = checkedSale(async () => 'refused', 'self-pay');
      expectClean(await reviewChecked(session));
      expect(asked).toHaveLength(0);
      const broken = checkedSale(async () => {
        throw new TypeError('bug');
      });
      await expect(broken.session.review()).rejects.toThrow('bug');
    });
  });
});
