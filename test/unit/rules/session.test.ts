/**
 * 事前提醒 at the till (seed 004（四）"在医药机构服务端进行事前提醒、事中监控，实现自查自纠"): the card shown, a warning
 * overridden only with a reason from the pack (audited), a block never overridden, each suggested action applied
 * in one call, and settlement refused until the review is clean.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG, DEMO_PEOPLE, DEMO_TRACE_CODES, simulatorRulePack } from '../../../adapters/simulator/index.js';
import type { AuditEvent } from '../../../src/schemas/index.js';
import { createCatalog } from '../../../src/catalog/product-catalog.js';
import { ProductSchema } from '../../../src/schemas/product.js';
import {
  box,
  boxes,
  buyerOf,
  cardOf,
  expectAuditClean,
  expectClean,
  expectCode,
  findingsOf,
  P,
  prescriptionFor,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

const pack = simulatorRulePack('220100', 1);

/** Two boxes of 氯雷他定 (12 days > 7): one days-supply warning on L1. */
function warningSale() {
  const made = sale({ buyer: buyerOf('active'), pack });
  made.session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
  return made;
}

const kinds = (events: readonly AuditEvent[]) => events.map((e) => e.kind);

describe('overrides', () => {
  it('a warning overridden with a reason code from the pack lets the sale settle, and the override is on the card', async () => {
    const { session } = warningSale();
    const card = cardOf(await reviewChecked(session), 'days-supply');
    expect(card.outcome).toBe('open');
    const override = await session.override(card.findingId, {
      reasonCode: 'doctor-confirmed',
      note: '医师电话确认用药 12 天',
    });
    expect(override).toMatchObject({
      findingId: 'days-supply:L1',
      ruleId: 'days-supply',
      reasonCode: 'doctor-confirmed',
      note: '医师电话确认用药 12 天',
      by: { operatorId: 'OP7', name: '李药师' },
    });
    expect(session.lastReview!.canSettle).toBe(true);
    expect(session.lastReview!.findings[0]).toMatchObject({ outcome: 'overridden', override });
    expect(() => session.assertSettleable()).not.toThrow();
    // Reviewed again unchanged, the decision still applies.
    const again = await session.review();
    expect(again.findings[0]).toMatchObject({ outcome: 'overridden', override });
    expect(again.canSettle).toBe(true);
  });

  it('reason "other" needs a note', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    await expectCode(session.override(card.findingId, { reasonCode: 'other' }), 'OVERRIDE_NOTE_REQUIRED');
    await expectCode(session.override(card.findingId, { reasonCode: 'other', note: '   ' }), 'OVERRIDE_NOTE_REQUIRED');
    expect(session.lastReview!.canSettle).toBe(false);
    await session.override(card.findingId, { reasonCode: 'other', note: '顾客出差两周' });
    expect(session.lastReview!.canSettle).toBe(true);
  });

  it('a reason not in the pack → OVERRIDE_REASON_UNKNOWN', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    const error = await expectCode(
      session.override(card.findingId, { reasonCode: 'customer-insisted' }),
      'OVERRIDE_REASON_UNKNOWN',
    );
    expect(error.field).toBe('reasonCode');
    expect(session.lastReview!.findings[0]!.outcome).toBe('open');
  });

  it('a block → FINDING_NOT_OVERRIDABLE (定点药店（一）串换 cannot be waved through)', async () => {
    const { session } = sale({ buyer: buyerOf('active'), pack });
    session.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: product(P.atorvastatin).medListCode!,
    });
    const card = cardOf(await session.review(), 'substitution');
    await expectCode(
      session.override(card.findingId, { reasonCode: 'doctor-confirmed', note: 'x' }),
      'FINDING_NOT_OVERRIDABLE',
    );
    await expectCode(() => session.assertSettleable(), 'RULE_BLOCKED');
  });

  it('a finding not in the current review (or the sale changed since) → FINDING_NOT_FOUND', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    await expectCode(session.override('days-supply:L9', { reasonCode: 'doctor-confirmed' }), 'FINDING_NOT_FOUND');
    session.scan(box(P.ibuprofen, 1));
    await expectCode(session.override(card.findingId, { reasonCode: 'doctor-confirmed' }), 'FINDING_NOT_FOUND');
  });

  it('an override does not survive a change that makes the finding disappear and come back', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    await session.override(card.findingId, { reasonCode: 'doctor-confirmed' });
    session.setQuantity('L1', 1);
    expect(findingsOf(await session.review(), 'days-supply')).toEqual([]);
    session.setQuantity('L1', 2);
    const back = cardOf(await session.review(), 'days-supply');
    expect(back.findingId).toBe(card.findingId);
    expect(back.outcome).toBe('open');
    await expectCode(() => session.assertSettleable(), 'RULE_WARNING_NOT_OVERRIDDEN');
  });

  it('an override does not cover a different finding under the same id (2 boxes → 3 boxes of 氯雷他定: 12 → 18 days)', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    await session.override(card.findingId, { reasonCode: 'doctor-confirmed' });
    session.setQuantity('L1', 3);
    const changed = cardOf(await session.review(), 'days-supply');
    expect(changed.findingId).toBe(card.findingId);
    expect(changed.evidence['days']).toBe(18);
    expect(changed.outcome).toBe('open');
    expect(session.lastReview!.canSettle).toBe(false);
  });

  it('an override still applies after an unrelated change leaves its finding as it was', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    await session.override(card.findingId, { reasonCode: 'doctor-confirmed' });
    session.scan(box(P.ibuprofen, 1));
    const review = await session.review();
    expect(cardOf(review, 'days-supply').outcome).toBe('overridden');
    expect(review.canSettle).toBe(true);
  });
});

