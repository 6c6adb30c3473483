import type { Ed25519Fallback } from '../crypto/ed25519.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { StockView } from '../rules/context.js';
import type { TrustedKey } from '../rules/pack.js';
import type { SaleRecord } from '../sale/record.js';
import type { EvidenceValue, Severity } from '../schemas/finding.js';
import type { Text } from '../schemas/primitives.js';
import type { RuleId, RulePack } from '../schemas/rule-pack.js';
import type { Storage } from '../storage/contract.js';

/** Options of {@link selfAudit}. */
export interface SelfAuditOptions {
  /** The terminal's storage: settled sales (`sales`), installed rule packs (`rulePacks`), the audit trail (`audit`). */
  readonly storage: Storage<TerminalLayout>;
  /** The product master the sales are checked against (the pharmacy's current one). */
  readonly catalog: Catalog;
  /** Start of the period, inclusive: epoch ms, or a CST day `YYYY-MM-DD` (its 00:00 China time). */
  readonly from: number | string;
  /** End of the period, exclusive: epoch ms, or a CST day `YYYY-MM-DD` (its 00:00: that day is not included). */
  readonly to: number | string;
  /**
   * Replay every sale under this pack ("what would today's rules have caught") instead of the pack in force when
   * each sale settled.
   */
  readonly rulePack?: RulePack;
  /**
   * The packs by version, instead of those installed in `storage`: each sale is replayed under the one whose
   * version its record names (`review.packVersion`).
   */
  readonly packs?: readonly RulePack[];
  /**
   * Platform keys to verify the stored packs' signatures with. Without them stored packs are used as stored, and
   * the report says they were not verified. A stored pack that does not verify is not used (see `notes`).
   */
  readonly trusted?: readonly TrustedKey[];
  /**
   * Ed25519 for the packs' signatures where WebCrypto has none (`tweetnaclEd25519` of `yibao-guard/ed25519-fallback`).
   * Without it, such a runtime rejects with `ENVIRONMENT_UNSUPPORTED` rather than call every pack forged.
   */
  readonly ed25519Fallback?: Ed25519Fallback;
  /**
   * Include `info` findings in the ledger and its totals (hints such as a restriction stated only in words). @default
   * false
   */
  readonly includeInfo?: boolean;
  /**
   * How far before `from` earlier sales are read to rebuild each buyer's history (repeat purchases, yearly ceilings,
   * usual volumes). Sales in that stretch feed the history only; they are not in the ledger.
   * @default the start of `from`'s calendar year (CST) or the longest window of any pack in use, whichever is earlier
   */
  readonly historyFrom?: number;
  /**
   * The stock ledger as it stood at a sale, for the stock-shortfall rule. Without it that rule is not replayed
   * (the sales alone do not say what was on hand), but its warnings overridden at the till still appear.
   */
  readonly stockAt?: (sale: SaleRecord) => StockView | undefined;
  /** The pharmacy's 定点 agreement at a time. @default always `active` */
  readonly agreementAt?: (at: number) => 'active' | 'suspended' | 'ended';
  /** Records read per storage call (a page of sales is held in memory at once). @default 2000 */
  readonly pageSize?: number;
  /** Called as the audit goes: after each page of the index and every few hundred sales of the replay. */
  readonly onProgress?: (progress: SelfAuditProgress) => void;
  /** Stops the audit between pages: it then rejects with `AUDIT_CANCELLED`. */
  readonly signal?: AbortSignal;
}

/** Where a running self-audit is. */
export interface SelfAuditProgress {
  /** `indexing`: reading which sales there are; `replaying`: running the rules; `done`: the report is ready. */
  readonly phase: 'indexing' | 'replaying' | 'done';
  /** Sales read (indexing) or replayed (replaying, history sales before the period included). */
  readonly salesDone: number;
  /** Sales to replay, history sales included; 0 while indexing. */
  readonly salesTotal: number;
  /** Lines of the period's sales checked so far. */
  readonly linesDone: number;
  /** Lines of the period's sales (known once indexing has read them). */
  readonly linesTotal: number;
  /** Findings in the ledger so far. */
  readonly findings: number;
}

/** What became of a finding at the till. */
export type TillOutcome =
  /** The pharmacist saw it and overrode it with a reason. */
  | 'overridden'
  /** The till showed it (an information card, or a platform finding) and the sale settled. */
  | 'shown'
  /** The till did not show it: an older pack, a rule switched off then, or history the till did not have. */
  | 'not-shown';

/** An override given at the till: the reason code and its label in the pack, the note (masked), and who. */
export interface LedgerOverride {
  readonly reasonCode: string;
  readonly reasonLabel?: Text;
  readonly note: string;
  readonly operatorId: string;
}

/**
 * One row of the problem ledger (问题台账): a finding on a settled sale.
 *
 * Money at stake: a sale's 医保 payment (统筹基金 `split.fundFen` + 个人账户 `split.accountFen`) is shared out over its
 * fund lines in proportion to their amounts (largest remainder, so the shares add up to the 分); a refund's 医保 part
 * is shared out over the lines it returns in the same way. A line's `atStakeFen` is its share less what refunds
 * returned. A finding about one line puts that line at stake; a finding about the whole sale (the buyer, the
 * pharmacy, a ceiling) puts every fund line of the sale at stake. 自费 lines are never at stake.
 */
