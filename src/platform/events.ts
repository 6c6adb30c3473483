import type { ErrorCode } from '../errors/index.js';

/*
 * What the platform client tells a log. Events name the call (infno, msgid), its attempts, how long it took
 * and how it ended; they never carry the input or the output, which hold personal data, and any text from
 * the platform in them has passed through the masks.
 */

/**
 * One HTTP request is about to leave (a retry or a resend after re-sign-in is a new attempt).
 *
 * @example
 * { type: 'attempt', infno: '2102', msgid: 'P22010100001202611231005090001', attempt: 2 }
 */
export interface PlatformAttemptEvent {
  readonly type: 'attempt';
  readonly infno: string;
  readonly msgid: string;
  /** 1 for the first request of this call. */
  readonly attempt: number;
}

/**
 * The platform said the sign-in (`sign_no`) expired; the client signs in again and resends the same msgid.
 *
 * @example
 * { type: 'sign-in-expired', infno: '1101', msgid: 'P22010100001202611231005090002', infcode: -2, message: '签到信息已失效' }
 */
export interface PlatformSignInExpiredEvent {
  readonly type: 'sign-in-expired';
  readonly infno: string;
  readonly msgid: string;
  readonly infcode: number;
  /** The platform's `err_msg`, masked. */
  readonly message: string;
}

/**
 * A call ended.
 *
 * @example
 * { type: 'result', infno: '2102', msgid: 'P22010100001202611231005090001', attempts: 1, durationMs: 412, outcome:
 * 'OK', infcode: 0 }
 */
export interface PlatformResultEvent {
  readonly type: 'result';
  readonly infno: string;
  readonly msgid: string;
  /** HTTP requests made for this call. */
  readonly attempts: number;
  /** From the first request to the end, by the injected clock. */
  readonly durationMs: number;
  /**
   * `OK`, the code of the error the call threw, or `UNEXPECTED` for an error not from yibao-guard (a signer's, say).
   */
  readonly outcome: 'OK' | ErrorCode | 'UNEXPECTED';
  /** The platform's `infcode`, when it answered with one. */
  readonly infcode?: number;
  /** The HTTP status, when the failure was an HTTP one. */
  readonly status?: number;
  /** The error's message (masked), when the call failed. */
  readonly message?: string;
}

/**
 * Everything `onEvent` receives.
 *
 * @example
 * createPlatformClient({ ...options, onEvent: (event) => { if (event.type === 'result') log.info(event) } })
 */
export type PlatformEvent = PlatformAttemptEvent | PlatformSignInExpiredEvent | PlatformResultEvent;

/**
 * Wraps `onEvent`: a listener that throws must not turn a settled sale into a failed one, so its errors are
 * dropped.
 *
 * @example
 * const emit = emitter(options.onEvent)
 * emit({ type: 'attempt', infno: '1101', msgid, attempt: 1 })
 */
export function emitter(listener: ((event: PlatformEvent) => void) | undefined): (event: PlatformEvent) => void {
  if (listener === undefined) return () => {};
  return (event) => {
    try {
      listener(event);
    } catch {
      // A log that fails is not the sale's problem.
    }
  };
}
