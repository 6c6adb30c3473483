/**
 * 药品追溯码: one code per box, its product prefix matching the product, never sold before here or on the platform.
 * Seed 003 附件2 三（三）参保人员"利用享受医疗保障待遇的机会转卖药品" is what a code seen twice shows (回流药: a box
 * the fund paid for once, back on a shelf); seed 004 asks pharmacies to "及时通过医保信息系统全面准确传输医保基金使用
 * 有关数据", which a missing or wrong code breaks.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_TRACE_CODES } from '../../../adapters/simulator/index.js';
import {
  barePack,
  box,
  boxes,
  buyerOf,
  cardOf,
  expectClean,
  findingsOf,
  P,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

/** The employee's statin sale on his prescription (2 boxes allowed), lines built by the caller. */
function statinSale(opts: { sold?: readonly string[] } = {}) {
  const { session } = sale({ buyer: buyerOf('active'), ...(opts.sold ? { sold: opts.sold } : {}) });
  const attach = () => session.attachPrescription(rx('active-statin'));
  return { session, attach };
}

describe('trace-code-missing (缺少追溯码)', () => {
  it('吉林（四）及时通过医保信息系统全面准确传输医保基金使用有关数据：warns on 2 boxes of 阿托伐他汀 with one 追溯码 scanned', async () => {
    const { session, attach } = statinSale();
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: [box(P.atorvastatin, 1)] });
    attach();
    const review = await reviewChecked(session);
    const card = cardOf(review, 'trace-code-missing');
    expect(card).toMatchObject({
      findingId: 'trace-code-missing:L1',
      lineId: 'L1',
      severity: 'warning',
      evidence: { productId: P.atorvastatin, needed: 2, scanned: 1 },
      actions: [{ kind: 'reduce-quantity', lineId: 'L1', quantity: 1 }],
    });
    expect(card.summary.zh).toBe('缺少追溯码：需 2 个，已扫 1 个');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['trace-code-missing']);
  });

  it('吉林（四）全面准确传输：a box sold with no code at all is offered removal', async () => {
    const { session, attach } = statinSale();
    session.scan(product(P.atorvastatin).gtins[0]!);
    attach();
    expect(cardOf(await reviewChecked(session), 'trace-code-missing')).toMatchObject({
      evidence: { needed: 1, scanned: 0 },
      actions: [{ kind: 'remove-line', lineId: 'L1' }],
    });
  });

  it('吉林（四）全面准确传输：a 拆零 line needs the code of the box it was cut from', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.ibuprofen, quantity: 0.5, split: true });
    expect(cardOf(await reviewChecked(session), 'trace-code-missing').evidence).toMatchObject({
      needed: 1,
      scanned: 0,
    });
  });

  it('honest: one code per box (and one for a 拆零 line) passes clean', async () => {
    const { session, attach } = statinSale();
    session.scan(box(P.atorvastatin, 1));
    session.scan(box(P.atorvastatin, 2));
    session.addLine({ productId: P.ibuprofen, quantity: 0.5, split: true, traceCodes: [box(P.ibuprofen, 1)] });
    attach();
    expectClean(await reviewChecked(session));
  });

  it('honest: herbal pieces carry no 追溯码 and need none', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.astragalus, quantity: 3 });
    expectClean(await reviewChecked(session));
  });

  it('the reduce-quantity action resolves it', async () => {
    const { session, attach } = statinSale();
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: [box(P.atorvastatin, 1)] });
    attach();
    const card = cardOf(await session.review(), 'trace-code-missing');
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });
});

describe('trace-code-mismatch (追溯码与商品不符)', () => {
  const FOREIGN = '89999990000000000001'; // a product prefix no catalog product has

  it('吉林（四）全面准确传输：blocks a 阿托伐他汀 line carrying a code whose prefix is no known product', async () => {
    const { session, attach } = statinSale();
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: [FOREIGN] });
    attach();
    const review = await reviewChecked(session);
    const card = cardOf(review, 'trace-code-mismatch');
    expect(card).toMatchObject({
      findingId: `trace-code-mismatch:L1:${FOREIGN}`,
      lineId: 'L1',
      severity: 'block',
      evidence: { traceCode: FOREIGN, prefix: '8999999', expectedPrefix: product(P.atorvastatin).traceCodePrefix! },
      actions: [{ kind: 'remove-line', lineId: 'L1' }],
    });
    expect(review.findings.map((f) => f.ruleId)).toEqual(['trace-code-mismatch']);
  });

  it('吉林（四）全面准确传输：blocks a box of another known product on a 自费 line (no 串换, but the code reported would be wrong)', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    const ibuprofenBox = box(P.ibuprofen, 3);
    session.addLine({ productId: P.loratadine, quantity: 1, payMode: 'self-pay', traceCodes: [ibuprofenBox] });
    const review = await reviewChecked(session);
    expect(cardOf(review, 'trace-code-mismatch')).toMatchObject({
      severity: 'block',
      evidence: {
        traceCode: ibuprofenBox,
        prefix: product(P.ibuprofen).traceCodePrefix!,
        expectedPrefix: product(P.loratadine).traceCodePrefix!,
      },
    });
    expect(findingsOf(review, 'substitution')).toEqual([]);
  });

  it('吉林（四）全面准确传输：still blocks a known other product’s box on a fund line when the pack turns substitution off', async () => {
    const { session } = sale({
      buyer: buyerOf('active'),
      pack: barePack({ substitution: { enabled: false, params: {} } }),
    });
    session.addLine({ productId: P.loratadine, quantity: 1, traceCodes: [box(P.ibuprofen, 3)] });
    expect(cardOf(await reviewChecked(session), 'trace-code-mismatch').severity).toBe('block');
  });

  it('one card per code, even when the same wrong code is on the line twice', async () => {
    const { session, attach } = statinSale();
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: [FOREIGN, FOREIGN] });
    attach();
    const review = await reviewChecked(session);
    expect(findingsOf(review, 'trace-code-mismatch').map((f) => f.findingId)).toEqual([
      `trace-code-mismatch:L1:${FOREIGN}`,
    ]);
  });

  it('honest: the statin’s own boxes pass clean', async () => {
    const { session, attach } = statinSale();
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: boxes(P.atorvastatin, 2) });
    attach();
    expectClean(await reviewChecked(session));
  });
});

