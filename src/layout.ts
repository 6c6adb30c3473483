import type { AuditEvent } from './schemas/audit.js';
import type { InvoiceChainHead, InvoiceUploadMark } from './invoice/records.js';
import type { PendingSettlement, SaleRecord } from './sale/record.js';
import type { SignedInvoice, WrappedTerminalKey } from './schemas/invoice.js';
import type { StockMovement } from './schemas/stock.js';
import type { StockLevel } from './sync/ledger.js';
import type { DeadLetter, OutboxRecord } from './sync/types.js';
import type { StorageNames } from './storage.js';

/** When and where one person's voucher was verified: the history velocity checks read. */
export interface VoucherUseRecord {
  /** Verifications inside the longest window any policy looks at, oldest first. */
  readonly uses: readonly { readonly at: number; readonly terminalId: string }[];
}

/**
 * What a terminal keeps in its storage: every capability's stores and journals in one layout, so that an
 * adapter opens one database and an atomic batch can span capabilities (a sale, its outbox records and its
 * audit events together).
 */
export interface TerminalLayout {
  stores: {
    /** Small facts of the terminal (settings, counters). */
    meta: unknown;
    /** Voucher verifications per person (`psn_no`), for velocity checks. */
    voucherUse: VoucherUseRecord;
    /** Signed rule packs: `current` (in force) and every installed version (`v00000003`), as published. */
    rulePacks: unknown;
    /** Personal fields of outbox records by msgid, until the platform acknowledges them. */
    outboxPii: Readonly<Record<string, unknown>>;
    /** Records the platform refused, by outbox seq (zero-padded), kept until the operator resolves them. */
    deadLetters: DeadLetter;
    /** Stock movements (purchases, sales, returns, counts) by movement id. */
    movements: StockMovement;
    /** The stock ledger: on-hand per `productId|batchNo`. */
    stock: StockLevel;
    /** Signed invoices (`{pharmacy}/{terminal}/{seq}`): never changed once written. */
    invoices: SignedInvoice;
    /** The head of each invoice chain: last seq and hash, signing key, unsigned run. */
    invoiceChain: InvoiceChainHead;
    /** Terminal keys, the private half wrapped under the device secret. */
    invoiceKeys: WrappedTerminalKey;
    /** How far each invoice chain has been uploaded (YG01). */
    invoiceUploads: InvoiceUploadMark;
    /** Settled sales by sale id (refunds, the self-audit and the sale list read them). No unmasked personal data. */
    sales: SaleRecord;
    /** Settlements (2102) sent whose sale is not recorded yet, by sale id: resolved or reversed at start-up. */
    settlements: PendingSettlement;
  };
  journals: {
    /** The audit trail: verifications, findings, overrides. No unmasked personal data. */
    audit: AuditEvent;
    /** Everything to deliver to the platform, in order; `meta` `outbox.cursor` says how far it is delivered. */
    outbox: OutboxRecord;
  };
}

/** The names to open a storage with for a terminal. */
export const TERMINAL_NAMES: StorageNames<TerminalLayout> = {
  stores: ['meta', 'voucherUse', 'rulePacks', 'outboxPii', 'deadLetters', 'movements', 'stock', 'invoices', 'invoiceChain', 'invoiceKeys', 'invoiceUploads', 'sales', 'settlements'],
  journals: ['audit', 'outbox'],
};
