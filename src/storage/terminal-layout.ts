import type { AuditEvent } from '../schemas/audit.js';
import type { InvoiceChainHead, InvoiceUploadMark } from '../invoice/records.js';
import type { PendingSettlement, SaleRecord } from '../sale/record.js';
import type { SignedInvoice, WrappedTerminalKey } from '../schemas/invoice.js';
import type { StockMovement } from '../schemas/stock.js';
import type { StockLevel } from '../sync/ledger.js';
import type { DeadLetter, OutboxRecord } from '../sync/types.js';
import type { StorageNames } from './contract.js';

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
    /**
     * Personal fields of outbox records by msgid (3505/3506 `selinfo`: the buyer's `certno` 身份证 number and
     * `psn_name`), until the platform acknowledges them (plus `sync.personalRetentionMs`). Marked personal.
     */
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
    /**
     * Settlements (2102) sent whose sale is not recorded yet, by sale id: resolved or reversed at start-up. The
     * prepared 2102 carries the buyer's certificate (`mdtrt_cert_no`: the 身份证 number for a 身份证 voucher), so
     * the store is marked personal; a record lives from just before the 2102 until the sale is recorded.
     */
    settlements: PendingSettlement;
    /**
     * HIS hook service (`yibao-guard/his`): cards shown, by card uuid, with the token identities that got them; kept
     * for feedback until their retention time.
     */
    hisCards: unknown;
    /** HIS hook service: token ids (`jti`) already used, by a hash of issuer and jti, until their token expires. */
    hisJtis: unknown;
    /**
     * HIS hook service: when each record of `hisCards` and `hisJtis` may go (`{store}|{until, ms, zero-padded}|{key}`).
     */
    hisExpiry: unknown;
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
  stores: [
    'meta',
    'voucherUse',
    'rulePacks',
    'outboxPii',
    'deadLetters',
    'movements',
    'stock',
    'invoices',
    'invoiceChain',
    'invoiceKeys',
    'invoiceUploads',
    'sales',
    'settlements',
    'hisCards',
    'hisJtis',
    'hisExpiry',
  ],
  journals: ['audit', 'outbox'],
  // The stores that hold personal data in clear, kept off the disk once deleted (see StorageNames.personal).
  personal: ['outboxPii', 'settlements'],
};
