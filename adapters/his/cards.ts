import { maskPersonalData, type Finding, type OverrideReason } from '../../src/index.js';
import type { EvidenceValue, RuleId, SuggestedAction, Text } from '../../src/schemas/index.js';
import { canonicalJson, sha256 } from '../../src/crypto/index.js';
import type { HisHook } from './schemas.js';
import { defined } from '../../src/defined.js';

/*
 * Findings as CDS Hooks cards, with what CDS Hooks lacks added under `extension['yibao-guard']`: the rule, the order
 * line the card is about, and how hard it stops the user.
 */

/** The key of our extension on cards, suggestions and discovery. */
export const EXTENSION_KEY = 'yibao-guard';

/**
 * How hard a card stops the user:
 * - `none`: information; nothing to decide.
 * - `soft`: may be dismissed without a reason (a warning at order-select: it is decided at order-sign).
 * - `reason-required`: may be overridden only with one of the card's `overrideReasons` (`other` with a comment).
 * - `hard`: cannot be overridden; take a suggestion (remove the order, switch it to 自费, change it) or change the order.
 */
export type StopLevel = 'none' | 'soft' | 'reason-required' | 'hard';

/** A CDS Hooks `Coding`. */
export interface CdsCoding {
  readonly code: string;
  readonly system: string;
  readonly display: string;
}

/** A suggested action as CDS Hooks describes one, over our orders (not FHIR resources). */
export interface CdsAction {
  readonly type: 'update' | 'delete';
  readonly description: string;
  /** The order concerned (`delete`). */
  readonly resourceId?: readonly string[];
  /** The order's changed fields (`update`). */
  readonly resource?: { readonly orderId: string; readonly payMode?: 'self-pay'; readonly quantity?: number };
}

/** The one-call fix behind a suggestion, in the HIS's terms. */
export type HisAction =
  | { readonly kind: 'remove-order'; readonly orderId: string }
  | { readonly kind: 'switch-to-self-pay'; readonly orderId: string }
  | { readonly kind: 'reduce-quantity'; readonly orderId: string; readonly quantity: number }
  | { readonly kind: 'attach-prescription'; readonly orderId: string };

export interface CdsSuggestion {
  readonly label: string;
  readonly uuid: string;
  readonly actions: readonly CdsAction[];
  readonly extension: { readonly [EXTENSION_KEY]: { readonly action: HisAction } };
}

/** Our additions to a card. */
export interface CardExtension {
  readonly findingId: string;
  readonly ruleId: RuleId;
  /** The order line the card is about; absent for a card about the whole visit (the patient, the clinic). */
  readonly orderId?: string;
  readonly stopLevel: StopLevel;
  readonly severity: Finding['severity'];
  /** Both languages of the summary and the detail (the card's own fields carry the one asked for). */
  readonly summary: Text;
  readonly detail: Text;
  /** The facts behind the card: numbers, codes, dates; never personal data. */
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  readonly source: Finding['source'];
}

/** A CDS Hooks card. */
export interface CdsCard {
  readonly uuid: string;
  /** At most 140 characters. */
  readonly summary: string;
  /** Markdown. */
  readonly detail: string;
  readonly indicator: 'info' | 'warning' | 'critical';
  readonly source: { readonly label: string; readonly topic: CdsCoding };
  readonly suggestions: readonly CdsSuggestion[];
  /** Present when there are suggestions. */
  readonly selectionBehavior?: 'at-most-one' | 'any';
  /** The reasons the user may give to override; empty for a hard stop. */
  readonly overrideReasons: readonly CdsCoding[];
  readonly extension: { readonly [EXTENSION_KEY]: CardExtension };
}

export type Language = 'zh' | 'en';

/** Names of the rules, for a card's topic. */
export const RULE_NAMES: Readonly<Record<RuleId, Text>> = {
  substitution: { zh: '串换', en: 'Substitution' },
  'rx-required': { zh: '处方药须凭处方', en: 'Prescription required' },
  'payment-scope': { zh: '限定支付范围', en: 'Payment scope' },
  'days-supply': { zh: '超量开药（用药天数）', en: 'Days of supply' },
  'repeat-purchase': { zh: '重复开药', en: 'Refill too soon' },
  'amount-limit': { zh: '医保支付限额', en: 'Fund amount limit' },
  'trace-code-missing': { zh: '追溯码缺失', en: 'Trace code missing' },
  'trace-code-mismatch': { zh: '追溯码与药品不符', en: 'Trace code mismatch' },
  'trace-code-duplicate': { zh: '追溯码重复（回流药）', en: 'Trace code sold before' },
  'stock-shortfall': { zh: '库存不足', en: 'Stock shortfall' },
  'pharmacy-suspended': { zh: '定点协议中止', en: 'Agreement suspended' },
  'buyer-status': { zh: '参保状态', en: 'Insurance standing' },
  'out-of-area-key-drug': { zh: '异地重点药品', en: 'Out-of-area key drug' },
  'key-drug-volume': { zh: '重点药品用量', en: 'Key-drug volume' },
  'platform-analysis': { zh: '平台事前分析', en: 'Platform analysis' },
  'rule-pack-expired': { zh: '规则包已过期', en: 'Rule pack expired' },
};

const SOURCE_LABEL: Text = { zh: '医保基金监管规则（yibao-guard）', en: 'Medical insurance fund rules (yibao-guard)' };
const RULE_SYSTEM = 'urn:yibao-guard:rule';
const REASON_SYSTEM = 'urn:yibao-guard:override-reason';
const INDICATOR = { info: 'info', warning: 'warning', block: 'critical' } as const;

