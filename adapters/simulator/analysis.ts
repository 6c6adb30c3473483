import { fenToYuanNumber, isValidMedListCode, lineAmountFen } from '../../src/codes/index.js';
import type { TransactionInput } from '../../src/platform/index.js';
import { ageAt } from './identity.js';
import { KEY_DRUG_MAX_PACKAGES } from './keys.js';
import { meetsRestriction } from './settlement-rules.js';
import type { TxContext, TxResult } from './world.js';

/*
 * 3101 事前事中分析: a few simple platform rules over the orders of a sale, answered in the national result[] form.
 * Rule ids are the simulator's own (SIM-…); sev_deg 1 明确违规, 2 高度可疑, 3 轻度可疑.
 */

/** The rules 3101 applies, by id. */
/**
 * The rules 3101 applies, by the `rule_id` its findings carry, with their bilingual names.
 *
 * @example
 * ANALYSIS_RULES['SIM-KEY-DRUG-VOLUME'] // '重点药品超量购药 / key drug bought in excess'
 */
export const ANALYSIS_RULES = {
  'SIM-KEY-DRUG-VOLUME': '重点药品超量购药 / key drug bought in excess',
  'SIM-PAYMENT-SCOPE': '超限定支付范围 / outside the restricted payment scope',
  'SIM-NOT-IN-CATALOG': '医保目录外项目 / item not in the catalog',
} as const;
type AnalysisRuleId = keyof typeof ANALYSIS_RULES;

/**
 * 3101: runs the simulator's rules over every order of every encounter and answers `result[]`; changes nothing.
 *
 * @example
 * analyse(ctx, { data: { syscode, task_id, trig_scen: '10', patient_dtos } }) // { output: { result: [...] },
 * committed: false }
 */
export function analyse(ctx: TxContext, input: TransactionInput<'3101'>): TxResult {
  const { data } = input;
  const wanted = data.rule_ids && data.rule_ids.length > 0 ? new Set(data.rule_ids) : undefined;
  const result: Record<string, unknown>[] = [];
  for (const patient of data.patient_dtos) {
    const person = ctx.world.people.get(patient.patn_id)?.person;
    for (const encounter of patient.fsi_encounter_dtos) {
      for (const order of encounter.fsi_order_dtos) {
        const finding = (
          ruleId: AnalysisRuleId,
          sevDeg: '1' | '2' | '3',
          volaFen: number,
          text: string,
          evidence: string,
        ) => {
          if (wanted && !wanted.has(ruleId)) return;
          result.push({
            jr_id: ctx.world.nextId('JR', ctx.now),
            rule_id: ruleId,
            rule_name: ANALYSIS_RULES[ruleId],
            vola_cont: text,
            patn_id: patient.patn_id,
            mdtrt_id: encounter.mdtrt_id,
            rx_id: order.rx_id,
            vola_amt: fenToYuanNumber(volaFen),
            vola_amt_stas: '1',
            sev_deg: sevDeg,
            vola_evid: evidence,
            vola_bhvr_type: '1',
            task_id: data.task_id,
            judge_result_detail_dtos: [],
          });
        };
        const product = ctx.world.catalog.get(order.hilist_code);
        if (!product) {
          if (isValidMedListCode(order.hilist_code))
            finding(
              'SIM-NOT-IN-CATALOG',
              '2',
              order.sumamt,
              `${order.hilist_name} 不在医保目录中`,
              `hilist_code=${order.hilist_code}`,
            );
          continue;
        }
        if (product.keyDrug && order.cnt > KEY_DRUG_MAX_PACKAGES) {
          // The amount beyond the threshold, at the order's own unit price.
          const over = order.sumamt - lineAmountFen(Math.round(order.pric / 10_000), KEY_DRUG_MAX_PACKAGES);
          finding(
            'SIM-KEY-DRUG-VOLUME',
            '2',
            Math.max(0, over),
            `重点药品 ${product.genericName} 单次购买 ${order.cnt}${product.packageUnit}，超过 ${KEY_DRUG_MAX_PACKAGES}${product.packageUnit}`,
            `cnt=${order.cnt}; limit=${KEY_DRUG_MAX_PACKAGES}`,
          );
        }
        const restriction = product.paymentRestriction;
        if (restriction) {
          const checkable =
            restriction.sex !== undefined ||
            restriction.minAge !== undefined ||
            restriction.maxAge !== undefined ||
            restriction.diseaseCodes !== undefined;
          const buyer = person && {
            age: ageAt(person.birthDate, ctx.now),
            sex: person.gend === '1' ? ('male' as const) : ('female' as const),
            chronicCodes: new Set(person.chronicDiseases.map((d) => d.code)),
          };
          if (buyer && checkable && !meetsRestriction(restriction, buyer)) {
            finding(
              'SIM-PAYMENT-SCOPE',
              '1',
              order.sumamt,
              `${product.genericName} ${restriction.text ?? '限定支付范围'}，参保人不符合`,
              'restriction not met by the insured person',
            );
          } else if (!buyer || !checkable) {
            finding(
              'SIM-PAYMENT-SCOPE',
              '3',
              0,
              `${product.genericName} ${restriction.text ?? '限定支付范围'}，请核实`,
              'restriction to be confirmed by the pharmacist',
            );
          }
        }
      }
    }
  }
  return { output: { result }, committed: false };
}
