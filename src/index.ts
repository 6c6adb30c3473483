/**
 * yibao-guard: 医保基金合规收银 SDK. This file is the public API of the platform-free core and nothing else.
 *
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './codes/index.js';
export { yuanToFen, fenToYuan, fenToYuanNumber, priceToMicros, microsToPrice, lineAmountFen, quantityToTenThousandths, type Fen } from './money.js';
export * from './schemas/index.js';
export type {
  Storage,
  StorageLayout,
  StorageNames,
  StoreName,
  JournalName,
  StoredRecord,
  JournalEntry,
  ExpectedRev,
  WriteOp,
  WriteReceipt,
  ListOptions,
  ReadOptions,
  JsonValue,
} from './storage.js';
export * from './storage/index.js';
export { canonicalJson } from './canonical-json.js';
export * from './crypto/index.js';
export * from './platform/index.js';
export * from './voucher/index.js';
// The rule engine, the sale session and the outbox are in `yibao-guard/rules`, `yibao-guard/sync` and
// `yibao-guard/engine`; their types are here for UIs that show what they return.
export type { Catalog, BuyerFacts, PurchaseRecord, HistoryIndex, TraceCodeView, StockView, TrustedKey, CompiledPack } from './rules/index.js';
export type { SaleSession, Review, ReviewedFinding, AddLineInput } from './sale/index.js';
export type { OutboxRecord, OutboxKind, DeadLetter, SyncStatus, SyncEvent, DrainResult, StockLevel, StockDifference, Inventory, Outbox, SyncWorker } from './sync/index.js';
export { TERMINAL_NAMES, type TerminalLayout, type VoucherUseRecord } from './layout.js';
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
} from './terminal.js';
export type { SaleRecord, SaleRecordPrescription, PendingSettlement } from './sale/record.js';
export * from './invoice/index.js';
export * from './audit/index.js';
