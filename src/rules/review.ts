import type { Finding, Severity } from '../schemas/finding.js';
import type { RulePack } from '../schemas/rule-pack.js';
import type { Catalog } from '../catalog/product-catalog.js';
import { compileRules, type Check, type CheckContext, type CompiledPack, type CompiledRule } from './compile.js';
import type { ReviewInput } from './context.js';
import { rxRequired, daysSupply } from './checks/prescription.js';
import { paymentScope, substitution } from './checks/product.js';
import { traceCodeDuplicate, traceCodeMismatch, traceCodeMissing } from './checks/trace.js';
import { amountLimit, keyDrugVolume, outOfAreaKeyDrug, repeatPurchase } from './checks/buyer.js';
import { buyerStatus, pharmacySuspended, stockShortfall } from './checks/standing.js';
import { defined } from '../defined.js';

/** Every pharmacy rule, in the order findings are listed (most serious kinds first). */
export const ALL_CHECKS = [
  pharmacySuspended,
  buyerStatus,
  substitution,
  rxRequired,
  traceCodeDuplicate,
  traceCodeMismatch,
  traceCodeMissing,
  paymentScope,
  daysSupply,
  repeatPurchase,
  amountLimit,
  stockShortfall,
  outOfAreaKeyDrug,
  keyDrugVolume,
] as const;

/**
 * Compiles a rule pack with every pharmacy rule. Do it once per pack (the terminal does it when a pack is
 * installed); `review` then runs in microseconds.
 *
 * @example
 * const rules = compilePack(pack)
 * const findings = reviewSale(rules, catalog, input)
 */
export function compilePack(pack?: RulePack): CompiledPack {
  return compileRules(ALL_CHECKS as unknown as readonly Check[], pack);
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, block: 2 };

/** A card's title is one line of at most 140 characters (CDS Hooks): a long generic name is cut with an ellipsis. */
const SUMMARY_MAX = 140;
function clip(text: string): string {
  if (text.length <= SUMMARY_MAX) return text;
  let end = SUMMARY_MAX - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--; // never split a surrogate pair
  return `${text.slice(0, end)}…`;
}

/**
 * Runs every enabled rule over a sale and returns the findings, each with a stable id (`ruleId:lineId[:key]`),
 * so that an override given to a finding still applies when the sale is reviewed again unchanged. Summaries are
 * kept to 140 characters.
 *
 * @example
 * const findings = reviewSale(compilePack(pack), catalog, { lines, prescriptions, buyer, pharmacy, now })
 */
export function reviewSale(compiled: CompiledPack, catalog: Catalog, input: ReviewInput): Finding[] {
  const findings: Finding[] = [];
  const ctx = { input, catalog, pack: compiled, rule: undefined as unknown as CompiledRule, emit } as CheckContext & {
    rule: CompiledRule;
  };
  function emit(f: Parameters<CheckContext['emit']>[0]): void {
    const rule = ctx.rule;
    findings.push({
      findingId: `${rule.id}:${f.lineId ?? 'sale'}${f.key ? `:${f.key}` : ''}`,
      ruleId: rule.id,
      ...defined({ lineId: f.lineId }),
      // A check may soften its own finding (a restriction stated only in words is information), never harden it,
      // but for what the platform confirmed for this very sale: that is a block.
      severity: f.confirmedByPlatform
        ? 'block'
        : f.severity !== undefined && SEVERITY_RANK[f.severity] < SEVERITY_RANK[rule.severity]
          ? f.severity
          : rule.severity,
      summary: { zh: clip(f.summary.zh), en: clip(f.summary.en) },
      detail: f.detail,
      evidence: f.evidence,
      actions: f.actions ?? [],
      source: 'local',
    });
  }
  const lineRules = compiled.lineRules;
  for (const line of input.lines) {
    const product = catalog.byId(line.productId);
    for (const rule of lineRules) {
      ctx.rule = rule;
      rule.check.line!(line, product, ctx as never);
    }
  }
  for (const rule of compiled.saleRules) {
    ctx.rule = rule;
    rule.check.sale!(ctx as never);
  }
  // Most serious first, then in rule order, then line order: stable for screens and tests.
  return findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}
