import { ERROR_CATALOG, type ErrorCode } from './catalog.js';

/** Brand shared by every copy of the package and every realm (Symbol.for uses the agent-wide registry). */
const BRAND = Symbol.for('yibao-guard.error');

/** What a thrower may add to a code: a more precise message, the offending field, the underlying cause. */
export interface ErrorDetails {
  /** English message; defaults to the catalog's. Never contains unmasked personal data. */
  readonly message?: string;
  /** Chinese message; defaults to the catalog's. Never contains unmasked personal data. */
  readonly messageZh?: string;
  /** The input field or path at fault, e.g. `residentId` or `lines.2.quantity`. */
  readonly field?: string;
  /** The error that caused this one. */
  readonly cause?: unknown;
}

/**
 * The base of every error yibao-guard throws. `code` is stable; `message` is English and `messageZh`
 * Chinese, both safe to log (personal data is masked before it reaches them).
 *
 * @example
 * try { await terminal.verifyVoucher(input) }
 * catch (error) { if (isYibaoGuardError(error, 'INVALID_RESIDENT_ID')) showToUser(error.messageZh) }
 */
export class YibaoGuardError extends Error {
  readonly code: ErrorCode;
  readonly messageZh: string;
  declare readonly field?: string;

  constructor(code: ErrorCode, details: ErrorDetails = {}) {
    const entry = ERROR_CATALOG[code];
    super(details.message ?? entry.en, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'YibaoGuardError';
    this.code = code;
    this.messageZh = details.messageZh ?? entry.zh;
    if (details.field !== undefined) this.field = details.field;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Both languages in one line, for logs read by staff and developers alike. */
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.messageZh} / ${this.message}`;
  }

  toJSON(): { name: string; code: ErrorCode; message: string; messageZh: string; field?: string } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      messageZh: this.messageZh,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

/**
 * True for any yibao-guard error, also one thrown by another copy of the package or in another realm
 * (an iframe, a worker's structured error), and, when `code` is given, only for that code.
 *
 * @example
 * if (isYibaoGuardError(error, 'STORAGE_QUOTA')) askToFreeSpace()
 */
export function isYibaoGuardError(error: unknown, code?: ErrorCode): error is YibaoGuardError {
  if (error === null || typeof error !== 'object') return false;
  const candidate = error as { name?: unknown; code?: unknown; messageZh?: unknown; [BRAND]?: unknown };
  const ours =
    error instanceof YibaoGuardError ||
    candidate[BRAND] === true ||
    // An error sent as JSON (toJSON below) keeps name, code and messageZh but not its prototype.
    (typeof candidate.name === 'string' &&
      candidate.name.endsWith('Error') &&
      typeof candidate.code === 'string' &&
      Object.hasOwn(ERROR_CATALOG, candidate.code) &&
      typeof candidate.messageZh === 'string');
  return ours && (code === undefined || candidate.code === code);
}
