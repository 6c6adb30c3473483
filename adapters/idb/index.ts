/// <reference lib="dom" />
/**
 * `yibao-guard/idb`: the storage contract (`Storage` from `yibao-guard`) over the browser's IndexedDB, through
 * `idb`. Importing this module touches no browser global.
 */
import type { Storage, StorageLayout, StorageNames } from '../../src/storage/contract.js';
import { openIdbStorage } from './storage.js';

/**
 * Options of {@link createIdbStorage}.
 *
 * @example
 * const options: IdbStorageOptions<TerminalLayout> = { name: 'yibao-guard:till-01', names: TERMINAL_NAMES };
 */
export interface IdbStorageOptions<L extends StorageLayout> {
  /** The IndexedDB database name: one per terminal (or per test). */
  readonly name: string;
  /** The layout's stores and journals; any that the database lacks are created by a version upgrade. */
  readonly names: StorageNames<L>;
  /**
   * The IndexedDB to use. Its `IDB*` classes must be this realm's globals, which `idb` checks against; in
   * Node tests, `import 'fake-indexeddb/auto'` and pass a `new IDBFactory()` from `fake-indexeddb`.
   * @default globalThis.indexedDB
   */
  readonly indexedDB?: IDBFactory;
  /**
   * Ask the browser (`navigator.storage.persist()`) not to evict this origin's data under storage pressure:
   * unsynced sales live here. Asked once per open, without waiting; where the API is missing or the browser
   * says no, nothing changes.
   * @default true
   */
  readonly persist?: boolean;
  /**
   * How long (ms) opening waits when adding stores is blocked by another tab that keeps an older version
   * of the database open and does not let go; then it fails with `STORAGE_FAILED`. Tabs running this
   * adapter always let go at once.
   * @default 10000
   */
  readonly blockedTimeoutMs?: number;
}

/**
 * Opens a {@link Storage} over IndexedDB (`kind: 'idb'`, `durable: true`) with the semantics of the storage
 * contract in `yibao-guard` (JSON values, keys of at most 512 code units, revisions, gapless journals, atomic
 * batches, calls taking effect in call order).
 *
 * How: one object store per declared store and per journal, created by a version upgrade when the database
 * lacks them (never removed, so data of other layouts stays). Every `write` is one read-write IndexedDB
 * transaction over exactly the stores it touches, with `durability: 'strict'`: the batch is checked whole
 * before the transaction starts, revisions and journal numbers are read and `expect` checked inside it, and
 * any failure aborts it, so a rejected write has written nothing. Journal numbers are computed inside that
 * transaction from the journal's last entry, never from a key generator, so they stay gapless. A quota error
 * rejects with `STORAGE_QUOTA`, other IndexedDB failures with `STORAGE_FAILED`, and a stored record that no
 * longer parses with `STORAGE_CORRUPT` naming its store and key.
 *
 * Other tabs: when one needs a newer version (a release that adds stores), this connection closes at once
 * and the next call reopens transparently. When the database is deleted, or the browser closes the
 * connection itself (site data cleared), later calls reject with `STORAGE_FAILED` rather than start over
 * with empty stores; open a new storage to go on.
 *
 * @throws {YibaoGuardError} `ENVIRONMENT_UNSUPPORTED` where there is no IndexedDB; {@link yibao-guard!StorageError |
 * StorageError}
 *   `STORAGE_FAILED` for a bad name or layout, or an upgrade blocked for `blockedTimeoutMs`;
 *   `STORAGE_QUOTA` when there is no room to create the database.
 *
 * @example
 * import { TERMINAL_NAMES, createTerminal } from 'yibao-guard';
 * import { createIdbStorage } from 'yibao-guard/idb';
 *
 * const storage = await createIdbStorage({ name: 'yibao-guard:till-01', names: TERMINAL_NAMES });
 * await storage.write([{ op: 'append', journal: 'audit', value: event }]); // [{ op: 'append', seq: 1 }]
 */
export async function createIdbStorage<L extends StorageLayout>(options: IdbStorageOptions<L>): Promise<Storage<L>> {
  return openIdbStorage(options);
}
