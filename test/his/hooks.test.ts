import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PRESCRIPTIONS, DEMO_PEOPLE } from '../../adapters/simulator/index.js';
import { createHisService, type CdsCard } from '../../adapters/his/index.js';
import { AuditEventSchema } from '../../src/schemas/index.js';
import { compilePack } from '../../src/engine.js';
import { catalog, hookRequest, NOW, P, pack, productOf, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

const ext = (card: CdsCard) => card.extension['yibao-guard'];
const byFinding = (cards: readonly CdsCard[]) => new Map(cards.map((c) => [ext(c).findingId, c]));

/** The resident's prescription for 2 boxes of atorvastatin for 14 days, written an hour before NOW. */
function statinRx() {
  const person = DEMO_PEOPLE.resident;
  return {
    ...DEMO_PRESCRIPTIONS['active-statin'],
    rxNo: 'RX2026112300009',
    issuedAt: NOW - 3_600_000,
    patient: { psnNo: person.psnNo, residentId: person.residentId },
    items: [
      { medListCode: productOf(P.atorvastatin).medListCode!, genericName: '阿托伐他汀钙片', quantity: 2, days: 14 },
    ],
  };
}
const box = (productId: string, serial: number) =>
  `${productOf(productId).traceCodePrefix}${String(serial).padStart(13, '0')}`;

describe('order-sign', () => {
  it('answers one card per finding, most serious first, in CDS Hooks form with our extensions', async () => {
    const res = await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', visit()));
    expect(res.status).toBe(200);
    const cards = res.json.cards as CdsCard[];
    expect(cards.map((c) => ext(c).findingId)).toEqual([
      'substitution:O2:category',
      'days-supply:O1',
      'key-drug-volume:O1',
      'payment-scope:O3:unmet',
      'payment-scope:O4:text',
    ]);
    for (const card of cards) {
      expect(card.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(card.summary.length).toBeGreaterThan(0);
      expect(card.summary.length).toBeLessThanOrEqual(140);
      expect(card.detail.length).toBeGreaterThan(0);
      expect(card.source).toEqual({
        label: '医保基金监管规则（yibao-guard）',
        topic: { system: 'urn:yibao-guard:rule', code: ext(card).ruleId, display: expect.any(String) },
      });
      expect(ext(card).summary.zh).toBe(card.summary);
      expect(ext(card).summary.en).toMatch(/^[ -~“”’×→…\u4e00-\u9fff（）]+$/);
      for (const s of card.suggestions) {
        expect(s.uuid).toMatch(/^[0-9a-f-]{36}$/);
        expect(s.actions).toHaveLength(1);
        expect(s.extension['yibao-guard'].action.orderId).toBe(ext(card).orderId);
      }
      if (card.suggestions.length > 0) expect(card.selectionBehavior).toBe('at-most-one');
    }
    expect(new Set(cards.map((c) => c.uuid)).size).toBe(cards.length);

    const cardsBy = byFinding(cards);
    const block = cardsBy.get('substitution:O2:category')!;
    expect(block).toMatchObject({ indicator: 'critical', overrideReasons: [] });
    expect(ext(block)).toMatchObject({
      ruleId: 'substitution',
      orderId: 'O2',
      stopLevel: 'hard',
      severity: 'block',
      evidence: { productId: P.proteinPowder, category: 'health-product' },
    });
    expect(block.suggestions.map((s) => s.actions[0])).toEqual([
      { type: 'delete', description: '删除医嘱：蛋白质粉（保健食品）', resourceId: ['O2'] },
      {
        type: 'update',
        description: '改为自费：蛋白质粉（保健食品）',
        resource: { orderId: 'O2', payMode: 'self-pay' },
      },
    ]);

    const days = cardsBy.get('days-supply:O1')!;
    expect(days.indicator).toBe('warning');
    expect(ext(days)).toMatchObject({
      stopLevel: 'reason-required',
      orderId: 'O1',
      evidence: { days: 42, limit: 30, basis: 'prescribed', maxPackages: 4 },
    });
    expect(days.suggestions[0]!.actions[0]).toEqual({
      type: 'update',
      description: '数量改为 4：阿托伐他汀钙片',
      resource: { orderId: 'O1', quantity: 4 },
    });
    expect(days.overrideReasons).toEqual([
      { code: 'chronic-long-rx', system: 'urn:yibao-guard:override-reason', display: '慢性病长期处方' },
      { code: 'doctor-confirmed', system: 'urn:yibao-guard:override-reason', display: '已与开方医师确认' },
      { code: 'stock-recount', system: 'urn:yibao-guard:override-reason', display: '已盘点，系统库存滞后' },
      { code: 'other', system: 'urn:yibao-guard:override-reason', display: '其他（须填写说明）' },
    ]);

    expect(ext(cardsBy.get('payment-scope:O3:unmet')!)).toMatchObject({
      stopLevel: 'reason-required',
      evidence: { unmet: 'male only' },
    });
    const info = cardsBy.get('payment-scope:O4:text')!;
    expect(info).toMatchObject({ indicator: 'info', overrideReasons: [], selectionBehavior: 'at-most-one' });
    expect(info.suggestions.map((s) => s.extension['yibao-guard'].action)).toEqual([
      { kind: 'switch-to-self-pay', orderId: 'O4' },
    ]);
    expect(ext(info).stopLevel).toBe('none');
  });

  it('treats the draft orders as the prescription: no prescription or trace-code cards, and the prescribed days raise the limit', async () => {
    const res = await clinic.post(
      '/cds-services/yibao-order-sign',
      hookRequest(
        'order-sign',
        visit({ draftOrders: [{ orderId: 'O1', productId: P.atorvastatin, quantity: 4, days: 28 }] }),
      ),
    );
    expect(res.status).toBe(200);
    // 4 boxes = 28 days: over the ordinary 7, within the prescribed 28.
    expect(res.json.cards).toEqual([]);
    const unprescribed = await clinic.post(
      '/cds-services/yibao-order-sign',
      hookRequest('order-sign', visit({ draftOrders: [{ orderId: 'O1', productId: P.atorvastatin, quantity: 4 }] })),
    );
    expect((unprescribed.json.cards as CdsCard[]).map((c) => ext(c).findingId)).toEqual(['days-supply:O1']);
    expect(ext(unprescribed.json.cards[0]).evidence).toMatchObject({ limit: 7, basis: 'ordinary' });
  });

  it('gives the same card the same uuid when the same visit is checked again, and a new one when the finding changes', async () => {
    const first = byFinding(
      (await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', visit(), 'a-1'))).json.cards,
    );
    const again = byFinding(
      (await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', visit(), 'a-2'))).json.cards,
    );
    expect(again.get('days-supply:O1')!.uuid).toBe(first.get('days-supply:O1')!.uuid);
    const changed = visit();
    (changed.draftOrders as any[])[0].quantity = 7;
    const other = byFinding(
      (await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', changed, 'a-3'))).json.cards,
    );
    expect(other.get('days-supply:O1')!.uuid).not.toBe(first.get('days-supply:O1')!.uuid);
    const selectCards = byFinding(
      (await clinic.post('/cds-services/yibao-order-select', hookRequest('order-select', visit(), 'a-4'))).json.cards,
    );
    expect(selectCards.get('days-supply:O1')!.uuid).not.toBe(first.get('days-supply:O1')!.uuid);
  });

  it('answers in English when the HIS asks for it, with the Chinese kept in the extension', async () => {
    const res = await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', visit()), {
      language: 'en-US,en;q=0.9',
    });
    const days = byFinding(res.json.cards).get('days-supply:O1')!;
    expect(days.summary).toBe('Exceeds the days of supply: 42 > 30 days');
    expect(days.source.label).toBe('Medical insurance fund rules (yibao-guard)');
    expect(days.overrideReasons[1]!.display).toBe('Confirmed with the prescribing doctor');
    expect(ext(days).summary.zh).toBe('超过最大用药天数：42 天 > 30 天');
  });

  it('writes a sale-review event per call, the cards shown, in the till’s audit format', async () => {
    const before = await clinic.storage.lastSeq('audit');
    await clinic.post(
      '/cds-services/yibao-order-sign',
      hookRequest('order-sign', visit({ encounterId: 'ENC-AUDIT-1' })),
    );
    const events = await clinic.storage.read('audit', { after: before });
    expect(events).toHaveLength(1);
    const event = AuditEventSchema.parse(events[0]!.value);
    expect(event).toMatchObject({
      kind: 'sale-review',
      at: NOW,
      saleId: 'ENC-AUDIT-1',
      operatorId: 'Practitioner:D001',
      packVersion: 1,
    });
    expect(event.kind === 'sale-review' && event.findings.map((f) => f.findingId)).toContain('days-supply:O1');
  });
});

describe('order-select', () => {
  it('shows the cards of the selected orders and the visit, with warnings soft until signing', async () => {
    const res = await clinic.post(
      '/cds-services/yibao-order-select',
      hookRequest('order-select', visit({ selections: ['O1'] })),
    );
    expect(res.status).toBe(200);
    const cards = res.json.cards as CdsCard[];
    expect(cards.map((c) => ext(c).findingId)).toEqual(['days-supply:O1', 'key-drug-volume:O1']);
    expect(cards.map((c) => ext(c).stopLevel)).toEqual(['soft', 'soft']);
    // A soft card still offers the reasons, for an HIS that wants one anyway.
    expect(cards[0]!.overrideReasons.length).toBe(4);
  });

  it('keeps a block hard even while picking, and cards about the whole visit whatever is selected', async () => {
    const deceased = visit({
      selections: ['O3'],
      patient: { insurance: { psnNo: DEMO_PEOPLE.deceased.psnNo, status: 'deceased' } },
    });
    const cards = (await clinic.post('/cds-services/yibao-order-select', hookRequest('order-select', deceased))).json
      .cards as CdsCard[];
    const status = cards.find((c) => ext(c).ruleId === 'buyer-status')!;
    expect(ext(status)).toMatchObject({ stopLevel: 'hard', severity: 'block' });
    expect(ext(status).orderId).toBeUndefined();
    // Every fund order may be switched to 自费: the suggestions are not alternatives.
    expect(status.suggestions.map((s) => s.extension['yibao-guard'].action)).toEqual([
      { kind: 'switch-to-self-pay', orderId: 'O1' },
      { kind: 'switch-to-self-pay', orderId: 'O2' },
      { kind: 'switch-to-self-pay', orderId: 'O3' },
      { kind: 'switch-to-self-pay', orderId: 'O4' },
    ]);
    expect(status.selectionBehavior).toBe('any');
    expect(cards.every((c) => ext(c).orderId === undefined || ext(c).orderId === 'O3')).toBe(true);
  });
});

describe('yibao-presettle', () => {
  it('checks dispensing: prescriptions and trace codes; a clean visit gets no cards', async () => {
    const clean = visit({
      prescriptions: [statinRx()],
      draftOrders: [
        {
          orderId: 'O1',
          productId: P.atorvastatin,
          quantity: 2,
          rxNo: 'RX2026112300009',
          traceCodes: [box(P.atorvastatin, 1), box(P.atorvastatin, 2)],
        },
      ],
    });
    const ok = await clinic.post('/cds-services/yibao-presettle', hookRequest('yibao-presettle', clean));
    expect(ok.status).toBe(200);
    expect(ok.json.cards).toEqual([]);

    const messy = visit({
      prescriptions: [statinRx()],
      draftOrders: [
        {
          orderId: 'O1',
          productId: P.atorvastatin,
          quantity: 3,
          rxNo: 'RX2026112300009',
          traceCodes: [box(P.atorvastatin, 1), box(P.atorvastatin, 2)],
        },
        { orderId: 'O2', productId: P.amoxicillin, quantity: 1, traceCodes: [box(P.amoxicillin, 5)] },
      ],
    });
    const cards = byFinding(
      (await clinic.post('/cds-services/yibao-presettle', hookRequest('yibao-presettle', messy))).json.cards,
    );
    expect(ext(cards.get('rx-required:O1:quantity')!)).toMatchObject({
      stopLevel: 'hard',
      evidence: { prescribed: 2, sold: 3 },
    });
    expect(ext(cards.get('rx-required:O2:missing')!)).toMatchObject({ stopLevel: 'hard', orderId: 'O2' });
    expect(cards.get('rx-required:O2:missing')!.suggestions.map((s) => s.extension['yibao-guard'].action.kind)).toEqual(
      ['attach-prescription', 'remove-order'],
    );
    expect(ext(cards.get('trace-code-missing:O1')!)).toMatchObject({
      stopLevel: 'reason-required',
      evidence: { needed: 3, scanned: 2 },
    });
  });
});

describe('evaluateOrders (in-process)', () => {
  it('returns the same cards as the HTTP service for the same visit', async () => {
    const http = (await clinic.post('/cds-services/yibao-order-sign', hookRequest('order-sign', visit()))).json.cards;
    const local = await clinic.service.evaluateOrders(visit(), { hook: 'order-sign' });
    expect(JSON.parse(JSON.stringify(local.cards))).toEqual(http);
  });

  it('works without HTTP or storage given: defaults to order-sign and a memory audit trail', async () => {
    const service = createHisService({ catalog, rules: compilePack(pack), clock: { now: () => NOW } });
    const { cards } = await service.evaluateOrders(visit({ encounterId: undefined }));
    expect(cards.map((c) => ext(c).stopLevel)).toEqual([
      'hard',
      'reason-required',
      'reason-required',
      'reason-required',
      'none',
    ]);
    expect(await service.storage.lastSeq('audit')).toBe(1);
  });
});
