import { YibaoGuardError, type ErrorDetails } from './base.js';
import type { ERROR_CATALOG, ErrorCode } from './catalog.js';

type CodesOf<Area extends string> = {
  [C in ErrorCode]: (typeof ERROR_CATALOG)[C]['area'] extends Area ? C : never;
}[ErrorCode];

/** Codes of malformed input: a scan, a typed-in code, a record from outside. */
export type InputErrorCode = CodesOf<'input'>;
/** Codes of the storage adapters. */
export type StorageErrorCode = CodesOf<'storage'>;
/** Codes of the platform client. */
export type PlatformErrorCode = CodesOf<'platform'>;
/** Codes of sales, rule prompts and rule packs. */
export type SaleErrorCode = CodesOf<'sale'>;
/** Codes of voucher verification: the ways a buyer is refused at the till. */
export type VoucherErrorCode = CodesOf<'voucher'>;
/** Codes of invoices: signing keys, reversals, unreadable receipts and exports. */
export type InvoiceErrorCode = CodesOf<'invoice'>;

/** Where zod (or a hand-written parser) found input at fault: a path and a message, never the input's value. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Malformed input from outside: a scan, a typed-in code, a platform response, a stored record, a rule
 * pack. Thrown before anything is sent or stored, so nothing is changed by it.
 */
export class InputError extends YibaoGuardError {
  declare readonly code: InputErrorCode;
  /** What was wrong, where (for a schema failure, one entry per zod issue). */
  readonly issues: readonly InputIssue[];

  constructor(code: InputErrorCode, details: ErrorDetails & { issues?: readonly InputIssue[] } = {}) {
    super(code, details);
    this.name = 'InputError';
    this.issues = details.issues ?? [];
  }
}

/** A storage adapter could not do what was asked; a write that throws this has written nothing. */
export class StorageError extends YibaoGuardError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'StorageError';
  }
}

/** A package entry point that a later release fills (see the README's roadmap). */
export class NotBuiltError extends YibaoGuardError {
  declare readonly code: 'NOT_BUILT_YET';

  constructor(entry: string) {
    super('NOT_BUILT_YET', {
      message: `yibao-guard/${entry} is not built yet`,
      messageZh: `yibao-guard/${entry} 尚未实现`,
    });
    this.name = 'NotBuiltError';
  }
}

/** What every platform error says about the call it concerns. */
export interface PlatformCallInfo {
  /** The transaction number (`infno`). */
  readonly infno: string;
  /** The request's `msgid`: the key to ask about, or reverse (2601), a write whose answer was lost. */
  readonly msgid: string;
}

/** The base of the platform client's errors. */
export class PlatformError extends YibaoGuardError {
  declare readonly code: PlatformErrorCode;
  readonly infno: string;
  readonly msgid: string;

  constructor(code: PlatformErrorCode, call: PlatformCallInfo, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'PlatformError';
    this.infno = call.infno;
    this.msgid = call.msgid;
  }
}

/**
 * The platform answered with a non-zero `infcode`: it refused the business (-2) or failed (-1). The
 * platform's own code and message are kept; `messageZh` shows the platform's text to staff.
 */
export class PlatformRejectedError extends PlatformError {
  /** The platform's `infcode` (-1 system failure, -2 business error, or a provincial code). */
  readonly infcode: number;
  /** The platform's `err_msg`, masked of personal data. */
  readonly platformMessage: string;

  constructor(call: PlatformCallInfo, infcode: number, platformMessage: string) {
    super('PLATFORM_REJECTED', call, {
      message: `The platform rejected ${call.infno} (infcode ${infcode}): ${platformMessage}`,
      messageZh: `医保平台拒绝了 ${call.infno} 交易（infcode ${infcode}）：${platformMessage}`,
    });
    this.name = 'PlatformRejectedError';
    this.infcode = infcode;
    this.platformMessage = platformMessage;
  }
}

/**
 * No usable answer: the network failed, the request timed out, the gateway answered 5xx or 429. Nothing is
 * known to have happened, except for writes, which are raised as `PLATFORM_OUTCOME_UNKNOWN` instead.
 */
export class PlatformUnavailableError extends PlatformError {
  /** The HTTP status, when there was an answer. */
  declare readonly status?: number;
  /** How long the platform asked us to wait (Retry-After), in ms. */
  declare readonly retryAfterMs?: number;

  constructor(
    call: PlatformCallInfo,
    details: ErrorDetails & { status?: number; retryAfterMs?: number; outcomeUnknown?: boolean } = {},
  ) {
    super(details.outcomeUnknown ? 'PLATFORM_OUTCOME_UNKNOWN' : 'PLATFORM_UNAVAILABLE', call, details);
    this.name = 'PlatformUnavailableError';
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** The platform answered, but not in the interface's form (not JSON, a missing field, a wrong type). */
export class PlatformProtocolError extends PlatformError {
  readonly issues: readonly InputIssue[];

  constructor(call: PlatformCallInfo, details: ErrorDetails & { issues?: readonly InputIssue[] } = {}) {
    super('PLATFORM_PROTOCOL', call, details);
    this.name = 'PlatformProtocolError';
    this.issues = details.issues ?? [];
  }
}

/**
 * A buyer is refused at the till: the voucher cannot be read or used, or the person may not draw on the fund.
 * `selfPayAllowed` tells the till whether the sale may go on as 自费 (true only when the platform was
 * unreachable: a refused person or voucher is not a reason to sell the same goods for cash instead).
 */
export class VoucherError extends YibaoGuardError {
  declare readonly code: VoucherErrorCode;
  readonly selfPayAllowed: boolean;

  constructor(code: VoucherErrorCode, details: ErrorDetails & { selfPayAllowed?: boolean } = {}) {
    super(code, details);
    this.name = 'VoucherError';
    this.selfPayAllowed = details.selfPayAllowed ?? false;
  }
}

/** A sale cannot do what was asked: an unknown scan, an override a rule does not allow, settlement refused. */
export class SaleError extends YibaoGuardError {
  declare readonly code: SaleErrorCode;

  constructor(code: SaleErrorCode, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'SaleError';
  }
}

/**
 * An invoice operation could not be done: the terminal key cannot be unwrapped or used, a refund names no
 * invoice it could reverse, a receipt QR code or chain export cannot be read. (A chain that reads but is wrong
 * is not an error: `verifyChain` reports it.)
 */
export class InvoiceError extends YibaoGuardError {
  declare readonly code: InvoiceErrorCode;

  constructor(code: InvoiceErrorCode, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'InvoiceError';
  }
}
