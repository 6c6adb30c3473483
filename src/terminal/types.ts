/*
 * What the till shows the app: its events, the receipts it hands back, a sale at the till, and the till's own
 * members (create-terminal.ts adds the platform-facing ones). The concepts live beside this file: sale.ts, settle.ts,
 * settlement.ts, refund.ts, recovery.ts, movements.ts, rule-packs.ts, sync.ts; commit.ts is a sale's one write.
 */
import type { SelfAuditOptions, SelfAuditReport } from '../audit/index.js';
import type { Ed25519Fallback } from '../crypto/index.js';
import type { InvoiceBook, IssuedInvoice } from '../invoice/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { PlatformClient } from '../platform/client.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { RulePackExpiredPolicy } from '../rules/expiry.js';
import type { TrustedKey } from '../rules/pack.js';
import type { SaleRecord } from '../sale/record.js';
import type { ReviewedFinding, SaleSession } from '../sale/session.js';
import type { Product } from '../schemas/product.js';
import type { RulePack } from '../schemas/rule-pack.js';
import type { PaymentSplit, SaleLine } from '../schemas/sale.js';
import type { StockMovement } from '../schemas/stock.js';
import type { Storage } from '../storage/contract.js';
import type { StockLevel } from '../sync/ledger.js';
import type { SyncEvent } from '../sync/types.js';
import type { SyncWorker, SyncWorkerOptions } from '../sync/worker.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';

/** What the till part of a terminal is opened with (create-terminal.ts resolves the options into this). */
export interface TillContext {
  readonly platform: PlatformClient;
  readonly storage: Storage<TerminalLayout>;
  readonly terminalId: string;
  readonly pharmacy: { readonly code: string; readonly agreement: 'active' | 'suspended' | 'ended' };
  readonly operator: { readonly id: string; readonly name: string; readonly certNo?: string };
  readonly products: Iterable<Product>;
  readonly clock: { now(): number };
  readonly random: (n: number) => Uint8Array;
  readonly book: InvoiceBook;
  readonly rulePack: RulePack | undefined;
  readonly trustedKeys: readonly TrustedKey[];
  /** Ed25519 where WebCrypto has none, for the rule packs' signatures (and the self-audit's). */
  readonly ed25519Fallback?: Ed25519Fallback;
  readonly area: string;
  /** The pack series the till follows (see `RulePackScope.packId`); by default the one of the pack it has. */
  readonly rulePackId?: string;
  /** What an insured sale meets while no current pack is in force. */
  readonly rulePackExpired: RulePackExpiredPolicy;
  /** How long, by `clock`, a till with an expired pack waits between two YG03 requests made by reviews. */
  readonly rulePackRetryMs: number;
  /** Ask the platform's 3101 at each review when online. */
  readonly platformChecks: boolean;
  readonly sync: Omit<SyncWorkerOptions, 'storage' | 'platform' | 'clock' | 'onEvent' | 'owner'> & {
    readonly owner?: string;
    readonly autoStart?: boolean;
  };
  readonly emit: (event: TerminalEvent) => void;
  /** The self-audit (`selfAudit` of `yibao-guard/audit`) that `selfAudit()` runs, when the app gave it. */
  readonly selfAudit?: (options: SelfAuditOptions) => Promise<SelfAuditReport>;
}

/** The events a till's UI listens to (`terminal.on(type, listener)`). */
export type TerminalEvent =
  | SyncEvent
  | { readonly type: 'finding'; readonly saleId: string; readonly finding: ReviewedFinding }
  | { readonly type: 'sale:settled'; readonly receipt: Receipt }
  | { readonly type: 'sale:refunded'; readonly refund: RefundReceipt }
  | { readonly type: 'settlement:unknown'; readonly saleId: string; readonly msgid: string }
  | { readonly type: 'settlement:reversed'; readonly saleId: string; readonly msgid: string }
  | { readonly type: 'rule-pack'; readonly version: number }
  /**
   * An invoice was issued while the device clock was behind the book's last time (a clock set back): it is dated
   * `issuedAt` (the book's time: issue times never go backwards) and says so itself (`clockBehindMs`); the clock
   * said `deviceTime`. Suspicious in itself: have the clock checked. Also in the audit trail (`clock-behind`).
   */
  | {
      readonly type: 'clock:behind';
      readonly seq: number;
      readonly issuedAt: number;
      readonly deviceTime: number;
      readonly behindMs: number;
    };

