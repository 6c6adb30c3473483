/**
 * yibao-guard/sync: the outbox, the sync worker (exactly-once delivery, dead letters, lease, breaker) and the
 * stock ledger.
 *
 * @packageDocumentation
 */
export { createOutbox, type Outbox, type OutboxEntry, type OutboxWriteResult } from './outbox.js';
export { createSyncWorker, deadKey, type SyncWorker, type SyncWorkerOptions, type DrainResult } from './worker.js';
export { resubmitDeadLetter } from './dead-letters.js';
export type { OutboxRecord, OutboxKind, DeadLetter, SyncStatus, SyncEvent } from './types.js';
export { movementReport, type SaleReportContext } from './report.js';
export { createInventory, applyMovement, type Inventory, type StockLevel, type StockDifference } from './ledger.js';
export { resumeMsgids } from './msgids.js';
