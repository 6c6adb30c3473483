import type { AuditEvent } from './schemas/audit.js';
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
  };
  journals: {
    /** The audit trail: verifications, findings, overrides. No unmasked personal data. */
    audit: AuditEvent;
  };
}

/** The names to open a storage with for a terminal. */
export const TERMINAL_NAMES: StorageNames<TerminalLayout> = {
  stores: ['meta', 'voucherUse', 'rulePacks'],
  journals: ['audit'],
};
