/**
 * 最大用药天数 — seed 003 附件2 三（三）: 参保人员"利用享受医疗保障待遇的机会转卖药品" (buying more than the days
 * allowed, to sell on). Days = packages × package size ÷ daily dose; limits 7 ordinary, 14 mobility-impaired, 30
 * chronic (or as prescribed up to 30), 84 on a long 慢特病 prescription, capped by the catalog's own maximum.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG } from '../../../adapters/simulator/index.js';
import { createCatalog } from '../../../src/engine.js';
import {
  barePack,
  box,
  boxes,
  buyerOf,
  cardOf,
  expectClean,
  findingsOf,
  P,
  prescriptionFor,
  reviewChecked,
  sale,
} from './helpers.js';

const MOBILITY = 'XD14'; // a 特殊人员身份 code the pack counts as 行动不便
const mobilityPack = barePack({ 'days-supply': { enabled: true, params: { mobilityImpairedIdentities: [MOBILITY] } } });

describe('days-supply (最大用药天数)', () => {
  it('三（三）利用享受医疗保障待遇的机会转卖药品：warns on 2 boxes of 氯雷他定 (12 days) over the ordinary 7', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'days-supply');
    expect(card).toMatchObject({
      findingId: 'days-supply:L1',
      lineId: 'L1',
      severity: 'warning',
      evidence: { productId: P.loratadine, days: 12, limit: 7, basis: 'ordinary', packages: 2, maxPackages: 1 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 1 }],
    });
    expect(card.summary.zh).toBe('超过最大用药天数：12 天 > 7 天');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['days-supply']);
  });

  it('honest: one box of 氯雷他定 (6 days) passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.loratadine, 1));
    expectClean(await reviewChecked(session));
  });

  it('honest: one whole box always passes, even when it lasts longer than the limit (布洛芬 20 粒, 10 days)', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.ibuprofen, 1));
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：warns on a second box of 布洛芬 (20 days), offering to cut back to one', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.ibuprofen, 1));
    session.scan(box(P.ibuprofen, 2));
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card).toMatchObject({
      evidence: { days: 20, limit: 7, basis: 'ordinary', packages: 2, maxPackages: 1 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 1 }],
    });
  });

  it('三（三）转卖药品：counts every line of the product together (1 + 1 boxes of 氯雷他定 on two lines)', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.loratadine, quantity: 1, traceCodes: [box(P.loratadine, 1)] });
    session.addLine({ productId: P.loratadine, quantity: 1, traceCodes: [box(P.loratadine, 2)] });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'days-supply');
    expect(card).toMatchObject({
      lineId: 'L1',
      evidence: { days: 12, packages: 2, maxPackages: 1 },
      actions: [{ kind: 'remove-line', lineId: 'L2' }],
    });
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：拆零 is compared to the day — 0.75 box of 布洛芬 (7.5 days) over 7', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.ibuprofen, quantity: 0.75, split: true, traceCodes: [box(P.ibuprofen, 1)] });
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card).toMatchObject({
      evidence: { days: 8, limit: 7, packages: 0.75, maxPackages: 0.7 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 0.7 }],
    });
    await session.apply(card.actions[0]!, card.findingId);
    expect(session.lines[0]).toMatchObject({ quantity: 0.7, amountFen: 1106 });
    expectClean(await reviewChecked(session));
  });

  it('honest: 拆零 of 0.7 box of 布洛芬 (14 粒, 7 days) passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.ibuprofen, quantity: 0.7, split: true, traceCodes: [box(P.ibuprofen, 1)] });
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：a mobility-impaired buyer (pack identity) gets 14 days — 3 boxes of 氯雷他定 (18 days) is over', async () => {
    const { session } = sale({ buyer: buyerOf('active', { identities: [MOBILITY] }), pack: mobilityPack });
    session.addLine({ productId: P.loratadine, quantity: 3, traceCodes: boxes(P.loratadine, 3) });
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card).toMatchObject({
      evidence: { days: 18, limit: 14, basis: 'mobility-impaired', maxPackages: 2 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 2 }],
    });
  });

  it('honest: 2 boxes of 氯雷他定 (12 days) for the mobility-impaired buyer pass clean (the same sale warns for anyone else)', async () => {
    const { session } = sale({ buyer: buyerOf('active', { identities: [MOBILITY] }), pack: mobilityPack });
    session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    expectClean(await reviewChecked(session));
    const { session: other } = sale({ buyer: buyerOf('active'), pack: mobilityPack });
    other.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    expect(cardOf(await reviewChecked(other), 'days-supply').evidence['basis']).toBe('ordinary');
  });

  it('三（三）转卖药品：the catalog’s own maximum caps the tier — 对乙酰氨基酚 is ≤7 days even for the mobility-impaired', async () => {
    const { session } = sale({ buyer: buyerOf('active', { identities: [MOBILITY] }), pack: mobilityPack });
    session.addLine({ productId: P.paracetamol, quantity: 2, traceCodes: boxes(P.paracetamol, 2) });
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card.evidence).toMatchObject({ days: 10, limit: 7, basis: 'catalog maximum', maxPackages: 1 });
  });

  it('三（三）转卖药品：a prescription raises the limit to its days (up to 30) — 3 boxes of 缬沙坦 (21 days) on a 14-day prescription is over', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.valsartan, quantity: 3, traceCodes: boxes(P.valsartan, 3) });
    session.attachPrescription(prescriptionFor('active', [{ productId: P.valsartan, quantity: 3, days: 14 }]));
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card.evidence).toMatchObject({ days: 21, limit: 14, basis: 'prescribed', maxPackages: 2 });
  });

  it('honest: 4 boxes of 缬沙坦 (28 days) on a 28-day prescription pass clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.valsartan, quantity: 4, traceCodes: boxes(P.valsartan, 4) });
    session.attachPrescription(prescriptionFor('active', [{ productId: P.valsartan, quantity: 4, days: 28 }]));
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：a registered 慢特病 gives 30 days — 5 boxes of 缬沙坦 (35 days) for the retiree is over', async () => {
    const { session } = sale({ buyer: buyerOf('chronic') });
    session.addLine({ productId: P.valsartan, quantity: 5, traceCodes: boxes(P.valsartan, 5) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.valsartan, quantity: 5 }]));
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card.evidence).toMatchObject({ days: 35, limit: 30, basis: 'chronic disease', maxPackages: 4 });
    expect(card.actions).toEqual([{ kind: 'reduce-quantity', lineId: 'L1', quantity: 4 }]);
  });

  it('honest: 4 boxes of 缬沙坦 (28 days) pass clean for the retiree, but warn for the employee with no 慢特病', async () => {
    const { session } = sale({ buyer: buyerOf('chronic') });
    session.addLine({ productId: P.valsartan, quantity: 4, traceCodes: boxes(P.valsartan, 4) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.valsartan, quantity: 4 }]));
    expectClean(await reviewChecked(session));
    const { session: other } = sale({ buyer: buyerOf('active') });
    other.addLine({ productId: P.valsartan, quantity: 4, traceCodes: boxes(P.valsartan, 4) });
    other.attachPrescription(prescriptionFor('active', [{ productId: P.valsartan, quantity: 4 }]));
    expect(cardOf(await reviewChecked(other), 'days-supply').evidence).toMatchObject({ limit: 7, basis: 'ordinary' });
  });

  it('三（三）转卖药品：a disease-restricted drug counts as chronic only for its own disease (达格列净 for a hypertension-only retiree)', async () => {
    const { session } = sale({ buyer: buyerOf('chronic', { chronic: ['M03900'] }) });
    session.addLine({ productId: P.dapagliflozin, quantity: 2, traceCodes: boxes(P.dapagliflozin, 2) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.dapagliflozin, quantity: 2 }]));
    const review = await reviewChecked(session);
    expect(cardOf(review, 'days-supply').evidence).toMatchObject({ days: 28, limit: 7, basis: 'ordinary' });
  });

  // The demo catalog caps every chronic drug at 30 days (maxDaysSupply), so the 84-day tier is shown on the same
  // 缬沙坦 without that cap.
  const uncapped = createCatalog(
    DEMO_CATALOG.map((p) => (p.productId === P.valsartan ? (({ maxDaysSupply: _m, ...rest }) => rest)(p) : p)),
  );

  it('三（三）转卖药品：a long 慢特病 prescription allows up to 84 days — 13 boxes of 缬沙坦 (91 days) on a 91-day prescription is over 84', async () => {
    const { session } = sale({ buyer: buyerOf('chronic'), catalog: uncapped });
    session.addLine({ productId: P.valsartan, quantity: 13, traceCodes: boxes(P.valsartan, 13) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.valsartan, quantity: 13, days: 91 }]));
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card.evidence).toMatchObject({ days: 91, limit: 84, basis: 'long chronic prescription', maxPackages: 12 });
  });

  it('honest: 12 boxes of 缬沙坦 (84 days) on an 84-day 慢特病 prescription pass clean', async () => {
    const { session } = sale({ buyer: buyerOf('chronic'), catalog: uncapped });
    session.addLine({ productId: P.valsartan, quantity: 12, traceCodes: boxes(P.valsartan, 12) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.valsartan, quantity: 12, days: 84 }]));
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：the catalog’s 30-day maximum caps a long 慢特病 prescription (demo 缬沙坦, 84-day prescription, 6 boxes)', async () => {
    const { session } = sale({ buyer: buyerOf('chronic') });
    session.addLine({ productId: P.valsartan, quantity: 6, traceCodes: boxes(P.valsartan, 6) });
    session.attachPrescription(prescriptionFor('chronic', [{ productId: P.valsartan, quantity: 6, days: 84 }]));
    expect(cardOf(await reviewChecked(session), 'days-supply').evidence).toMatchObject({
      days: 42,
      limit: 30,
      basis: 'catalog maximum',
      maxPackages: 4,
    });
  });

  it('does not look at 自费 lines, or at products without a daily dose', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.loratadine, quantity: 5, payMode: 'self-pay', traceCodes: boxes(P.loratadine, 5) });
    session.addLine({ productId: P.ejiaoSyrup, quantity: 4, traceCodes: boxes(P.ejiaoSyrup, 4) });
    expect(findingsOf(await reviewChecked(session), 'days-supply')).toEqual([]);
  });
});
