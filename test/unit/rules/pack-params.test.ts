/**
 * A rule pack sets each rule: on or off, its severity, its parameters (src/rules/params.ts is where their names and
 * defaults live). Seed 004 （十一）asks to "动态调整智能监管规则": a pack does that without a release.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG, simulatorRulePack } from '../../../adapters/simulator/index.js';
import type { Product } from '../../../src/index.js';
import { RULE_IDS, type RulePack } from '../../../src/schemas/index.js';
import { compilePack, RULE_PARAMS } from '../../../src/engine.js';
import {
  barePack,
  box,
  boxes,
  buyerOf,
  cardOf,
  cst,
  expectClean,
  expectCode,
  findingsOf,
  P,
  product,
  reviewChecked,
  rx,
  sale,
} from './helpers.js';

describe('rule pack parameters and severities', () => {
  it('without a pack every rule runs at its default severity and parameters', () => {
    const compiled = compilePack();
    expect(compiled.rules.map((r) => r.id)).toEqual(
      RULE_IDS.filter((id) => id !== 'platform-analysis' && id !== 'rule-pack-expired'),
    );
    for (const rule of compiled.rules) expect(rule.severity).toBe(RULE_PARAMS[rule.id].severity);
    expect(compiled.rules.find((r) => r.id === 'days-supply')!.params).toEqual({
      ordinaryDays: 7,
      mobilityImpairedDays: 14,
      chronicDays: 30,
      longChronicDays: 84,
      mobilityImpairedIdentities: [],
    });
  });

  it('a pack may raise a severity: key-drug-volume → warning stops settlement where the default info did not', async () => {
    const sixBags = (pack?: RulePack) => {
      const { session } = sale({ buyer: buyerOf('active'), ...(pack ? { pack } : {}) });
      session.addLine({ productId: P.astragalus, quantity: 6 });
      return session;
    };
    const info = await reviewChecked(sixBags());
    expect(cardOf(info, 'key-drug-volume').severity).toBe('info');
    expect(info.canSettle).toBe(true);
    const warned = await reviewChecked(
      sixBags(barePack({ 'key-drug-volume': { enabled: true, severity: 'warning', params: {} } })),
    );
    expect(cardOf(warned, 'key-drug-volume').severity).toBe('warning');
    expect(warned.canSettle).toBe(false);
  });

  it('a pack may lower a severity: trace-code-duplicate → warning can then be overridden', async () => {
    const pack = barePack({ 'trace-code-duplicate': { enabled: true, severity: 'warning', params: {} } });
    const { session } = sale({ buyer: buyerOf('active'), pack, sold: [box(P.ibuprofen, 1)] });
    session.scan(box(P.ibuprofen, 1));
    const card = cardOf(await reviewChecked(session), 'trace-code-duplicate');
    expect(card.severity).toBe('warning');
    await session.override(card.findingId, { reasonCode: 'doctor-confirmed' });
    expect(() => session.assertSettleable()).not.toThrow();
  });

  it('a check may soften its own card below the rule’s severity, never above it', async () => {
    const pack = barePack({ 'payment-scope': { enabled: true, severity: 'block', params: {} } });
    const { session } = sale({ buyer: buyerOf('active'), pack });
    session.addLine({ productId: P.albumin, quantity: 1, traceCodes: [box(P.albumin, 1)] });
    session.attachPrescription({
      ...rx('active-statin'),
      rxNo: 'RX-ALB-1',
      items: [{ medListCode: product(P.albumin).medListCode!, quantity: 1 }],
    });
    expect(cardOf(await reviewChecked(session), 'payment-scope').severity).toBe('info');
    const { session: infoPack } = sale({
      buyer: buyerOf('resident'),
      pack: barePack({ 'payment-scope': { enabled: true, severity: 'info', params: {} } }),
    });
    infoPack.addLine({ productId: P.finasteride, quantity: 1, traceCodes: [box(P.finasteride, 1)] });
    infoPack.attachPrescription({
      ...rx('active-statin'),
      rxNo: 'RX-FIN-1',
      patient: { psnNo: buyerOf('resident').psnNo },
      items: [{ medListCode: product(P.finasteride).medListCode!, quantity: 1 }],
    });
    expect(cardOf(await reviewChecked(infoPack), 'payment-scope').severity).toBe('info');
  });

  it('a pack may turn a rule off: with substitution disabled the protein powder billed as a drug passes that rule', async () => {
    const pack = barePack({ substitution: { enabled: false, params: {} } });
    expect(compilePack(pack).rules.map((r) => r.id)).not.toContain('substitution');
    const { session } = sale({ buyer: buyerOf('active'), pack });
    session.addLine({
      productId: P.proteinPowder,
      quantity: 1,
      payMode: 'fund',
      medListCode: product(P.atorvastatin).medListCode!,
    });
    expect(findingsOf(await reviewChecked(session), 'substitution')).toEqual([]);
  });

  it('a pack may change a threshold: ordinaryDays 3 warns on a 拆零 0.75 box of 氯雷他定 (4.5 days) that passes the default 7', async () => {
    const loose = (pack?: RulePack) => {
      const { session } = sale({ buyer: buyerOf('active'), ...(pack ? { pack } : {}) });
      session.addLine({ productId: P.loratadine, quantity: 0.75, split: true, traceCodes: [box(P.loratadine, 1)] });
      return session;
    };
    expectClean(await reviewChecked(loose()));
    const card = cardOf(
      await reviewChecked(loose(barePack({ 'days-supply': { enabled: true, params: { ordinaryDays: 3 } } }))),
      'days-supply',
    );
    expect(card.evidence).toMatchObject({ limit: 3, basis: 'ordinary', days: 5, maxPackages: 0.5 });
  });

  it('a pack may change a threshold: key-drug-volume maxPackages 2 notes 3 bags of 黄芪', async () => {
    const { session } = sale({
      buyer: buyerOf('active'),
      pack: barePack({ 'key-drug-volume': { enabled: true, params: { maxPackages: 2 } } }),
    });
    session.addLine({ productId: P.astragalus, quantity: 3 });
    expect(cardOf(await reviewChecked(session), 'key-drug-volume').evidence).toMatchObject({ packages: 3, limit: 2 });
  });

  it('a pack’s prescriptionValidDays applies to a prescription that states no validity of its own', async () => {
    const noValidity = (({ validDays: _v, ...rest }) => rest)(rx('active-statin'));
    const at = cst(2026, 11, 24, 10, 30); // 2 days and 30 minutes after issue
    const lines = (pack?: RulePack) => {
      const { session } = sale({ buyer: buyerOf('active'), clock: { now: () => at }, ...(pack ? { pack } : {}) });
      session.addLine({ productId: P.atorvastatin, quantity: 2, traceCodes: boxes(P.atorvastatin, 2) });
      session.attachPrescription(noValidity);
      return session;
    };
    expectClean(await reviewChecked(lines()));
    const oneDay = barePack({ 'rx-required': { enabled: true, params: { prescriptionValidDays: 1 } } });
    expect(cardOf(await reviewChecked(lines(oneDay)), 'rx-required').evidence).toMatchObject({ validDays: 1 });
  });

  it.each([
    ['days-supply', { ordinaryDays: 0 }, 'ordinaryDays'],
    ['repeat-purchase', { tolerance: 1.5 }, 'tolerance'],
    ['amount-limit', { perSaleFen: -1 }, 'perSaleFen'],
    ['amount-limit', { perSaleFen: 'lots' }, 'perSaleFen'],
    ['key-drug-volume', { factor: 1 }, 'factor'],
    ['days-supply', { defaultMaxDays: 30 }, 'defaultMaxDays'],
  ] as const)('invalid parameters of %s (%j) → INVALID_INPUT naming the rule', async (ruleId, params, name) => {
    const pack = barePack({ [ruleId]: { enabled: true, params } });
    const error = await expectCode(() => compilePack(pack), 'INVALID_INPUT');
    expect(error.field).toBe(`rules.${ruleId}.params`);
    expect(error.message).toContain(ruleId);
    expect(error.message).toContain(name);
    expect(error.messageZh).toContain(ruleId);
  });

  it('a disabled rule’s parameters are not looked at', () => {
    expect(() =>
      compilePack(barePack({ 'days-supply': { enabled: false, params: { ordinaryDays: 0 } } })),
    ).not.toThrow();
  });

  it('the simulator’s pack compiles and means what the engine means', () => {
    const compiled = compilePack(simulatorRulePack('220100', 1));
    const params = Object.fromEntries(compiled.rules.map((r) => [r.id, r.params]));
    expect(params['days-supply']).toMatchObject({ ordinaryDays: 7, chronicDays: 30 });
    expect(params['amount-limit']).toMatchObject({ perSaleFen: 200_000 });
    expect(params['rx-required']).toEqual({ prescriptionValidDays: 3 });
    expect(params['key-drug-volume']).toMatchObject({ maxPackages: 5 });
    expect(compiled.rules.find((r) => r.id === 'key-drug-volume')!.severity).toBe('warning');
    expect(simulatorRulePack('220100', 1).platformRules).toEqual({
      'SIM-KEY-DRUG-VOLUME': 'key-drug-volume',
      'SIM-PAYMENT-SCOPE': 'payment-scope',
      'SIM-NOT-IN-CATALOG': 'substitution',
    });
  });

  it('the pack’s key-drug list marks products by name within their kind: 左氨氯地平 by its name before the bracket; herbal 防风 is not 防风通圣丸', () => {
    const compiled = compilePack(simulatorRulePack('220100', 1));
    const unflagged = (p: Product): Product => ({ ...p, keyDrug: false });
    const levamlodipine = DEMO_CATALOG.find((p) => p.genericName === '苯磺酸左氨氯地平片')!;
    expect(compiled.isKeyDrug(unflagged(levamlodipine))).toBe(true);
    expect(compiled.isKeyDrug(unflagged(product(P.astragalus)))).toBe(true);
    const fangfengTongsheng: Product = {
      ...unflagged(product(P.danshen)),
      productId: 'YP-FFTS',
      genericName: '防风通圣丸',
      medListCode: 'ZOT099A00101010000001',
    };
    expect(compiled.isKeyDrug(fangfengTongsheng)).toBe(false);
    expect(compiled.isKeyDrug(unflagged(product(P.loratadine)))).toBe(false);
  });

  it('the pack’s override reasons replace the defaults', async () => {
    const pack = barePack(
      {},
      {
        overrideReasons: [{ code: 'pharmacist-checked', label: { zh: '药师已核实', en: 'Checked by the pharmacist' } }],
      },
    );
    const { session } = sale({ buyer: buyerOf('active'), pack });
    session.addLine({ productId: P.loratadine, quantity: 2, traceCodes: boxes(P.loratadine, 2) });
    const card = cardOf(await reviewChecked(session), 'days-supply');
    await expectCode(session.override(card.findingId, { reasonCode: 'doctor-confirmed' }), 'OVERRIDE_REASON_UNKNOWN');
    await session.override(card.findingId, { reasonCode: 'pharmacist-checked' });
    expect(() => session.assertSettleable()).not.toThrow();
  });
});
