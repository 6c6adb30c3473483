/**
 * yibao-guard/voucher: real-name verification (实名购药): reading a voucher scan, the 1101 person query,
 * refusals and velocity warnings.
 *
 * @packageDocumentation
 */
export { readVoucher, readEcQr, type ReadVoucher } from './scan.js';
export {
  verifyVoucher,
  DEFAULT_REFUSAL_PATTERNS,
  type VoucherVerifierOptions,
  type VerifyVoucherRequest,
  type PersonQueryPort,
  type RefusalPattern,
} from './verify.js';
export type {
  VerifiedBuyer,
  BuyerInsurance,
  ChronicQualification,
  CounterBuyer,
  VoucherWarning,
  BuyerIdentity,
} from './buyer.js';
export { countVerification } from './velocity.js';
