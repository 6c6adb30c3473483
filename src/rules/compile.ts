import * as z from 'zod/mini';
import { InputError } from '../errors/index.js';
import type { Finding, Severity, SuggestedAction } from '../schemas/finding.js';
import type { Product } from '../schemas/product.js';
import type { Text } from '../schemas/primitives.js';
import { RULE_IDS, type KeyDrug, type OverrideReason, type RuleId, type RulePack } from '../schemas/rule-pack.js';
import type { SaleLine } from '../schemas/sale.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { ReviewInput } from './context.js';
import { RULE_PARAMS, type RuleParams } from './params.js';
import { defined } from '../defined.js';

/** What a check sees: the review's input, the catalog, and the rule's own settings. */
export interface CheckContext<R extends RuleId = RuleId> {
  readonly input: ReviewInput;
  readonly catalog: Catalog;
  readonly pack: CompiledPack;
  readonly rule: CompiledRule<R>;
  /** Adds a finding; `key` tells apart several findings of one rule on one line. */
  emit(finding: {
    lineId?: string;
    key?: string;
    severity?: Severity;
    /**
     * A block whatever the pack's severity for the rule: only for a fact the platform itself confirmed for this
     * sale (its chronic-disease registrations, 5301), which leaves nothing for a pharmacist to weigh.
     */
    confirmedByPlatform?: boolean;
    summary: Text;
    detail: Text;
    evidence: Finding['evidence'];
    actions?: SuggestedAction[];
  }): void;
}

/** A rule's logic: per line (with its catalog product, when known) and/or once per sale. */
export interface Check<R extends RuleId = RuleId> {
  readonly id: R;
  line?(line: SaleLine, product: Product | undefined, ctx: CheckContext<R>): void;
  sale?(ctx: CheckContext<R>): void;
}

export interface CompiledRule<R extends RuleId = RuleId> {
  readonly id: R;
  readonly severity: Severity;
  readonly params: RuleParams<R>;
  readonly check: Check<R>;
}

/** A rule pack turned into plain functions and lookup tables, ready for many reviews. */
export interface CompiledPack {
  readonly pack?: RulePack;
  readonly rules: readonly CompiledRule[];
  readonly lineRules: readonly CompiledRule[];
  readonly saleRules: readonly CompiledRule[];
  readonly overrideReasons: ReadonlyMap<string, OverrideReason>;
  /**
   * Whether a product is on the key-drug list: its own flag, or its generic name containing a name of the pack's
   * list of the same kind (西药, 中成药, 饮片, 耗材), the name taken before any bracket.
   */
  isKeyDrug(product: Product): boolean;
}

/**
 * Compiles a rule pack (or, without one, the defaults) with the checks: parameters parsed once, severities
 * resolved, disabled rules dropped, the key-drug list turned into a memoised matcher. Throws `INVALID_INPUT`
 * (field `rules.<id>.params`) when an enabled rule's parameters are out of range or not the rule's.
 *
 * @example
 * const compiled = compileRules(ALL_CHECKS, pack)
 */
export function compileRules(checks: readonly Check[], pack?: RulePack): CompiledPack {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const rules: CompiledRule[] = [];
  for (const id of RULE_IDS) {
    const check = byId.get(id);
    const setting = pack?.rules[id];
    if (!check || setting?.enabled === false) continue;
    const parsed = z.safeParse(RULE_PARAMS[id].params, setting?.params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // zod/mini carries no message texts: name the parameter (or the unknown names) and the kind of problem.
      const unknown = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
      const where = unknown ?? issue?.path.join('.') ?? '';
      throw new InputError('INVALID_INPUT', {
        message: `Rule pack: parameters of rule ${id} are invalid (${unknown ? `unknown parameter ${unknown}` : `${where}: ${issue?.code ?? 'invalid'}`})`,
        messageZh: `规则包中规则 ${id} 的参数不正确（${unknown ? `未知参数 ${unknown}` : where}）`,
        field: `rules.${id}.params`,
      });
    }
    rules.push({
      id,
      severity: setting?.severity ?? RULE_PARAMS[id].severity,
      params: parsed.data,
      check,
    } as CompiledRule);
  }
  const names = (pack?.keyDrugs ?? [])
    .map((k) => ({ kind: k.kind, name: normaliseName(k.name) }))
    .filter((k) => k.name.length > 1);
  const memo = new Map<string, boolean>();
  return {
    ...defined({ pack }),
    rules,
    lineRules: rules.filter((r) => r.check.line),
    saleRules: rules.filter((r) => r.check.sale),
    overrideReasons: new Map((pack?.overrideReasons ?? DEFAULT_OVERRIDE_REASONS).map((r) => [r.code, r])),
    isKeyDrug(product) {
      if (product.keyDrug) return true;
      let hit = memo.get(product.productId);
      if (hit === undefined) {
        const generic = normaliseName(product.genericName);
        const kind = KEY_DRUG_KIND[product.category];
        hit = names.some((k) => k.kind === kind && generic.includes(k.name));
        memo.set(product.productId, hit);
      }
      return hit;
    },
  };
}

/**
 * Which list of attachment 1 a product's category is looked up in: a herbal piece's name (防风) must not mark a patent
 * medicine (防风通圣丸).
 */
const KEY_DRUG_KIND: Readonly<Record<Product['category'], KeyDrug['kind'] | undefined>> = {
  'western-drug': 'western',
  'patent-medicine': 'patent',
  'herbal-pieces': 'herbal',
  consumable: 'consumable',
  'health-product': undefined,
  'daily-goods': undefined,
  food: undefined,
  cosmetic: undefined,
  device: undefined,
};

/** Key-drug names carry dosage notes in brackets (左氨氯地平（左旋氨氯地平）): match on the name before them. */
function normaliseName(name: string): string {
  return name
    .replace(/[（(].*$/, '')
    .replace(/\s+/g, '')
    .trim();
}

/** Reasons a pharmacist may give when no rule pack is loaded. */
export const DEFAULT_OVERRIDE_REASONS: readonly OverrideReason[] = [
  { code: 'doctor-confirmed', label: { zh: '已与开方医师确认', en: 'Confirmed with the prescribing doctor' } },
  { code: 'chronic-long-rx', label: { zh: '慢性病长期处方', en: 'Long-term prescription for a chronic disease' } },
  { code: 'stock-recount', label: { zh: '已盘点，系统库存滞后', en: 'Counted: the stock on record lags behind' } },
  { code: 'other', label: { zh: '其他（须填写说明）', en: 'Other (explain in the note)' } },
];
