/**
 * yibao-guard: 医保基金合规收银 SDK. The package root is what a till integrator needs: `createTerminal`, its options
 * and what it returns, storage for it, the errors it throws. Every other part has its own entry, one concept each:
 * `yibao-guard/codes` (validators, masks, money), `/schemas` (the zod schemas of every record), `/errors`,
 * `/storage` (the storage contract), `/crypto`, `/voucher`, `/platform`, `/invoice`, `/audit`, `/rules`, `/sync`,
 * `/engine` (the parts a till is built from), and the adapters `/idb`, `/sqlite`, `/simulator`, `/his`.
 *
 * @packageDocumentation
 */
export {
  createTerminal,
  type Terminal,
  type TerminalOptions,
  type TerminalIdentity,
  type TerminalEvent,
  type TerminalSale,
  type TerminalSync,
  type Receipt,
  type RefundReceipt,
  type SettleOptions,
} from './terminal/create-terminal.js';
export { TERMINAL_NAMES, type TerminalLayout } from './storage/terminal-layout.js';
export type { Storage } from './storage/contract.js';
export { createMemoryStorage } from './storage/memory.js';
export {
  YibaoGuardError,
  isYibaoGuardError,
  InputError,
  VoucherError,
  SaleError,
  PlatformError,
  StorageError,
  InvoiceError,
  type ErrorCode,
  type ErrorDetails,
} from './errors/index.js';
export { maskPersonalData } from './codes/mask.js';
export { yuanToFen, fenToYuan, type Fen } from './money.js';
// What a sale's screens show: the voucher and buyer, the lines, the review and its findings, the sync status.
export type {
  VoucherInput,
  Product,
  Sale,
  SaleLine,
  Prescription,
  Finding,
  Severity,
  Override,
  OverrideReason,
  SignedInvoice,
} from './schemas/index.js';
export type { VerifiedBuyer, VoucherWarning } from './voucher/index.js';
export type { Review, ReviewedFinding, AddLineInput } from './sale/index.js';
export type { SaleRecord } from './sale/record.js';
export type { SyncStatus, SyncEvent, DeadLetter } from './sync/index.js';
