import type { PreparedCall } from '../platform/client.js';

/** What an outbox record reports: a 进销存 record (3501–3507), an invoice (YG01), or the audit trail. */
export type OutboxKind = 'report' | 'invoice' | 'audit';

/**
 * A record waiting to be delivered, exactly as it will be sent: its `msgid` fixed when the business fact was
 * written, so a resend after a crash is the same message and the platform answers it with its first answer.
 * Personal fields (the buyer's name and 身份证 that 3505 may carry) are not here: they wait in `outboxPii`
 * and are deleted once the platform has acknowledged the record.
 */
export interface OutboxRecord {
  readonly kind: OutboxKind;
  readonly prepared: PreparedCall;
  readonly createdAt: number;
  /** The business fact it reports (sale id, movement id, invoice seq), for the operator. */
  readonly ref: string;
  /** Personal fields wait in `outboxPii` under the msgid, merged into the input node at send time. */
  readonly pii?: { readonly node: string };
}

/** A record the platform refused: kept with the platform's reason until the operator resolves it. */
export interface DeadLetter {
  readonly seq: number;
  readonly record: OutboxRecord;
  readonly at: number;
  readonly reason: {
    readonly code: string;
    readonly infcode?: number;
    readonly message: string;
    readonly messageZh: string;
  };
  readonly notes: readonly { readonly at: number; readonly by: string; readonly text: string }[];
  /** Set when the operator resubmitted a corrected record (its new outbox seq) or closed it with a note. */
  readonly resolved?: {
    readonly at: number;
    readonly by: string;
    readonly how: 'resubmitted' | 'closed';
    readonly newSeq?: number;
  };
}

/** Where delivery stands, for a progress bar and a status badge. */
export interface SyncStatus {
  readonly state: 'idle' | 'draining' | 'backoff' | 'circuit-open' | 'stopped' | 'not-leader';
  /** Records written but not yet acknowledged (dead letters not counted). */
  readonly pending: number;
  /** When the oldest pending record was written. */
  readonly oldestPendingAt?: number;
  readonly lastSuccessAt?: number;
  /** Open dead letters: refused records the operator has not resolved. */
  readonly deadLetters: number;
  /** When the next attempt is due, while backing off. */
  readonly nextAttemptAt?: number;
  /** The last transient failure's code (PLATFORM_UNAVAILABLE, PLATFORM_AUTH_FAILED, …). */
  readonly lastError?: string;
}

export type SyncEvent =
  | { readonly type: 'sync:progress'; readonly status: SyncStatus; readonly delivered?: number }
  | { readonly type: 'sync:dead-letter'; readonly seq: number; readonly reason: DeadLetter['reason'] }
  | { readonly type: 'offline'; readonly status: SyncStatus }
  | { readonly type: 'online'; readonly status: SyncStatus };
