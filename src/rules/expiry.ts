import { formatCstTime } from '../platform/time.js';
import type { RulePack } from '../schemas/rule-pack.js';
import { compileRules, type Check, type CompiledPack } from './compile.js';
import { ALL_CHECKS } from './review.js';

/**
 * What a till does with an insured sale while no current rule pack is in force: `block` (the default) holds fund
 * settlement until a current pack is installed; `warn` lets it go once a pharmacist gives a reason. Self-pay sales go
 * either way.
 */
export type RulePackExpiredPolicy = 'block' | 'warn';

/**
 * The rules a till runs while the pack it had is not in force (past `validUntil`, or before `validFrom` when the
 * clock went back): the pack's own settings have left force, so every rule runs at the engine's defaults, as with no
 * pack, plus one card on every review saying that the rules are expired. With fund lines the card is a `block`
 * (policy `block`) whose actions switch each of them to 自费, or a `warning` to override (policy `warn`); without, it
 * is information. Compile it once per lapsed pack.
 *
 * @example
 * const rules = rulePack && !rulePackInForce(rulePack, now) ? compileLapsedPack(rulePack, 'block') :
 * compilePack(rulePack)
 */
export function compileLapsedPack(lapsed: RulePack, policy: RulePackExpiredPolicy = 'block'): CompiledPack {
  return compileRules(
    [...(ALL_CHECKS as unknown as readonly Check[]), rulePackExpiredCheck(lapsed, policy) as Check],
    undefined,
  );
}

function rulePackExpiredCheck(lapsed: RulePack, policy: RulePackExpiredPolicy): Check<'rule-pack-expired'> {
  return {
    id: 'rule-pack-expired',
    sale(ctx) {
      const fund = ctx.input.lines.filter((l) => l.payMode === 'fund');
      const early = ctx.input.now < lapsed.validFrom;
      const until = formatCstTime(lapsed.validUntil);
      const from = formatCstTime(lapsed.validFrom);
      const state = early
        ? { zh: `规则包 ${from} 起才生效`, en: `The rule pack takes effect only from ${from}` }
        : { zh: `规则包已于 ${until} 过期`, en: `The rule pack expired at ${until}` };
      const settlement =
        fund.length === 0
          ? { zh: '自费销售不受影响', en: 'self-pay sales are not affected' }
          : policy === 'block'
            ? { zh: '医保结算暂停，可改为自费', en: 'insured settlement is paused; switch to self-pay' }
            : { zh: '医保结算须填写原因', en: 'insured settlement needs a reason' };
      ctx.emit({
        severity: fund.length === 0 ? 'info' : policy === 'block' ? 'block' : 'warning',
        summary: { zh: `${state.zh}：${settlement.zh}`, en: `${state.en}: ${settlement.en}` },
        detail: {
          zh: `本终端的规则包（${lapsed.packId} 第 ${lapsed.version} 版，有效期 ${from} 至 ${until}）不在有效期内，已不再生效，现按系统默认规则审核。正在向医保平台获取当前规则包；获取前${
            policy === 'block' ? '不能医保结算，自费销售可照常结算' : '医保结算须由药师填写原因后方可进行'
          }。如长时间未恢复，请检查终端时间和网络，或联系医保经办机构。`,
          en: `This till's rule pack (${lapsed.packId} v${lapsed.version}, valid ${from} to ${until}) is outside its dates and no longer in force; sales are reviewed under the default rules. The till is fetching the current pack from the platform; until then ${
            policy === 'block'
              ? 'nothing can be settled with the fund, while self-pay sales go as usual'
              : 'an insured settlement needs a pharmacist’s reason'
          }. If it does not recover, check the till's clock and network, or call the insurance office.`,
        },
        evidence: {
          packId: lapsed.packId,
          packVersion: lapsed.version,
          validFrom: from,
          validUntil: until,
          fundLines: fund.length,
        },
        actions:
          policy === 'block'
            ? fund.slice(0, 10).map((l) => ({ kind: 'switch-to-self-pay' as const, lineId: l.lineId }))
            : [],
      });
    },
  };
}
