/**
 * `yibao-guard/sqlite`: the storage contract (`Storage` from `yibao-guard`) over one SQLite file, for Node and
 * Electron tills, through better-sqlite3, an optional peer dependency loaded only when a storage is opened.
 *
 * The file holds two tables: `records (store, key, json, rev)` and `journals (journal, seq, json)`, each with
 * its natural primary key, `WITHOUT ROWID` so rows live in key order. Values are JSON text.
 */
import { StorageError } from '../../src/errors/index.js';
import type { Storage, StorageLayout, StorageNames } from '../../src/storage/contract.js';
import { DeclaredNames } from '../../src/storage/batch.js';
import { sqliteStorage } from './connection.js';
import {
  checkExisting,
  createDatabase,
  keepCompanionsPrivate,
  loadDriver,
  prepareFile,
  type Database,
} from './database-file.js';
import { asStorageError, driverError, LABEL } from './errors.js';

/**
 * Options of {@link createSqliteStorage}.
 *
 * @example
 * const options: SqliteStorageOptions<TerminalLayout> = { file: '/var/lib/till/yibao-guard.sqlite', names:
 * TERMINAL_NAMES };
 */
export interface SqliteStorageOptions<L extends StorageLayout> {
  /** Path of the database file. Created with mode 0600 (owner read/write only) when it does not exist. */
  readonly file: string;
  /** The layout's stores and journals. */
  readonly names: StorageNames<L>;
  /**
   * How long (ms) a call waits for another process that holds the write lock before failing with
   * `STORAGE_FAILED`. better-sqlite3 is synchronous: the wait blocks this thread.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * When a new database may be made at `file`. The adapter never starts a till over on a file it does not
   * recognise: an existing file that is not a yibao-guard database (empty, truncated to 0 bytes, text, another
   * program's SQLite database) is refused with `STORAGE_CORRUPT` and left byte for byte as it is, whatever this says.
   *
   * - `'if-missing'`: create the database when no file exists at `file` (a till's first start).
   * - `'never'`: the database must already exist; a missing file is refused with `STORAGE_CORRUPT` too. For a
   *   till past its first start, so a database deleted or moved away is noticed instead of replaced by an empty
   *   one (the invoice chain and the outbox would start again from nothing).
   *
   * Either way a missing file whose `-wal` is still there is refused: SQLite would replay that WAL into the new file.
   * @default 'if-missing'
   */
  readonly create?: 'if-missing' | 'never';
}

/**
 * Opens a {@link Storage} over a SQLite file (`kind: 'sqlite'`, `durable: true`) with the semantics of the
 * storage contract in `yibao-guard` (JSON values, keys of at most 512 code units, revisions, gapless journals,
 * atomic batches, calls taking effect in call order: each call runs to completion when it is made).
 *
 * Durability: WAL journal mode with `synchronous = FULL`. In WAL mode, `NORMAL` syncs only at checkpoints,
 * so a power cut can undo transactions that were already reported as committed; `FULL` syncs the WAL at
 * every commit, so a sale the till was told is stored survives a power cut. Each `write` is one
 * `BEGIN IMMEDIATE` transaction: the batch is checked whole first, revisions, `expect` and journal numbers
 * (the journal's last number + 1, never AUTOINCREMENT) are computed inside it, and any failure rolls it back,
 * so a rejected write has written nothing. IMMEDIATE takes the write lock at the start, so processes sharing
 * the file (a till and a sync service, say) run their batches one after another, never interleaved, and two
 * of them cannot take the same journal number; readers are never blocked (WAL).
 *
 * Key order: SQLite compares keys as UTF-8 bytes, which is code point order: the same as the contract's
 * UTF-16 code unit order for every key below U+D800 (all of CJK, Latin, digits), which is what the contract
 * promises. Keys with characters from U+E000 up may sort differently from the other adapters against keys
 * with characters beyond U+FFFF.
 *
 * Files: a new database is made whole under a temporary name (mode 0600, tables, application id and schema
 * version written and synced) and then linked into place, so `file` is either absent or a marked yibao-guard
 * database, even after a crash at the first start. SQLite gives its `-wal` and `-shm` files the database's mode,
 * and any found left over with wider permissions are narrowed to it. An existing database file keeps the mode it
 * has. A file is opened only when it is ours: anything else (empty, truncated, not SQLite, another program's
 * database, a missing database with its `-wal` left) is refused with `STORAGE_CORRUPT` before anything is written
 * to it, and a newer release's schema with `STORAGE_FAILED`; see {@link SqliteStorageOptions.create}.
 *
 * Personal data: `secure_delete` is on, so SQLite overwrites deleted rows and freed pages with zeros, and after a
 * batch that deletes or replaces a record of a store the layout marks `personal`, the WAL is checkpointed and
 * truncated (`wal_checkpoint(TRUNCATE)`), so the deleted personal fields are in neither the database file nor the
 * WAL once `write` resolves. (A read transaction held open by another process at that moment defers the truncation
 * to the next such batch.)
 *
 * Errors: a full disk rejects with `STORAGE_QUOTA`; a damaged file with `STORAGE_CORRUPT`; a write lock held
 * longer than `busyTimeoutMs`, and other SQLite failures, with `STORAGE_FAILED`.
 *
 * @throws {YibaoGuardError} `ENVIRONMENT_UNSUPPORTED` when better-sqlite3 is not installed or not built for
 *   this Node; {@link StorageError} `STORAGE_FAILED` for a bad file name or layout, a schema of a newer release,
 *   or a file system without WAL support; `STORAGE_CORRUPT` for a file that is not a yibao-guard database (left
 *   untouched), or a missing one under `create: 'never'`.
 *
 * @example
 * import { TERMINAL_NAMES } from 'yibao-guard';
 * import { createSqliteStorage } from 'yibao-guard/sqlite';
 *
 * const storage = await createSqliteStorage({ file: '/var/lib/till/yibao-guard.sqlite', names: TERMINAL_NAMES });
 * await storage.write([{ op: 'put', store: 'meta', key: 'terminal', value: { id: 'T01' }, expect: null }]); // [{ op:
 * 'put', rev: 1 }]
 * await storage.close();
 */
export async function createSqliteStorage<L extends StorageLayout>(
  options: SqliteStorageOptions<L>,
): Promise<Storage<L>> {
  const { file } = options;
  if (typeof file !== 'string' || file === '' || file === ':memory:') {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: file must be the path of a database file (for memory-only storage use createMemoryStorage)`,
      messageZh: `${LABEL.zh}：file 必须是数据库文件路径（仅内存存储请使用 createMemoryStorage）`,
      field: 'file',
    });
  }
  const names = new DeclaredNames(options.names, LABEL);
  const Driver = await loadDriver();
  const create = options.create ?? 'if-missing';
  if (create !== 'if-missing' && create !== 'never') {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: create must be 'if-missing' or 'never'`,
      messageZh: `${LABEL.zh}：create 必须是 'if-missing' 或 'never'`,
      field: 'create',
    });
  }
  try {
    if (!checkExisting(Driver, file)) createDatabase(Driver, file, create);
  } catch (error) {
    throw driverError(error) ?? asStorageError(error, 'open');
  }
  let db: Database;
  try {
    db = new Driver(file, { fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw driverError(error) ?? asStorageError(error, 'open');
  }
  try {
    prepareFile(db);
    keepCompanionsPrivate(file);
  } catch (error) {
    db.close();
    throw asStorageError(error, 'open');
  }

  return sqliteStorage<L>(db, names);
}