export interface LedgerEntry {
  readonly saleId: string;
  readonly settledAt: number;
  /** CST day of settlement, `YYYY-MM-DD`. */
  readonly date: string;
  /** CST month, `YYYY-MM`. */
  readonly month: string;
  readonly pharmacyCode: string;
  readonly terminalId: string;
  readonly operatorId: string;
  /** The rule pack version the sale was replayed under (null: the engine's defaults). */
  readonly packVersion: number | null;
  readonly findingId: string;
  readonly ruleId: RuleId;
  readonly ruleTitle: Text;
  readonly severity: Severity;
  /** The card's title, as the till would show it (for findings carried over from the till, the rule's title). */
  readonly summary: Text;
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  /** `replay`: found by running the rules again; `till`: overridden at the till and not re-checkable here. */
  readonly origin: 'replay' | 'till';
  /** The line, for a finding about one line; absent for a finding about the whole sale. */
  readonly lineId?: string;
  readonly productId?: string;
  readonly productName?: string;
  readonly medListCode?: string;
  /** The lines at stake: the finding's line, or every fund line for a finding about the whole sale. */
  readonly lineIds: readonly string[];
  /** Amount of the lines at stake (all payers), 分. */
  readonly amountFen: number;
  /** Their share of the 医保 payment (统筹 + 个人账户), 分. */
  readonly insuredFen: number;
  /** What refunds returned of that share, 分. */
  readonly refundedFen: number;
  /** `insuredFen - refundedFen`: fund money paid out and kept, 分. */
  readonly atStakeFen: number;
  readonly tillOutcome: TillOutcome;
  readonly override?: LedgerOverride;
}

/** Counts and money of one group of the ledger (a rule, a month, a product, an operator). */
export interface LedgerSummaryRow {
  /** The group: a rule id, `YYYY-MM`, a product id, an operator id. */
  readonly key: string;
  /** A rule's title, a product's name. */
  readonly label?: Text;
  readonly findings: number;
  readonly block: number;
  readonly warning: number;
  readonly info: number;
  readonly overridden: number;
  /** Distinct sales with a finding in the group. */
  readonly sales: number;
  /** Distinct lines at stake in the group. */
  readonly lines: number;
  /** Fund money at stake in the group, each line counted once however many findings it has, 分. */
  readonly atStakeFen: number;
}

/** The totals of a self-audit. */
export interface LedgerTotals {
  /** Sales of the period replayed. */
  readonly sales: number;
  readonly lines: number;
  /** 医保 payment (统筹 + 个人账户) of the period's sales, less refunds, 分. */
  readonly insuredFen: number;
  readonly findings: number;
  readonly block: number;
  readonly warning: number;
  readonly info: number;
  readonly overridden: number;
  readonly notShown: number;
  readonly salesWithFindings: number;
  readonly linesAtStake: number;
  /** Fund money at stake, each line counted once, 分. */
  readonly atStakeFen: number;
}

/** A rule pack used by the replay. */
export interface AuditPackUse {
  /** Null for the engine's defaults (sales settled with no pack installed). */
  readonly version: number | null;
  readonly packId?: string;
  /** `stored`: installed in the terminal; `given`: passed in (`rulePack` or `packs`); `defaults`: no pack. */
  readonly source: 'stored' | 'given' | 'defaults';
  /** Whether its signature was verified with `trusted` keys (given packs and defaults: false). */
  readonly verified: boolean;
  /** Sales of the period replayed under it. */
  readonly sales: number;
}

/** Something the reader of the report should know about how far it goes. */
export interface AuditNote {
  readonly code:
    | 'pack-missing'
    | 'pack-unverified'
    | 'pack-invalid'
    | 'record-unreadable'
    | 'products-missing'
    | 'stock-not-replayed';
  readonly text: Text;
  /** How many sales (or products) it concerns. */
  readonly count: number;
}

/** The result of {@link selfAudit}: the ledger, its summaries and totals. Plain JSON data. */
export interface SelfAuditReport {
  readonly format: 'yibao-guard.self-audit/1';
  readonly period: { readonly from: number; readonly to: number; readonly fromDate: string; readonly lastDate: string };
  /** `in-force`: each sale under the pack in force when it settled; `given`: every sale under `rulePack`. */
  readonly mode: 'in-force' | 'given';
  readonly pharmacyCodes: readonly string[];
  readonly terminalIds: readonly string[];
  readonly packs: readonly AuditPackUse[];
  readonly entries: readonly LedgerEntry[];
  readonly byRule: readonly LedgerSummaryRow[];
  readonly byMonth: readonly LedgerSummaryRow[];
  readonly byProduct: readonly LedgerSummaryRow[];
  readonly byOperator: readonly LedgerSummaryRow[];
  readonly totals: LedgerTotals;
  readonly notes: readonly AuditNote[];
}
