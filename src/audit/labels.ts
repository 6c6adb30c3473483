import type { Text } from '../schemas/primitives.js';
import type { RuleId } from '../schemas/rule-pack.js';

/**
 * The name of each rule as the problem ledger (问题台账) and its charts show it, in the words of seed 003's list of
 * 重点违法违规行为 where there is one.
 *
 * @example
 * RULE_TITLES['rx-required'].zh // '无有效处方销售处方药'
 */
export const RULE_TITLES: Readonly<Record<RuleId, Text>> = {
  substitution: { zh: '串换药品（串换结算）', en: 'Substitution (billed as another item)' },
  'rx-required': { zh: '无有效处方销售处方药', en: 'Prescription drug without a valid prescription' },
  'payment-scope': { zh: '超限定支付范围', en: 'Outside the payment restriction' },
  'days-supply': { zh: '超量开药（超最大用药天数）', en: 'Over the days of supply' },
  'repeat-purchase': { zh: '重复购药', en: 'Refill too soon' },
  'amount-limit': { zh: '超医保支付限额', en: 'Fund ceiling exceeded' },
  'trace-code-missing': { zh: '未扫描药品追溯码', en: 'Trace codes missing' },
  'trace-code-mismatch': { zh: '追溯码与药品不符', en: 'Trace code does not match the product' },
  'trace-code-duplicate': { zh: '追溯码重复（疑似回流药）', en: 'Duplicate trace code (possible resold box)' },
  'stock-shortfall': { zh: '进销存不符（库存不足）', en: 'Stock shortfall' },
  'pharmacy-suspended': { zh: '中止协议期间医保结算', en: 'Fund settlement while the agreement is suspended' },
  'buyer-status': { zh: '参保状态异常仍医保结算', en: 'Fund settlement for a person not in good standing' },
  'out-of-area-key-drug': { zh: '异地凭证购买重点药品', en: 'Out-of-area voucher buying key drugs' },
  'key-drug-volume': { zh: '重点药品用量异常', en: 'Unusual key-drug volume' },
  'platform-analysis': { zh: '医保平台事前分析提示', en: 'Platform pre-settlement analysis' },
  'rule-pack-expired': { zh: '规则包过期期间医保结算', en: 'Fund settlement while the rule pack was expired' },
};
