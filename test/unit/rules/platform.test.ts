/**
 * 3101 事前事中分析 merged with the local review: seed 004（十一）"实现事前提醒、事中审核、事后监管全流程…智能监控".
 * The platform's findings are mapped onto the engine's rules and lines, and a card both sides raise is shown once.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_PEOPLE, simulatorRulePack } from '../../../adapters/simulator/index.js';
import type { Finding } from '../../../src/index.js';
import { PlatformUnavailableError } from '../../../src/errors/index.js';
import type { TransactionOutput } from '../../../src/platform/index.js';
import { analysisRequest, mergeFindings, platformFindings } from '../../../src/engine.js';
import { boxes, buyerOf, cardOf, expectCard, P, product, reviewChecked, sale } from './helpers.js';

type Result = TransactionOutput<'3101'>['result'][number];
const pack = simulatorRulePack('220100', 1);

let jr = 0;
function result(partial: Partial<Result> & { rule_id: string }): Result {
  return {
    jr_id: `JR${++jr}`,
    rule_name: '重点药品超量购药 / key drug bought in excess',
    vola_cont: '重点药品 黄芪 单次购买 6袋，超过 5袋',
    patn_id: DEMO_PEOPLE.active.psnNo,
    mdtrt_id: 'S-TEST-1',
    rx_id: 'L1',
    vola_amt: 560,
    vola_amt_stas: '1',
    sev_deg: '2',
    vola_evid: 'cnt=6; limit=5',
    vola_bhvr_type: '1',
    task_id: 'S-TEST-1',
    ...partial,
  } as Result;
}

function local(partial: Partial<Finding> & Pick<Finding, 'ruleId' | 'severity'>): Finding {
  return {
    findingId: `${partial.ruleId}:${partial.lineId ?? 'sale'}`,
    summary: { zh: '本地提示', en: 'Local card' },
    detail: { zh: '本地提示', en: 'Local card' },
    evidence: { packages: 6 },
    actions: partial.lineId ? [{ kind: 'reduce-quantity', lineId: partial.lineId, quantity: 5 }] : [],
    source: 'local',
    ...partial,
  };
}

describe('platformFindings', () => {
  it('maps sev_deg (1 block, 2 warning, 3 and anything else info), the rule id by pack.platformRules, and rx_id onto the line', () => {
    const findings = platformFindings(
      [
        result({ rule_id: 'SIM-KEY-DRUG-VOLUME', sev_deg: '2', rx_id: 'L1' }),
        result({
          rule_id: 'SIM-PAYMENT-SCOPE',
          sev_deg: '1',
          rx_id: 'L2',
          rule_name: '超限定支付范围',
          vola_cont: '达格列净片 限定支付范围，参保人不符合',
        }),
        result({ rule_id: 'SIM-NOT-IN-CATALOG', sev_deg: '3', rx_id: 'L3' }),
        result({ rule_id: 'PROV-0042', sev_deg: null, rx_id: null }),
      ],
      pack,
    );
    expect(findings.map((f) => [f.findingId, f.ruleId, f.lineId, f.severity, f.source])).toEqual([
      ['key-drug-volume:L1:platform:SIM-KEY-DRUG-VOLUME', 'key-drug-volume', 'L1', 'warning', 'platform'],
      ['payment-scope:L2:platform:SIM-PAYMENT-SCOPE', 'payment-scope', 'L2', 'block', 'platform'],
      ['substitution:L3:platform:SIM-NOT-IN-CATALOG', 'substitution', 'L3', 'info', 'platform'],
      ['platform-analysis:sale:platform:PROV-0042', 'platform-analysis', undefined, 'info', 'platform'],
    ]);
    for (const f of findings) expectCard(f);
    expect(findings[0]!.evidence).toMatchObject({
      platformRule: 'SIM-KEY-DRUG-VOLUME',
      amountFen: 560,
      evidence: 'cnt=6; limit=5',
    });
    expect(findings[0]!.actions).toEqual([
      { kind: 'switch-to-self-pay', lineId: 'L1' },
      { kind: 'remove-line', lineId: 'L1' },
    ]);
    expect(findings[3]!.actions).toEqual([]);
  });

  it('without a pack (or an unmapped id) every platform finding is platform-analysis', () => {
    expect(platformFindings([result({ rule_id: 'SIM-KEY-DRUG-VOLUME' })], undefined).map((f) => f.ruleId)).toEqual([
      'platform-analysis',
    ]);
  });

  it('masks personal data in the platform’s texts and keeps the summary to 140 characters', () => {
    const person = DEMO_PEOPLE.active;
    const [f] = platformFindings(
      [
        result({
          rule_id: 'X-1',
          rule_name: `参保人 ${person.residentId} ${'很长的规则名称'.repeat(30)}`,
          vola_cont: `参保人 ${person.residentId} 电话 13812345678`,
          vola_evid: `id=${person.residentId}`,
        }),
      ],
      pack,
    );
    expectCard(f!);
    expect(f!.summary.zh.length).toBeLessThanOrEqual(140);
  });

  it('one card per platform rule and line', () => {
    expect(
      platformFindings([result({ rule_id: 'SIM-KEY-DRUG-VOLUME' }), result({ rule_id: 'SIM-KEY-DRUG-VOLUME' })], pack),
    ).toHaveLength(1);
  });
});

describe('mergeFindings', () => {
  it('keeps ONE card when local and platform agree on rule and line: the local card, platformConfirmed, the more serious severity', () => {
    const mine = local({
      ruleId: 'payment-scope',
      lineId: 'L2',
      severity: 'warning',
      evidence: { unmet: 'registered chronic disease (M03100)' },
    });
    const theirs = platformFindings(
      [result({ rule_id: 'SIM-PAYMENT-SCOPE', sev_deg: '1', rx_id: 'L2', jr_id: 'JR-77' })],
      pack,
    );
    const merged = mergeFindings([mine], theirs);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({
      findingId: 'payment-scope:L2',
      severity: 'block',
      source: 'local',
      actions: mine.actions,
      summary: mine.summary,
      evidence: { unmet: 'registered chronic disease (M03100)', platformConfirmed: true, platformJrId: 'JR-77' },
    });
  });

  it('a less serious platform finding does not soften the local card', () => {
    const merged = mergeFindings(
      [local({ ruleId: 'key-drug-volume', lineId: 'L1', severity: 'warning' })],
      platformFindings([result({ rule_id: 'SIM-KEY-DRUG-VOLUME', sev_deg: '3' })], pack),
    );
    expect(merged.map((f) => [f.findingId, f.severity, f.evidence['platformConfirmed']])).toEqual([
      ['key-drug-volume:L1', 'warning', true],
    ]);
  });

  it('adds platform-only findings (another rule, or the same rule on another line), most serious first', () => {
    const merged = mergeFindings(
      [local({ ruleId: 'key-drug-volume', lineId: 'L1', severity: 'info' })],
      platformFindings(
        [
          result({ rule_id: 'SIM-KEY-DRUG-VOLUME', rx_id: 'L2', sev_deg: '2' }),
          result({ rule_id: 'SIM-PAYMENT-SCOPE', rx_id: 'L1', sev_deg: '1' }),
        ],
        pack,
      ),
    );
    expect(merged.map((f) => [f.findingId, f.severity, f.source])).toEqual([
      ['payment-scope:L1:platform:SIM-PAYMENT-SCOPE', 'block', 'platform'],
      ['key-drug-volume:L2:platform:SIM-KEY-DRUG-VOLUME', 'warning', 'platform'],
      ['key-drug-volume:L1', 'info', 'local'],
    ]);
  });
});

describe('3101 in the sale session', () => {
  /** Six bags of 黄芪 (key drug): the simulator's pack warns locally, the platform says the same. */
  function sixBags(platform: () => Result[]) {
    const made = sale({
      buyer: buyerOf('active'),
      pack,
      platformFindings: async (session) => {
        const request = analysisRequest({
          lines: session.lines,
          buyer: session.buyer!,
          pharmacyCode: 'P22010100001',
          saleId: session.saleId,
        });
        expect(request.data.patient_dtos[0]!.fsi_encounter_dtos[0]!.fsi_order_dtos.map((o) => o.rx_id)).toEqual(
          session.lines.filter((l) => l.payMode === 'fund').map((l) => l.lineId),
        );
        return platformFindings(platform(), pack);
      },
    });
    made.session.addLine({ productId: P.astragalus, quantity: 6 });
    return made;
  }

  it('shows one key-drug-volume card, platform-confirmed, and an override of it survives a re-review with a new jr_id', async () => {
    const { session } = sixBags(() => [result({ rule_id: 'SIM-KEY-DRUG-VOLUME', rx_id: 'L1', sev_deg: '2' })]);
    const review = await reviewChecked(session);
    const card = cardOf(review, 'key-drug-volume');
    expect(card).toMatchObject({
      findingId: 'key-drug-volume:L1',
      severity: 'warning',
      source: 'local',
      evidence: { packages: 6, platformConfirmed: true },
    });
    await session.override(card.findingId, { reasonCode: 'doctor-confirmed' });
    const again = await session.review();
    expect(cardOf(again, 'key-drug-volume')).toMatchObject({ outcome: 'overridden' });
    expect(again.canSettle).toBe(true);
  });

  it('the analysis request bills only fund lines, with their 医保 codes, quantities and prices', () => {
    const { session } = sale({ buyer: buyerOf('active') });
    session.addLine({ productId: P.valsartan, quantity: 2, traceCodes: boxes(P.valsartan, 2), rxNo: 'RX1' });
    session.addLine({ productId: P.proteinPowder, quantity: 1 });
    const request = analysisRequest({
      lines: session.lines,
      buyer: session.buyer!,
      pharmacyCode: 'P22010100001',
      saleId: 'S-1',
    });
    expect(request.data).toMatchObject({ task_id: 'S-1', trig_scen: '10' });
    expect(request.data.patient_dtos[0]).toMatchObject({ patn_id: DEMO_PEOPLE.active.psnNo, gend: '1' });
    expect(request.data.patient_dtos[0]!.fsi_encounter_dtos[0]!.fsi_order_dtos).toEqual([
      {
        rx_id: 'L1',
        rxno: 'RX1',
        hilist_code: product(P.valsartan).medListCode,
        hilist_name: '缬沙坦胶囊',
        cnt: 2,
        pric: 2650 * 10_000,
        sumamt: 5300,
        spec: '80mg*7粒',
      },
    ]);
  });

  it('with the platform unreachable, the review goes on with the local findings and says so', async () => {
    const { session } = sale({
      buyer: buyerOf('active'),
      pack,
      platformFindings: async () => {
        throw new PlatformUnavailableError(
          { infno: '3101', msgid: 'P22010100001202611231000000001' },
          { message: 'timed out' },
        );
      },
    });
    session.addLine({ productId: P.astragalus, quantity: 6 });
    const review = await reviewChecked(session);
    expect(review.platform).toBe('unavailable');
    expect(cardOf(review, 'key-drug-volume')).toMatchObject({ severity: 'warning', source: 'local' });
    expect(cardOf(review, 'key-drug-volume').evidence['platformConfirmed']).toBeUndefined();
  });

  it('a review says whether the platform was asked: checked, or off without a platformFindings hook', async () => {
    const { session } = sixBags(() => []);
    expect((await session.review()).platform).toBe('checked');
    const { session: offline } = sale({ buyer: buyerOf('active') });
    offline.addLine({ productId: P.astragalus, quantity: 1 });
    expect((await offline.review()).platform).toBe('off');
  });

  it('a bug in the hook (not a platform error) is not swallowed', async () => {
    const { session } = sale({
      buyer: buyerOf('active'),
      platformFindings: async () => {
        throw new TypeError('oops');
      },
    });
    session.addLine({ productId: P.astragalus, quantity: 1 });
    await expect(session.review()).rejects.toThrow('oops');
  });
});
