/**
 * 串换 — seed 003 附件2 二（一）: 定点药店"串换药品，将不属于医保基金支付的药品、医用耗材、医疗器械等，或以日用品、
 * 保健品以及其它商品串换为医保基金可支付的药品、医用耗材、医疗器械进行销售，并纳入医保基金结算".
 */
import { describe, expect, it } from 'vitest';
import type { SaleLine } from '../../../src/index.js';
import { compilePack, reviewSale } from '../../../src/engine.js';
import {
  box,
  buyerOf,
  cardOf,
  catalog,
  expectCard,
  expectClean,
  findingsOf,
  NOW,
  P,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

const ATORVASTATIN_CODE = product(P.atorvastatin).medListCode as string;

describe('substitution (串换)', () => {
  it('定点药店（一）以保健品串换为医保药品：blocks a protein powder billed as 阿托伐他汀', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    // The till rings up the tin under the statin's 医保 code, billed to the fund.
    session.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: ATORVASTATIN_CODE,
      gtin: product(P.proteinPowder).gtins[0]!,
    });
    const review = await reviewChecked(session);
    const card = cardOf(review, 'substitution');
    expect(card).toMatchObject({
      findingId: 'substitution:L1:category',
      lineId: 'L1',
      severity: 'block',
      evidence: { productId: P.proteinPowder, category: 'health-product', billedCode: ATORVASTATIN_CODE },
      actions: [
        { kind: 'remove-line', lineId: 'L1' },
        { kind: 'switch-to-self-pay', lineId: 'L1' },
      ],
      source: 'local',
    });
    expect(card.summary.zh).toContain('保健品');
    expect(card.detail.zh).toContain(ATORVASTATIN_CODE);
    expect(review.blocked).toBe(true);
    expect(review.canSettle).toBe(false);
  });

  it('honest: the protein powder scanned and sold 自费 passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    const line = session.scan(product(P.proteinPowder).gtins[0]!);
    expect(line.payMode).toBe('self-pay');
    expectClean(await reviewChecked(session));
  });

  it.each([
    ['YP-G002', 'health-product', '保健品'],
    ['YP-G003', 'daily-goods', '日用品'],
    ['YP-G004', 'daily-goods', '日用品'],
    ['YP-G005', 'food', '食品'],
    ['YP-G006', 'device', '器械'],
  ] as const)(
    '定点药店（一）以日用品、保健品以及其它商品串换为医保基金可支付的药品：blocks %s (%s) billed to the fund',
    async (productId, category, zh) => {
      const { session } = sale({ buyer: buyerOf('active') });
      session.addLine({ productId, quantity: 1, payMode: 'fund', medListCode: ATORVASTATIN_CODE });
      const card = cardOf(await reviewChecked(session), 'substitution');
      expect(card).toMatchObject({
        lineId: 'L1',
        severity: 'block',
        evidence: { productId, category, billedCode: ATORVASTATIN_CODE },
      });
      expect(card.summary.zh).toContain(zh);
    },
  );

  it.each(['YP-G002', 'YP-G003', 'YP-G004', 'YP-G005', 'YP-G006'])(
    'honest: %s scanned by its barcode is sold 自费 and passes clean',
    async (productId) => {
      const { session } = sale({ buyer: buyerOf('active') });
      session.scan(product(productId).gtins[0]!);
      expectClean(await reviewChecked(session));
    },
  );

  it('定点药店（一）串换药品：blocks a line whose scanned barcode is another product (a tin of protein powder rung up as the statin)', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    const powderGtin = product(P.proteinPowder).gtins[0]!;
    session.addLine({ productId: P.atorvastatin, quantity: 1, gtin: powderGtin, traceCodes: [box(P.atorvastatin, 1)] });
    session.attachPrescription(rx('active-statin'));
    const review = await reviewChecked(session);
    const card = cardOf(review, 'substitution');
    expect(card).toMatchObject({
      findingId: 'substitution:L1:gtin',
      lineId: 'L1',
      severity: 'block',
      evidence: { gtin: powderGtin, scannedProductId: P.proteinPowder, billedProductId: P.atorvastatin },
      actions: [
        { kind: 'remove-line', lineId: 'L1' },
        { kind: 'switch-to-self-pay', lineId: 'L1' },
      ],
    });
    expect(review.findings.map((f) => f.ruleId)).toEqual(['substitution']);
  });

  it('honest: the statin scanned by its own barcode and box, with its prescription, passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(product(P.atorvastatin).gtins[0]!);
    session.scan(box(P.atorvastatin, 1));
    session.attachPrescription(rx('active-statin'));
    expect(session.lines).toHaveLength(1);
    expectClean(await reviewChecked(session));
  });

  it('定点药店（一）串换药品：blocks a box of 布洛芬 (its 追溯码 prefix) billed as 阿托伐他汀, and leaves it to this rule, not trace-code-mismatch', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    const ibuprofenBox = box(P.ibuprofen, 7);
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: [ibuprofenBox] });
    session.attachPrescription(rx('active-statin'));
    const review = await reviewChecked(session);
    const card = cardOf(review, 'substitution');
    expect(card).toMatchObject({
      findingId: `substitution:L1:box:${ibuprofenBox}`,
      lineId: 'L1',
      severity: 'block',
      evidence: { traceCode: ibuprofenBox, boxProductId: P.ibuprofen, billedProductId: P.atorvastatin },
    });
    expect(card.detail.zh).toContain('布洛芬缓释胶囊');
    expect(findingsOf(review, 'trace-code-mismatch')).toEqual([]);
  });

  it('定点药店（一）串换药品：blocks 布洛芬 billed under the dearer 阿托伐他汀 医保 code', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({
      productId: P.ibuprofen,
      quantity: 1,
      medListCode: ATORVASTATIN_CODE,
      traceCodes: [box(P.ibuprofen, 1)],
    });
    const card = cardOf(await reviewChecked(session), 'substitution');
    expect(card).toMatchObject({
      findingId: 'substitution:L1:code',
      severity: 'block',
      evidence: {
        productId: P.ibuprofen,
        productCode: product(P.ibuprofen).medListCode!,
        billedCode: ATORVASTATIN_CODE,
      },
    });
  });

  it('honest: 布洛芬 billed under its own code passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.ibuprofen, 1));
    expectClean(await reviewChecked(session));
  });

  it.each([
    [P.americanGinseng, '西洋参'],
    [P.ejiao, '阿胶'],
  ])(
    '定点药店（一）将不属于医保基金支付的药品…纳入医保基金结算：blocks %s (丙类, %s) billed to the fund',
    async (productId, name) => {
      const { session } = sale({ buyer: buyerOf('active') });
      const p = product(productId);
      session.addLine({
        productId,
        quantity: 1,
        payMode: 'fund',
        ...(p.traceCodePrefix ? { traceCodes: [box(productId, 1)] } : {}),
      });
      const review = await reviewChecked(session);
      const card = cardOf(review, 'substitution');
      expect(card).toMatchObject({
        findingId: 'substitution:L1:class',
        lineId: 'L1',
        severity: 'block',
        evidence: { productId, insuranceClass: 'C', billedCode: p.medListCode! },
        actions: [
          { kind: 'remove-line', lineId: 'L1' },
          { kind: 'switch-to-self-pay', lineId: 'L1' },
        ],
      });
      expect(card.detail.zh).toContain(name);
      expect(review.blocked).toBe(true);
    },
  );

  it.each([P.americanGinseng, P.ejiao])(
    'honest: %s (丙类) is rung up 自费 by default and passes clean',
    async (productId) => {
      const { session } = sale({ buyer: buyerOf('active') });
      const p = product(productId);
      const line = session.addLine({
        productId,
        quantity: 1,
        ...(p.traceCodePrefix ? { traceCodes: [box(productId, 1)] } : {}),
      });
      expect(line.payMode).toBe('self-pay');
      expectClean(await reviewChecked(session));
    },
  );

  it('定点药店（一）串换药品：blocks a fund line whose product is missing from the catalog', () => {
    const line: SaleLine = {
      lineId: 'L1',
      productId: 'YP-NOT-IN-CATALOG',
      medListCode: ATORVASTATIN_CODE,
      name: '未知商品',
      quantity: 1,
      split: false,
      unitPriceFen: 2870,
      amountFen: 2870,
      traceCodes: [],
      payMode: 'fund',
    };
    const findings = reviewSale(compilePack(), catalog, {
      lines: [line],
      prescriptions: [],
      buyer: buyerOf('active'),
      pharmacy: { agreement: 'active' },
      now: NOW,
    });
    expect(findings).toHaveLength(1);
    expectCard(findings[0]!, ['L1']);
    expect(findings[0]).toMatchObject({
      findingId: 'substitution:L1:unknown',
      severity: 'block',
      evidence: { productId: 'YP-NOT-IN-CATALOG', medListCode: ATORVASTATIN_CODE },
    });
    // The same unknown product sold 自费 draws nothing.
    expect(
      reviewSale(compilePack(), catalog, {
        lines: [{ ...line, payMode: 'self-pay' }],
        prescriptions: [],
        pharmacy: { agreement: 'active' },
        now: NOW,
      }),
    ).toEqual([]);
  });

  it('applying the card’s switch-to-self-pay resolves it on the next review', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.proteinPowder, quantity: 1, payMode: 'fund', medListCode: ATORVASTATIN_CODE });
    const card = cardOf(await session.review(), 'substitution');
    await session.apply(card.actions[1]!, card.findingId);
    expectClean(await reviewChecked(session));
  });
});
