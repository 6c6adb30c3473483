/**
 * yibao-guard/storage: the storage contract every adapter implements (`./contract.ts`), the terminal's layout of
 * stores and journals (`./terminal-layout.ts`), and the in-memory adapter of the core. The durable adapters (IndexedDB,
 * SQLite) live in `adapters/` and are their own subpath exports.
 *
 * @packageDocumentation
 */
export { createMemoryStorage, createMemoryBacking } from './memory.js';
export type { MemoryBacking, MemoryStorageOptions } from './memory.js';
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
} from './contract.js';
export { TERMINAL_NAMES, type TerminalLayout, type VoucherUseRecord } from './terminal-layout.js';