describe('trace-code-duplicate (追溯码重复：回流药)', () => {
  it('三（三）利用享受医疗保障待遇的机会转卖药品：blocks the demo 回流药 box already sold at another pharmacy (DEMO_TRACE_CODES.resold, per the platform)', async () => {
    const { session, attach } = statinSale({ sold: [DEMO_TRACE_CODES.resold] });
    session.scan(DEMO_TRACE_CODES.resold);
    attach();
    const review = await reviewChecked(session);
    const card = cardOf(review, 'trace-code-duplicate');
    expect(card).toMatchObject({
      findingId: `trace-code-duplicate:L1:${DEMO_TRACE_CODES.resold}`,
      lineId: 'L1',
      severity: 'block',
      evidence: { traceCode: DEMO_TRACE_CODES.resold, where: 'sold-before' },
      actions: [{ kind: 'remove-line', lineId: 'L1' }],
    });
    expect(card.summary.zh).toContain('回流药');
    expect(review.findings.map((f) => f.ruleId)).toEqual(['trace-code-duplicate']);
  });

  it('honest: a fresh box from the shelf (DEMO_TRACE_CODES.fresh) passes clean against the same sold-codes view', async () => {
    const { session, attach } = statinSale({ sold: [DEMO_TRACE_CODES.resold] });
    session.scan(DEMO_TRACE_CODES.fresh[0]!);
    attach();
    expectClean(await reviewChecked(session));
  });

  it('三（三）转卖药品：blocks a code sold here before (the local journal’s soldTraceCodes)', async () => {
    const soldHere = DEMO_TRACE_CODES.fresh[1]!;
    const { session, attach } = statinSale({ sold: [soldHere] });
    session.scan(DEMO_TRACE_CODES.fresh[0]!);
    session.scan(soldHere);
    attach();
    const cards = findingsOf(await reviewChecked(session), 'trace-code-duplicate');
    expect(cards.map((c) => [c.findingId, c.evidence['where']])).toEqual([
      [`trace-code-duplicate:L1:${soldHere}`, 'sold-before'],
    ]);
  });

  it('三（三）转卖药品：blocks the same box scanned twice in one sale (counted as two boxes)', async () => {
    const { session, attach } = statinSale();
    const code = DEMO_TRACE_CODES.fresh[0]!;
    session.scan(code);
    session.scan(code);
    expect(session.lines[0]).toMatchObject({ quantity: 2, traceCodes: [code, code] });
    attach();
    const card = cardOf(await reviewChecked(session), 'trace-code-duplicate');
    expect(card).toMatchObject({
      findingId: `trace-code-duplicate:L1:${code}`,
      evidence: { traceCode: code, where: 'this-sale' },
      actions: [{ kind: 'remove-line', lineId: 'L1' }],
    });
    expect(card.detail.zh).toContain('本单中已扫描过');
  });

  it('三（三）转卖药品：blocks the same code on two lines of one sale, on the later line', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    const code = box(P.ibuprofen, 9);
    session.addLine({ productId: P.ibuprofen, quantity: 1, traceCodes: [code] });
    session.addLine({ productId: P.ibuprofen, quantity: 1, split: false, payMode: 'self-pay', traceCodes: [code] });
    const card = cardOf(await reviewChecked(session), 'trace-code-duplicate');
    expect(card).toMatchObject({ lineId: 'L2', evidence: { where: 'this-sale' } });
    expect(card.detail.en).toContain('line L1');
  });

  it('one card per code and line, when a resold box is also scanned twice', async () => {
    const { session, attach } = statinSale({ sold: [DEMO_TRACE_CODES.resold] });
    session.scan(DEMO_TRACE_CODES.resold);
    session.scan(DEMO_TRACE_CODES.resold);
    attach();
    const cards = findingsOf(await reviewChecked(session), 'trace-code-duplicate');
    expect(cards.map((c) => c.findingId)).toEqual([`trace-code-duplicate:L1:${DEMO_TRACE_CODES.resold}`]);
    expect(cards[0]!.evidence['where']).toBe('sold-before');
  });

  it('removing the line (the card’s action) and scanning a fresh box passes clean', async () => {
    const { session, attach } = statinSale({ sold: [DEMO_TRACE_CODES.resold] });
    session.scan(DEMO_TRACE_CODES.resold);
    const card = cardOf(await session.review(), 'trace-code-duplicate');
    await session.apply(card.actions[0]!, card.findingId);
    session.scan(DEMO_TRACE_CODES.fresh[2]!);
    attach();
    expectClean(await reviewChecked(session));
  });
});