/** What a settled sale hands back: the receipt to print and the record kept. */
export interface Receipt {
  readonly saleId: string;
  /** The invoice: seq, hash, QR text, whether it is signed. */
  readonly invoice: IssuedInvoice;
  readonly split: PaymentSplit;
  readonly lines: readonly SaleLine[];
  /** The platform's settlement ids, for an insured sale. */
  readonly setlId?: string;
  readonly sale: SaleRecord;
}

/** A refund as issued: the refund invoice and the updated sale record. */
export interface RefundReceipt {
  readonly saleId: string;
  readonly refundId: string;
  readonly invoice: IssuedInvoice;
  readonly split: PaymentSplit;
  readonly sale: SaleRecord;
}

/** Settlement choices. */
export interface SettleOptions {
  /** Pay the personal part from the buyer's personal account (个人账户). @default true */
  readonly useAccount?: boolean;
  /** The 执业药师 who checked the prescription, for the 3505 report. */
  readonly pharmacist?: { readonly name: string; readonly certNo?: string };
}

/** A sale at the till: the sale session (scan, review, override) plus settlement. */
export interface TerminalSale extends SaleSession {
  /** The verified buyer, when the sale is insured. */
  readonly verifiedBuyer: VerifiedBuyer | undefined;
  /**
   * A fresh verification of the same person (a refreshed 医保码: an e-voucher serves one settlement, so after
   * `SETTLEMENT_REVERSED` the buyer shows a new one). Refused for another person.
   */
  renewVoucher(buyer: VerifiedBuyer): void;
  /**
   * Settles the sale: 2101 pre-settlement → 2102 settlement → the signed invoice → the sale, its stock movements,
   * its 3505 reports, the invoice upload and the audit trail in the outbox, all in one atomic write. Refused
   * (`RULE_BLOCKED`, `RULE_WARNING_NOT_OVERRIDDEN`, `SALE_NOT_REVIEWED`) unless the last review allows it. When
   * the platform's answer to 2102 is lost, it asks again with the same msgid; if the platform still cannot say, it
   * reverses the settlement (2601) — `SETTLEMENT_REVERSED`: nothing was charged, settle again — or, when even that
   * cannot reach the platform, throws `SETTLEMENT_OUTCOME_UNKNOWN`: do not take money; the next `settle()` of this
   * sale (or `recoverSettlements()` after a restart) finds out.
   */
  settle(options?: SettleOptions): Promise<Receipt>;
}

/** What the till part adds to the terminal. */
export interface Till {
  readonly invoices: InvoiceBook;
  readonly catalog: Catalog;
  startSale(buyer?: VerifiedBuyer): TerminalSale;
  refund(
    saleId: string,
    options?: { readonly lines?: readonly { readonly lineId: string; readonly quantity: number }[] },
  ): Promise<RefundReceipt>;
  recordMovement(
    movement: DistributiveOmit<StockMovement, 'operatorId'> & { readonly operatorId?: string },
  ): Promise<void>;
  stock(): readonly StockLevel[];
  onHand(productId: string): number | undefined;
  sale(saleId: string): Promise<SaleRecord | undefined>;
  sales(options?: { readonly after?: string; readonly limit?: number }): Promise<SaleRecord[]>;
  readonly sync: TerminalSync;
  readonly rulePack: RulePack | undefined;
  updateRulePack(): Promise<RulePack | undefined>;
  installRulePack(signed: unknown): Promise<RulePack>;
  recoverSettlements(): Promise<{ readonly reversed: readonly string[]; readonly pending: readonly string[] }>;
  /**
   * 自查自纠: replays every sale settled in `[from, to)` through the rules (the pack in force then, or `rulePack`)
   * and returns the problem ledger (问题台账) with its summaries; see `selfAudit`. The terminal's own storage, catalog
   * and trusted keys are used unless given. Runs the `selfAudit` given to `createTerminal` (from `yibao-guard/audit`,
   * so that a till that never audits does not bundle it); without one it rejects with `INVALID_INPUT`.
   */
  selfAudit(
    options: Omit<SelfAuditOptions, 'storage' | 'catalog'> & { readonly catalog?: Catalog },
  ): Promise<SelfAuditReport>;
  close(): Promise<void>;
}

/** Delivery to the platform, as the till's badge and dead-letter page use it. */
export interface TerminalSync extends Pick<
  SyncWorker,
  'status' | 'deadLetters' | 'annotate' | 'close' | 'drain' | 'start' | 'stop'
> {
  /** Drains now (e.g. before closing the till). */
  flush(): ReturnType<SyncWorker['drain']>;
  /** Resubmits a corrected dead letter as a new record. */
  resubmit(
    seq: number,
    fix: { readonly input: unknown; readonly note?: string },
  ): Promise<{ readonly seq: number; readonly msgid: string }>;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