/**
 * The stop level of a finding at a hook: a block is hard everywhere; a warning only soft while the doctor is still
 * picking.
 */
export function stopLevelOf(severity: Finding['severity'], hook: HisHook): StopLevel {
  if (severity === 'block') return 'hard';
  if (severity === 'info') return 'none';
  return hook === 'order-select' ? 'soft' : 'reason-required';
}

/** The reason codings a card offers. */
export function reasonCodings(reasons: Iterable<OverrideReason>, language: Language): CdsCoding[] {
  return [...reasons].map((r) => ({ code: r.code, system: REASON_SYSTEM, display: r.label[language] }));
}

/** A UUID (RFC 9562 version 8: custom, here SHA-256 based) named by text: the same text, the same UUID. */
export async function namedUuid(text: string): Promise<string> {
  const b = (await sha256(text)).slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function hisAction(action: SuggestedAction): HisAction {
  switch (action.kind) {
    case 'remove-line':
      return { kind: 'remove-order', orderId: action.lineId };
    case 'reduce-quantity':
      return { kind: 'reduce-quantity', orderId: action.lineId, quantity: action.quantity };
    default:
      return { kind: action.kind, orderId: action.lineId };
  }
}

function describe(action: SuggestedAction, name: string): { label: Text; cds: (language: Language) => CdsAction } {
  const orderId = action.lineId;
  switch (action.kind) {
    case 'remove-line': {
      const label = { zh: `删除医嘱：${name}`, en: `Remove the order: ${name}` };
      return { label, cds: (l) => ({ type: 'delete', description: label[l], resourceId: [orderId] }) };
    }
    case 'switch-to-self-pay': {
      const label = { zh: `改为自费：${name}`, en: `Switch to self-pay: ${name}` };
      return {
        label,
        cds: (l) => ({ type: 'update', description: label[l], resource: { orderId, payMode: 'self-pay' } }),
      };
    }
    case 'reduce-quantity': {
      const label = { zh: `数量改为 ${action.quantity}：${name}`, en: `Reduce to ${action.quantity}: ${name}` };
      return {
        label,
        cds: (l) => ({ type: 'update', description: label[l], resource: { orderId, quantity: action.quantity } }),
      };
    }
    case 'attach-prescription': {
      const label = { zh: `关联有效处方：${name}`, en: `Attach a valid prescription: ${name}` };
      return { label, cds: (l) => ({ type: 'update', description: label[l], resourceId: [orderId] }) };
    }
  }
}

/** What a card was made from, kept to judge the feedback on it. */
export interface IssuedCard {
  readonly card: CdsCard;
  readonly finding: Finding;
  readonly stopLevel: StopLevel;
  /** Suggestion uuid → the action it stands for. */
  readonly suggestions: ReadonlyMap<string, SuggestedAction>;
}

/**
 * Turns a finding into a card. The card's uuid is named by the hook, the visit and the finding as shown (rule, line,
 * evidence, severity): the same finding at the same hook of the same visit is the same card, so feedback given twice
 * for it (by a retried call, or after the HIS asked again) is recognised as repeated.
 */
export async function toCard(
  finding: Finding,
  at: {
    hook: HisHook;
    saleId: string;
    language: Language;
    reasons: readonly OverrideReason[];
    orderNames: ReadonlyMap<string, string>;
  },
): Promise<IssuedCard> {
  const stopLevel = stopLevelOf(finding.severity, at.hook);
  const uuid = await namedUuid(
    canonicalJson({
      hook: at.hook,
      saleId: at.saleId,
      findingId: finding.findingId,
      ruleId: finding.ruleId,
      lineId: finding.lineId ?? null,
      severity: finding.severity,
      evidence: finding.evidence,
    }),
  );
  const suggestions: CdsSuggestion[] = [];
  const byUuid = new Map<string, SuggestedAction>();
  for (const [index, action] of finding.actions.entries()) {
    // Order names come from the HIS's free text: a 身份证 or mobile number typed into one is masked here.
    const name = maskPersonalData(at.orderNames.get(action.lineId) ?? action.lineId);
    const { label, cds } = describe(action, name);
    const id = await namedUuid(`${uuid}|${index}|${canonicalJson(action)}`);
    byUuid.set(id, action);
    suggestions.push({
      label: label[at.language],
      uuid: id,
      actions: [cds(at.language)],
      extension: { [EXTENSION_KEY]: { action: hisAction(action) } },
    });
  }
  const lines = new Set(finding.actions.map((a) => a.lineId));
  const card: CdsCard = {
    uuid,
    summary: finding.summary[at.language],
    detail: finding.detail[at.language],
    indicator: INDICATOR[finding.severity],
    source: {
      label: SOURCE_LABEL[at.language],
      topic: { system: RULE_SYSTEM, code: finding.ruleId, display: RULE_NAMES[finding.ruleId][at.language] },
    },
    suggestions,
    // Actions on different orders (switch each fund order to 自费) may all be taken; two fixes of one order are
    // alternatives.
    ...(suggestions.length > 0
      ? { selectionBehavior: suggestions.length > 1 && lines.size === suggestions.length ? 'any' : 'at-most-one' }
      : {}),
    overrideReasons: stopLevel === 'hard' || stopLevel === 'none' ? [] : reasonCodings(at.reasons, at.language),
    extension: {
      [EXTENSION_KEY]: {
        findingId: finding.findingId,
        ruleId: finding.ruleId,
        ...defined({ orderId: finding.lineId }),
        stopLevel,
        severity: finding.severity,
        summary: finding.summary,
        detail: finding.detail,
        evidence: finding.evidence,
        source: finding.source,
      },
    },
  };
  return { card, finding, stopLevel, suggestions: byUuid };
}