describe('assertSettleable', () => {
  it('refuses SALE_NOT_REVIEWED, RULE_BLOCKED, RULE_WARNING_NOT_OVERRIDDEN in turn, and passes after', async () => {
    const { session } = sale({ buyer: buyerOf('active'), pack });
    session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    session.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: product(P.atorvastatin).medListCode!,
    });
    await expectCode(() => session.assertSettleable(), 'SALE_NOT_REVIEWED');
    const review = await session.review();
    expect(review.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['substitution', 'block'],
      ['days-supply', 'warning'],
    ]);
    const blocked = await expectCode(() => session.assertSettleable(), 'RULE_BLOCKED');
    expect(blocked.field).toBe('substitution:L2:category');
    expect(blocked.messageZh).toContain('串换');
    await session.apply({ kind: 'remove-line', lineId: 'L2' }, 'substitution:L2:category');
    await expectCode(() => session.assertSettleable(), 'SALE_NOT_REVIEWED');
    await session.review();
    const warned = await expectCode(() => session.assertSettleable(), 'RULE_WARNING_NOT_OVERRIDDEN');
    expect(warned.field).toBe('days-supply:L1');
    await session.override('days-supply:L1', { reasonCode: 'chronic-long-rx' });
    expect(() => session.assertSettleable()).not.toThrow();
    session.setPayMode('L1', 'self-pay');
    await expectCode(() => session.assertSettleable(), 'SALE_NOT_REVIEWED');
  });

  it('a review that started before a change (the platform still being asked) never stands for the changed basket', async () => {
    let answer: () => void = () => undefined;
    const platformAsked = new Promise<void>((resolve) => (answer = resolve));
    let calls = 0;
    const { session } = sale({
      buyer: buyerOf('active'),
      pack,
      // The first review waits for the platform; later ones are answered at once.
      platformFindings: async () => {
        if (calls++ === 0) await platformAsked;
        return [];
      },
    });
    session.addLine({ productId: P.ibuprofen, quantity: 1, traceCodes: boxes(P.ibuprofen, 1) });
    const early = session.review();
    // While 3101 is asked about the clean basket, an Rx drug without a prescription is scanned.
    session.addLine({ productId: P.atorvastatin, quantity: 1, traceCodes: boxes(P.atorvastatin, 1) });
    const now = await session.review();
    expect(now.blocked).toBe(true);
    answer();
    expect((await early).canSettle).toBe(true);
    // The clean, older review came in last: the sale still answers to the review of its current basket.
    expect(session.lastReview).toBe(now);
    await expectCode(() => session.assertSettleable(), 'RULE_BLOCKED');
  });

  it('passes with info cards only', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.astragalus, quantity: 6 });
    const review = await session.review();
    expect(review.findings.map((f) => f.severity)).toEqual(['info']);
    expect(() => session.assertSettleable()).not.toThrow();
  });

  it('a closed sale refuses every change (SALE_CLOSED)', async () => {
    const { session } = warningSale();
    session.close();
    await expectCode(() => session.scan(box(P.ibuprofen, 1)), 'SALE_CLOSED');
    await expectCode(session.apply({ kind: 'remove-line', lineId: 'L1' }), 'SALE_CLOSED');
  });
});

describe('actions, one call each', () => {
  it('remove-line resolves a substitution block', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: product(P.atorvastatin).medListCode!,
    });
    const card = cardOf(await session.review(), 'substitution');
    await session.apply(
      card.actions.find((a) => a.kind === 'remove-line')!,
      card.findingId,
    );
    expect(session.lines).toEqual([]);
    expectClean(await reviewChecked(session));
  });

  it('switch-to-self-pay resolves a payment-scope warning', async () => {
    const { session } = sale({ buyer: buyerOf('resident') });
    session.addLine({ productId: P.finasteride, quantity: 1, traceCodes: [box(P.finasteride, 1)] });
    session.attachPrescription(prescriptionFor('resident', [{ productId: P.finasteride, quantity: 1, days: 10 }]));
    const card = cardOf(await session.review(), 'payment-scope');
    await session.apply(card.actions[0]!, card.findingId);
    expectClean(await reviewChecked(session));
  });

  it('reduce-quantity resolves a days-supply warning, and drops the trace codes of the boxes no longer sold', async () => {
    const { session } = warningSale();
    const card = cardOf(await session.review(), 'days-supply');
    expect(card.actions).toEqual([{ kind: 'reduce-quantity', lineId: 'L1', quantity: 1 }]);
    await session.apply(card.actions[0]!, card.findingId);
    expect(session.lines[0]).toMatchObject({ quantity: 1, amountFen: 1850, traceCodes: [box(P.loratadine, 1)] });
    expectClean(await reviewChecked(session));
  });

  it('attach-prescription: the action names the line; attaching the prescription then resolves the block', async () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.scan(box(P.atorvastatin, 1));
    const card = cardOf(await session.review(), 'rx-required');
    await session.apply(card.actions[0]!, card.findingId);
    expect(cardOf(await session.review(), 'rx-required').findingId).toBe(card.findingId);
    session.attachPrescription(rx('active-statin'));
    expectClean(await reviewChecked(session));
  });

  it('an action naming a line not in the sale → SALE_LINE_NOT_FOUND, and changes nothing', async () => {
    const { session, audit } = warningSale();
    await session.review();
    await expectCode(session.apply({ kind: 'remove-line', lineId: 'L9' }), 'SALE_LINE_NOT_FOUND');
    expect(session.lines).toHaveLength(1);
    expect(kinds(audit)).toEqual(['sale-review']);
  });
});

