/**
 * 处方药须凭处方 — seed 003 附件2 二（二）: 定点药店"伪造、变造处方或无处方向参保人销售须凭处方购买的药品、医用耗材、
 * 医疗器械等，并纳入医保基金结算".
 */
import { describe, expect, it } from 'vitest';
import {
  actions,
  box,
  boxes,
  buyerOf,
  cardOf,
  cst,
  expectClean,
  findingsOf,
  HOUR,
  NOW,
  P,
  prescriptionFor,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

const STATIN_RX = rx('active-statin'); // 李… (active): 阿托伐他汀钙片 ×2, 14 days, issued 2026-11-22 10:00, valid 3 days
const fix = (lineId: string) => actions({ kind: 'attach-prescription', lineId }, { kind: 'remove-line', lineId });

/** The active employee's statin sale: two boxes scanned, optionally with a prescription. */
function statinSale(opts: { buyer?: Parameters<typeof buyerOf>[0]; now?: number } = {}) {
  const { session, audit } = sale({
    buyer: buyerOf(opts.buyer ?? 'active'),
    ...(opts.now ? { clock: { now: () => opts.now! } } : {}),
  });
  session.scan(box(P.atorvastatin, 1));
  session.scan(box(P.atorvastatin, 2));
  return { session, audit };
}

describe('rx-required (处方药须凭有效处方)', () => {
  it('定点药店（二）无处方向参保人销售须凭处方购买的药品：blocks 阿托伐他汀 with no prescription attached', async () => {
    const { session } = statinSale();
    const review = await reviewChecked(session);
    const card = cardOf(review, 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:missing',
      lineId: 'L1',
      severity: 'block',
      evidence: { productId: P.atorvastatin, rxNo: null },
      actions: fix('L1'),
    });
    expect(card.summary.zh).toContain('未关联处方');
    // Without the prescription's 14 days the ordinary 7-day limit applies too; the block comes first.
    expect(review.findings.map((f) => f.ruleId)).toEqual(['rx-required', 'days-supply']);
    expect(review.blocked).toBe(true);
  });

  it('honest: the same two boxes with the buyer’s own e-prescription pass clean', async () => {
    const { session } = statinSale();
    session.attachPrescription(STATIN_RX);
    expect(session.lines[0]!.rxNo).toBe(STATIN_RX.rxNo);
    expectClean(await reviewChecked(session));
  });

  it('定点药店（二）无处方…销售须凭处方购买的药品：switching the line to 自费 does not make it pass (the drug still needs a prescription)', async () => {
    const { session } = statinSale();
    session.setPayMode('L1', 'self-pay');
    expect(cardOf(await reviewChecked(session), 'rx-required').findingId).toBe('rx-required:L1:missing');
  });

  it('定点药店（二）伪造、变造处方：blocks a prescription presented after its 3 days (issued 2026-11-22 10:00, refused from 2026-11-25 10:00)', async () => {
    const { session } = statinSale({ now: cst(2026, 11, 25, 10) });
    session.attachPrescription(STATIN_RX);
    const card = cardOf(await reviewChecked(session), 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:expired',
      severity: 'block',
      evidence: { productId: P.atorvastatin, rxNo: STATIN_RX.rxNo, issuedOn: '2026-11-22', validDays: 3 },
      actions: fix('L1'),
    });
  });

  it('honest: the same prescription a minute before it lapses passes clean', async () => {
    const { session } = statinSale({ now: cst(2026, 11, 25, 9, 59) });
    session.attachPrescription(STATIN_RX);
    expectClean(await reviewChecked(session));
  });

  it('定点药店（二）无处方向参保人销售须凭处方购买的药品：blocks 阿托伐他汀 sold to the resident on the employee’s prescription (none of her own)', async () => {
    const { session } = statinSale({ buyer: 'resident' });
    session.attachPrescription(STATIN_RX);
    const card = cardOf(await reviewChecked(session), 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:patient',
      severity: 'block',
      evidence: { productId: P.atorvastatin, rxNo: STATIN_RX.rxNo },
      actions: fix('L1'),
    });
    expect(card.summary.en).toContain('someone else');
  });

  it('定点药店（二）无处方向参保人销售：matches the patient by 身份证 when the prescription carries no person number', async () => {
    const { session: other } = statinSale({ buyer: 'resident' });
    const byId = { ...STATIN_RX, patient: { residentId: STATIN_RX.patient.residentId! } };
    other.attachPrescription(byId);
    expect(cardOf(await reviewChecked(other), 'rx-required').findingId).toBe('rx-required:L1:patient');
    const { session: own } = statinSale();
    own.attachPrescription(byId);
    expectClean(await reviewChecked(own));
  });

  it('定点药店（二）变造处方：blocks 阿托伐他汀 dispensed against the antibiotic prescription, which does not list it', async () => {
    const { session } = statinSale();
    const antibiotic = rx('active-antibiotic');
    session.attachPrescription(antibiotic, ['L1']);
    const card = cardOf(await reviewChecked(session), 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:drug',
      severity: 'block',
      evidence: { productId: P.atorvastatin, rxNo: antibiotic.rxNo, medListCode: product(P.atorvastatin).medListCode! },
      actions: fix('L1'),
    });
  });

  it('定点药店（二）变造处方：blocks three boxes against a prescription for two', async () => {
    const { session } = statinSale();
    session.scan(box(P.atorvastatin, 3));
    session.attachPrescription(STATIN_RX);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:quantity',
      severity: 'block',
      evidence: { rxNo: STATIN_RX.rxNo, prescribed: 2, sold: 3 },
      actions: fix('L1'),
    });
    expect(card.summary.zh).toContain('处方 2，本次 3');
  });

  it('定点药店（二）变造处方：counts every line dispensed against the prescription (2 + 1 boxes on two lines)', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: boxes(P.atorvastatin, 2) });
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: [box(P.atorvastatin, 3)] });
    session.attachPrescription(STATIN_RX);
    const cards = findingsOf(await reviewChecked(session), 'rx-required');
    expect(cards.map((c) => [c.findingId, c.evidence['sold']])).toEqual([
      ['rx-required:L1:quantity', 3],
      ['rx-required:L2:quantity', 3],
    ]);
  });

  it('honest: exactly the prescribed two boxes, on two lines, pass clean', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: [box(P.atorvastatin, 1)] });
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: [box(P.atorvastatin, 2)] });
    session.attachPrescription(STATIN_RX);
    expectClean(await reviewChecked(session));
  });

  it('定点药店（二）伪造、变造处方：blocks the 硝苯地平 prescription already dispensed on 2026-11-20, though it has also lapsed', async () => {
    const dispensed = rx('dispensed');
    const { session } = sale({ buyer: buyerOf('resident') });
    session.scan(box(P.nifedipine, 1));
    session.scan(box(P.nifedipine, 2));
    session.attachPrescription(dispensed);
    const card = cardOf(await reviewChecked(session), 'rx-required');
    expect(card).toMatchObject({
      findingId: 'rx-required:L1:used',
      severity: 'block',
      evidence: { productId: P.nifedipine, rxNo: dispensed.rxNo, status: 'dispensed' },
      actions: fix('L1'),
    });
    expect(card.summary.zh).toContain('已调剂');
  });

  it('定点药店（二）伪造、变造处方：blocks the dispensed prescription within its dates too (2026-11-21)', async () => {
    const dispensed = rx('dispensed');
    const { session } = sale({ buyer: buyerOf('resident'), clock: { now: () => cst(2026, 11, 21, 10) } });
    session.addLine({ productId: P.nifedipine, quantity: 2, traceCodes: boxes(P.nifedipine, 2) });
    session.attachPrescription(dispensed);
    expect(cardOf(await reviewChecked(session), 'rx-required').evidence).toMatchObject({ status: 'dispensed' });
  });

  it('honest: the same 硝苯地平 on a fresh prescription for her passes clean', async () => {
    const { session } = sale({ buyer: buyerOf('resident') });
    session.addLine({ productId: P.nifedipine, quantity: 2, traceCodes: boxes(P.nifedipine, 2) });
    session.attachPrescription(prescriptionFor('resident', [{ productId: P.nifedipine, quantity: 2, days: 14 }]));
    expectClean(await reviewChecked(session));
  });

  it('定点药店（二）伪造、变造处方：blocks a revoked prescription (阿莫西林, 作废)', async () => {
    const revoked = rx('revoked');
    const { session } = sale({ buyer: buyerOf('resident') });
    session.addLine({ productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 1)] });
    session.attachPrescription(revoked);
    const card = cardOf(await reviewChecked(session), 'rx-required');
    expect(card).toMatchObject({ findingId: 'rx-required:L1:used', evidence: { status: 'revoked' } });
    expect(card.summary.zh).toContain('已作废');
  });

  it('does not ask a prescription of an OTC drug', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.ibuprofen, 1));
    expect(findingsOf(await reviewChecked(session), 'rx-required')).toEqual([]);
  });

  it('a prescription attached later resolves the card (the attach-prescription action)', async () => {
    const { session } = statinSale({ now: NOW + HOUR });
    const card = cardOf(await session.review(), 'rx-required');
    await session.apply(card.actions[0]!, card.findingId);
    // The till asks for the prescription; applying the action alone changes nothing.
    expect(findingsOf(await session.review(), 'rx-required')).toHaveLength(1);
    session.attachPrescription(STATIN_RX);
    expectClean(await reviewChecked(session));
  });
});
