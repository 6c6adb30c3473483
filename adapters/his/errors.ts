import { YibaoGuardError, type ErrorCode, type ErrorDetails } from '../../src/index.js';
import { defined } from '../../src/defined.js';

/** Codes of the HIS hook service. */
export type HisErrorCode = Extract<ErrorCode, `HIS_${string}`>;

/** Why a call's token was refused (kept in the answer so an integrator can fix the caller, never the token itself). */
export type HisAuthFailure =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'issuer'
  | 'key'
  | 'signature'
  | 'audience'
  | 'expired'
  | 'not-yet-valid'
  | 'lifetime'
  | 'replayed';

/**
 * A call to the HIS hook service was refused: not authenticated (`HIS_UNAUTHORIZED`, with the `reason`), an unknown
 * service or path, a method the path does not take, feedback on a card shown to another token identity
 * (`HIS_FEEDBACK_FORBIDDEN`), or data the rules need is missing (`HIS_DATA_MISSING`, with the `missing` paths).
 * Messages name fields, never their values.
 */
export class HisError extends YibaoGuardError {
  declare readonly code: HisErrorCode;
  /** For `HIS_UNAUTHORIZED`: what was wrong with the token. */
  declare readonly reason?: HisAuthFailure;
  /** For `HIS_DATA_MISSING`: the context paths the rules need and did not get. */
  declare readonly missing?: readonly string[];

  constructor(
    code: HisErrorCode,
    details: ErrorDetails & { reason?: HisAuthFailure; missing?: readonly string[] } = {},
  ) {
    super(code, details);
    this.name = 'HisError';
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.missing !== undefined) this.missing = details.missing;
  }

  override toJSON(): ReturnType<YibaoGuardError['toJSON']> & { reason?: HisAuthFailure; missing?: readonly string[] } {
    return { ...super.toJSON(), ...defined({ reason: this.reason, missing: this.missing }) };
  }
}
