/**
 * Storage adapters that live in the platform-free core. The contract they implement is in `../storage.ts`;
 * the durable adapters (IndexedDB, SQLite) live in `adapters/` and are subpath exports.
 */
export { createMemoryStorage, createMemoryBacking } from './memory.js';
export type { MemoryBacking, MemoryStorageOptions } from './memory.js';