describe('the audit trail', () => {
  it('holds sale-review, finding-override and finding-action events, schema-valid, with no personal data', async () => {
    const { session, audit } = sale({ buyer: buyerOf('active'), pack, sold: [DEMO_TRACE_CODES.resold] });
    session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    session.scan(DEMO_TRACE_CODES.resold);
    session.attachPrescription(rx('active-statin'));
    await session.review();
    const person = DEMO_PEOPLE.active;
    await session.override('days-supply:L1', {
      reasonCode: 'other',
      note: `顾客身份证 ${person.residentId}，电话 13812345678，出差两周`,
    });
    await session.apply({ kind: 'remove-line', lineId: 'L2' }, `trace-code-duplicate:L2:${DEMO_TRACE_CODES.resold}`);
    await session.review();
    expect(kinds(audit)).toEqual(['sale-review', 'finding-override', 'finding-action', 'sale-review']);
    expect(audit[0]).toMatchObject({
      kind: 'sale-review',
      saleId: 'S-TEST-1',
      operatorId: 'OP7',
      packVersion: 1,
      findings: [
        {
          findingId: `trace-code-duplicate:L2:${DEMO_TRACE_CODES.resold}`,
          ruleId: 'trace-code-duplicate',
          lineId: 'L2',
          severity: 'block',
          source: 'local',
        },
        { findingId: 'days-supply:L1', ruleId: 'days-supply', lineId: 'L1', severity: 'warning', source: 'local' },
      ],
    });
    expect(audit[1]).toMatchObject({
      kind: 'finding-override',
      finding: { findingId: 'days-supply:L1', severity: 'warning' },
      reasonCode: 'other',
      by: { operatorId: 'OP7' },
    });
    expect(audit[2]).toMatchObject({
      kind: 'finding-action',
      findingId: `trace-code-duplicate:L2:${DEMO_TRACE_CODES.resold}`,
      action: { kind: 'remove-line', lineId: 'L2' },
    });
    expect(audit[3]).toMatchObject({ kind: 'sale-review', findings: [{ findingId: 'days-supply:L1' }] });
    // The note keeps what was typed, with the 身份证 and the phone number the pharmacist should not have typed masked.
    const note = (audit[1] as Extract<AuditEvent, { kind: 'finding-override' }>).note;
    expect(note).toContain('出差两周');
    expect(note).toContain(`${person.residentId.slice(0, 4)}**********${person.residentId.slice(-4)}`);
    expect(note).toContain('138****5678');
    expectAuditClean(audit);
    expect(session.lastReview!.findings[0]!.override!.note).toBe(note);
  });
});

describe('text a receipt could not carry', () => {
  it('a catalog product whose name holds a lone surrogate is refused at the scan, before any settlement; the schema refuses it at the edge', async () => {
    const good = product(P.loratadine);
    const bad = {
      ...good,
      productId: 'BAD-TEXT',
      genericName: `氯雷他定\ud800片`,
      gtins: [],
      traceCodePrefix: undefined,
    };
    const { session } = sale({ buyer: buyerOf('active'), pack, catalog: createCatalog([...DEMO_CATALOG, bad]) });
    await expectCode(() => session.addLine({ productId: 'BAD-TEXT', quantity: 1 }), 'INVALID_INPUT');
    expect(session.lines).toHaveLength(0);
    // The same product with its name well-formed (a pair, not half of one) is sold.
    const { session: ok } = sale({
      buyer: buyerOf('active'),
      pack,
      catalog: createCatalog([...DEMO_CATALOG, { ...bad, genericName: '氯雷他定𠀀片' }]),
    });
    expect(ok.addLine({ productId: 'BAD-TEXT', quantity: 1 }).name).toBe('氯雷他定𠀀片');
    expect(ProductSchema.safeParse({ ...good, genericName: `氯雷他定\ud800片` }).success).toBe(false);
    expect(ProductSchema.safeParse({ ...good, specification: `10mg\udc00` }).success).toBe(false);
    expect(ProductSchema.safeParse(good).success).toBe(true);
  });
});
