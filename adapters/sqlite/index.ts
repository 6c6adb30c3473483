/**
 * `yibao-guard/sqlite`: the storage contract (`Storage` from `yibao-guard`) over one SQLite file, for Node and
 * Electron tills, through better-sqlite3, an optional peer dependency loaded only when a storage is opened.
 *
 * The file holds two tables: `records (store, key, json, rev)` and `journals (journal, seq, json)`, each with
 * its natural primary key, `WITHOUT ROWID` so rows live in key order. Values are JSON text.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import type { JournalEntry, Storage, StorageLayout, StorageNames, StoredRecord } from '../../src/storage.js';
import {
  DeclaredNames,
  checkBatch,
  checkKey,
  checkListOptions,
  checkReadOptions,
  checkStoredRev,
  checkStoredSeq,
  closedError,
  corrupt,
  parseStored,
  planBatch,
  type AdapterLabel,
  type CheckedOp,
} from '../../src/storage/batch.js';

const LABEL: AdapterLabel = { en: 'SQLite storage', zh: 'SQLite 存储' };

/** Marks the file as ours (`PRAGMA application_id`, "YGSQ"), so another program's database is not written into. */
const APPLICATION_ID = 0x59475351;
/** The table layout this release writes (`PRAGMA user_version`); a newer one is refused, not guessed at. */
const SCHEMA_VERSION = 1;

/**
 * Options of {@link createSqliteStorage}.
 *
 * @example
 * const options: SqliteStorageOptions<TerminalLayout> = { file: '/var/lib/till/yibao-guard.sqlite', names: TERMINAL_NAMES };
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

type Driver = typeof BetterSqlite3;
type Database = BetterSqlite3.Database;

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
 * await storage.write([{ op: 'put', store: 'meta', key: 'terminal', value: { id: 'T01' }, expect: null }]); // [{ op: 'put', rev: 1 }]
 * await storage.close();
 */
export async function createSqliteStorage<L extends StorageLayout>(options: SqliteStorageOptions<L>): Promise<Storage<L>> {
  const { file } = options;
  if (typeof file !== 'string' || file === '' || file === ':memory:') {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: file must be the path of a database file (for memory-only storage use createMemoryStorage)`,
      messageZh: `${LABEL.zh}：file 必须是数据库文件路径（仅内存存储请使用 createMemoryStorage）`,
      field: 'file',
    });
  }
  const names = new DeclaredNames(options.names, LABEL);
  const personal = names.personal;
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

  const statements = {
    get: db.prepare<[string, string], { json: unknown; rev: unknown }>('SELECT json, rev FROM records WHERE store = ? AND key = ?'),
    rev: db.prepare<[string, string], { rev: unknown }>('SELECT rev FROM records WHERE store = ? AND key = ?'),
    // One lower bound per query (`key >= prefix`, or `key > after` when that is further on): with both, SQLite may
    // seek on the first and scan the rest, so paging deep into a store got slower page by page. The prefix end is
    // checked in JS.
    listFrom: db.prepare<[string, string], { key: string; json: unknown; rev: unknown }>('SELECT key, json, rev FROM records WHERE store = ? AND key >= ? ORDER BY key'),
    listAfter: db.prepare<[string, string], { key: string; json: unknown; rev: unknown }>('SELECT key, json, rev FROM records WHERE store = ? AND key > ? ORDER BY key'),
    count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM records WHERE store = ?'),
    read: db.prepare<[string, number, number], { seq: unknown; json: unknown }>('SELECT seq, json FROM journals WHERE journal = ? AND seq > ? ORDER BY seq LIMIT ?'),
    lastSeq: db.prepare<[string], { seq: unknown }>('SELECT max(seq) AS seq FROM journals WHERE journal = ?'),
    put: db.prepare<[string, string, string, number]>(
      'INSERT INTO records (store, key, json, rev) VALUES (?, ?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET json = excluded.json, rev = excluded.rev',
    ),
    delete: db.prepare<[string, string]>('DELETE FROM records WHERE store = ? AND key = ?'),
    // A plain INSERT: an entry is never overwritten; a taken number fails (and rolls back) the whole batch.
    append: db.prepare<[string, number, string]>('INSERT INTO journals (journal, seq, json) VALUES (?, ?, ?)'),
  };

  const lastSeq = (journal: string): number => {
    const seq = statements.lastSeq.get(journal)?.seq ?? null;
    return seq === null ? 0 : checkStoredSeq(seq, `journal "${journal}", seq ${String(seq)}`, LABEL);
  };

  /** Whether the last batch applied deleted or replaced a record of a personal store. */
  let purged = false;

  /** Plans and applies a checked batch; run as BEGIN IMMEDIATE … COMMIT, rolled back on any throw. */
  const applyBatch = db.transaction((checked: readonly CheckedOp[]) => {
    purged = false;
    const plan = planBatch(
      checked,
      {
        rev: (store, key) => {
          const row = statements.rev.get(store, key);
          return row === undefined ? null : checkStoredRev(row.rev, `store "${store}", key "${key}"`, LABEL);
        },
        lastSeq,
      },
      LABEL,
    );
    for (const [store, changes] of plan.records) {
      for (const [key, record] of changes) {
        // A delete, or a put over an earlier revision: personal data that was stored is gone from the live rows.
        if (personal.has(store) && (record === null || record.rev > 1)) purged = true;
        if (record === null) statements.delete.run(store, key);
        else statements.put.run(store, key, record.json, record.rev);
      }
    }
    for (const [journal, entries] of plan.appends) for (const entry of entries) statements.append.run(journal, entry.seq, entry.json);
    return plan.receipts;
  });

  let closed = false;

  /**
   * Runs `task` now (better-sqlite3 is synchronous, so calls take effect in the order they are made) and
   * hands its outcome back as a promise, never as a synchronous throw.
   */
  function call<T>(what: string, task: () => T): Promise<T> {
    if (closed) return Promise.reject(closedError(what, LABEL));
    try {
      return Promise.resolve(task());
    } catch (error) {
      return Promise.reject(asStorageError(error, what));
    }
  }

  function toRecord(store: string, key: string, row: { json: unknown; rev: unknown }): StoredRecord<never> {
    const where = `store "${store}", key "${key}"`;
    return { key, value: parseStored(row.json, where, LABEL) as never, rev: checkStoredRev(row.rev, where, LABEL) };
  }

  function toEntry(journal: string, row: { seq: unknown; json: unknown }): JournalEntry<never> {
    const where = `journal "${journal}", seq ${String(row.seq)}`;
    return { seq: checkStoredSeq(row.seq, where, LABEL), value: parseStored(row.json, where, LABEL) as never };
  }

  const storage: Storage<L> = {
    kind: 'sqlite',
    durable: true,

    get(storeName, key) {
      return call(`get from store "${String(storeName)}"`, () => {
        const store = names.store(storeName, 'store');
        checkKey(key, 'key', `store "${store}"`, LABEL);
        const row = statements.get.get(store, key);
        return row === undefined ? undefined : toRecord(store, key, row);
      });
    },

    list(storeName, listOptions) {
      return call(`list of store "${String(storeName)}"`, () => {
        const store = names.store(storeName, 'store');
        const { prefix, after, limit } = checkListOptions(listOptions, LABEL);
        const out: StoredRecord<never>[] = [];
        if (limit === 0) return out;
        const from = prefix ?? '';
        const rows = after !== undefined && after >= from ? statements.listAfter.iterate(store, after) : statements.listFrom.iterate(store, from);
        for (const row of rows) {
          // Keys with the prefix are contiguous in key order: the first one without it ends the list.
          if (prefix !== undefined && !row.key.startsWith(prefix)) break;
          out.push(toRecord(store, row.key, row));
          if (out.length === limit) break;
        }
        return out;
      });
    },

    count(storeName) {
      return call(`count of store "${String(storeName)}"`, () => statements.count.get(names.store(storeName, 'store'))?.n ?? 0);
    },

    read(journalName, readOptions) {
      return call(`read of journal "${String(journalName)}"`, () => {
        const journal = names.journal(journalName, 'journal');
        const { after, limit } = checkReadOptions(readOptions, LABEL);
        // LIMIT -1 is SQLite's "no limit".
        return statements.read.all(journal, after, limit ?? -1).map((row) => toEntry(journal, row));
      });
    },

    lastSeq(journalName) {
      return call(`lastSeq of journal "${String(journalName)}"`, () => lastSeq(names.journal(journalName, 'journal')));
    },

    write(ops) {
      return call('write', () => {
        const checked = checkBatch(ops, names, LABEL);
        if (checked.length === 0) return [];
        const receipts = applyBatch.immediate(checked);
        // The batch is committed: the rows it deleted are zeroed in their pages (secure_delete), but the WAL still
        // holds the pages as they were. Copy the WAL into the file and cut it to 0 bytes; busy (another process
        // reading) leaves it for the next purge, and the write stands either way.
        if (purged) {
          try {
            db.pragma('wal_checkpoint(TRUNCATE)');
          } catch {
            // Not a failure of the write, which is committed: the next purge checkpoints again.
          }
        }
        return receipts;
      });
    },

    close() {
      if (!closed) {
        closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
  return storage;
}

/** better-sqlite3, loaded on first open: an app that never opens SQLite storage need not install it. */
async function loadDriver(): Promise<Driver> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (error) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: 'yibao-guard/sqlite needs better-sqlite3, an optional peer dependency: npm install better-sqlite3',
      messageZh: 'yibao-guard/sqlite 需要可选的对等依赖 better-sqlite3：请执行 npm install better-sqlite3',
      cause: error,
    });
  }
}

/** A native binding that is missing or built for another Node: the driver is installed but cannot run. */
function driverError(error: unknown): YibaoGuardError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_DLOPEN_FAILED' && !(typeof message === 'string' && /bindings file|NODE_MODULE_VERSION|was compiled against/i.test(message))) return undefined;
  return new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
    message: 'yibao-guard/sqlite: better-sqlite3 is installed but its native module is not built for this Node (run npm rebuild better-sqlite3)',
    messageZh: 'yibao-guard/sqlite：已安装 better-sqlite3，但其原生模块未针对当前 Node 编译（请执行 npm rebuild better-sqlite3）',
    cause: error,
  });
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

const SCHEMA = `
  CREATE TABLE records (
    store TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, rev INTEGER NOT NULL,
    PRIMARY KEY (store, key)
  ) WITHOUT ROWID;
  CREATE TABLE journals (
    journal TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (journal, seq)
  ) WITHOUT ROWID;
  PRAGMA application_id = ${APPLICATION_ID};
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** STORAGE_CORRUPT for a file that is not a yibao-guard database: refused, and left as it is. */
function notOurs(why: string, whyZh: string): StorageError {
  return new StorageError('STORAGE_CORRUPT', {
    message: `${LABEL.en}: ${why}; it was not opened and is left as it is (restore the till's database, or move this file away to start a new one)`,
    messageZh: `${LABEL.zh}：${whyZh}；未打开该文件，文件保持原样（请恢复本终端的数据库，或将该文件移走后新建）`,
    field: 'file',
  });
}

/** The size of a path, or undefined when nothing is there. */
function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: cannot read the database file (${String((error as { code?: unknown }).code ?? 'error')})`,
      messageZh: `${LABEL.zh}：无法读取数据库文件（${String((error as { code?: unknown }).code ?? 'error')}）`,
      field: 'file',
      cause: error,
    });
  }
}

/** The first 100 bytes of the file (SQLite's database header), or fewer when the file is shorter. */
function readHeader(file: string): Buffer {
  const header = Buffer.alloc(100);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return header.subarray(0, readSync(fd, header, 0, 100, 0));
  } catch (error) {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: cannot read the database file (${String((error as { code?: unknown }).code ?? 'error')})`,
      messageZh: `${LABEL.zh}：无法读取数据库文件（${String((error as { code?: unknown }).code ?? 'error')}）`,
      field: 'file',
      cause: error,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether `file` exists; when it does, it must be a yibao-guard database, checked without writing a byte to it:
 * the SQLite header first (size, magic, application id), then, for a WAL-mode file whose header is not marked
 * (the previous release wrote the marks in the WAL, where they stay until a checkpoint), the marks as SQLite reads
 * them through the WAL on a read-only connection. A missing file with a WAL left beside it is refused.
 */
function checkExisting(Driver: Driver, file: string): boolean {
  const size = sizeOf(file);
  if (size === undefined) {
    if ((sizeOf(`${file}-wal`) ?? 0) > 0) {
      throw notOurs('the database file is missing but its write-ahead log (-wal) is still there: it was deleted or moved while in use', '数据库文件不存在，但其预写日志（-wal）仍在：数据库文件在使用中被删除或移走');
    }
    return false;
  }
  if (size === 0) throw notOurs('the file is empty (0 bytes): a database that was truncated or never written', '文件为空（0 字节）：数据库已被截断或从未写入');
  const header = readHeader(file);
  if (header.length < 100 || header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw notOurs('the file is not a SQLite database (or is cut short inside its header)', '该文件不是 SQLite 数据库（或在文件头处被截断）');
  }
  const foreign = () => notOurs('the file is a SQLite database of another program (no yibao-guard mark); refusing to write into it', '该文件是其他程序的 SQLite 数据库（没有 yibao-guard 标记），拒绝写入');
  const applicationId = header.readUInt32BE(68);
  if (applicationId === APPLICATION_ID) return true;
  // Bytes 18–19 are 2 in WAL mode: the marks may be in the WAL. In rollback mode the header is the whole truth.
  if (applicationId !== 0 || header[18] !== 2) throw foreign();
  let marks: { applicationId: number; version: number };
  const check = new Driver(file, { readonly: true, fileMustExist: true });
  try {
    marks = {
      applicationId: Number(check.prepare('PRAGMA application_id').pluck().get()),
      version: Number(check.prepare('PRAGMA user_version').pluck().get()),
    };
  } finally {
    check.close();
  }
  if (marks.applicationId !== APPLICATION_ID) throw foreign();
  return true;
}

/**
 * Makes a new database at `file`: built whole under a temporary name beside it (mode 0600 from the start: SQLite
 * would use the umask, often world-readable, and the file holds sales), synced, then hard-linked into place, which
 * fails rather than replace a file that appeared meanwhile (another process's new database, kept). A crash at any
 * point leaves either no `file` or a complete one; at most a `*.creating` file to remove by hand.
 */
function createDatabase(Driver: Driver, file: string, create: 'if-missing' | 'never'): void {
  if (create === 'never') throw notOurs(`there is no database file at this path, and create is 'never'`, `该路径下没有数据库文件，且 create 为 'never'`);
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.creating`);
  const failed = (error: unknown): StorageError =>
    new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: cannot create the database file (${String((error as { code?: unknown }).code ?? 'error')})`,
      messageZh: `${LABEL.zh}：无法创建数据库文件（${String((error as { code?: unknown }).code ?? 'error')}）`,
      field: 'file',
      cause: error,
    });
  try {
    closeSync(openSync(temp, 'wx', 0o600));
  } catch (error) {
    throw failed(error);
  }
  try {
    const db = new Driver(temp, { fileMustExist: true });
    try {
      // Rollback journal while it is built: nothing is left beside it once it is closed.
      db.exec(`PRAGMA synchronous = FULL; BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
    } finally {
      db.close();
    }
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, file);
    } catch (error) {
      // Another process made the database meanwhile: use theirs (it is checked when opened).
      if ((error as { code?: unknown }).code !== 'EEXIST') throw failed(error);
    }
    syncDirectory(dirname(file));
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone, or the directory became unwritable: a leftover *.creating file holds no data.
    }
  }
}

/** Makes a new directory entry durable; where a directory cannot be opened or synced (some file systems), skips it. */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort: the link is on disk at the latest when the file system next syncs its metadata.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * SQLite gives the `-wal` and `-shm` files it creates the database file's mode, but reuses ones it finds: a
 * leftover from a copy or a crash may be readable by others, and the WAL holds the latest sales in clear. Any
 * permission the database file does not have is taken away from them.
 */
function keepCompanionsPrivate(file: string): void {
  const mode = statSync(file).mode & 0o777;
  for (const companion of [`${file}-wal`, `${file}-shm`]) {
    const stat = statSync(companion, { throwIfNoEntry: false });
    if (stat !== undefined && (stat.mode & 0o777 & ~mode) !== 0) chmodSync(companion, stat.mode & mode & 0o777);
  }
}

/** Sets the connection up (WAL, FULL sync, secure delete) and checks the marks and the tables. */
function prepareFile(db: Database): void {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const version = Number(db.pragma('user_version', { simple: true }));
  // checkExisting saw the marks; a file changed since then by someone else is still not written into.
  if (applicationId !== APPLICATION_ID) throw notOurs('the file is a SQLite database of another program (no yibao-guard mark); refusing to write into it', '该文件是其他程序的 SQLite 数据库（没有 yibao-guard 标记），拒绝写入');
  if (version > SCHEMA_VERSION) {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: the file was written by a newer yibao-guard (schema ${version}, this release knows ${SCHEMA_VERSION})`,
      messageZh: `${LABEL.zh}：该文件由更新版本的 yibao-guard 写入（结构版本 ${version}，当前版本支持 ${SCHEMA_VERSION}）`,
    });
  }
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('records', 'journals')").pluck().all();
  if (version !== SCHEMA_VERSION || tables.length !== 2) {
    throw notOurs('the file is marked as a yibao-guard database but its tables are missing', '该文件标记为 yibao-guard 数据库，但缺少数据表');
  }
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (String(mode).toLowerCase() !== 'wal') {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: the file system does not support WAL mode (got "${String(mode)}"); put the database on a local disk`,
      messageZh: `${LABEL.zh}：文件系统不支持 WAL 模式（实际为“${String(mode)}”），请将数据库放在本地磁盘`,
    });
  }
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
}

/**
 * Our errors pass through; SQLite's become STORAGE_QUOTA (disk full), STORAGE_CORRUPT (damaged file or not a
 * database) or STORAGE_FAILED. A failed write was rolled back whole.
 */
function asStorageError(error: unknown, what: string): YibaoGuardError {
  if (error instanceof YibaoGuardError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const write = what === 'write';
  const nothing = write ? '; nothing was written' : '';
  const nothingZh = write ? '，本次写入未生效' : '';
  if (code === 'SQLITE_FULL') {
    return new StorageError('STORAGE_QUOTA', {
      message: `${LABEL.en}: the disk is full; ${what} was refused${nothing}`,
      messageZh: `${LABEL.zh}：磁盘已满，操作（${what}）被拒绝${nothingZh}`,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StorageError('STORAGE_CORRUPT', {
      message: `${LABEL.en}: the database file is damaged or not a database (${code}); ${what} failed${nothing}`,
      messageZh: `${LABEL.zh}：数据库文件已损坏或不是数据库（${code}），操作（${what}）失败${nothingZh}`,
      cause: error,
    });
  }
  const busy = code.startsWith('SQLITE_BUSY');
  return new StorageError('STORAGE_FAILED', {
    message: `${LABEL.en}: ${what} failed (${busy ? 'another process held the write lock too long' : code || 'unexpected error'})${nothing}`,
    messageZh: `${LABEL.zh}：操作（${what}）失败${busy ? '（另一个进程占用写锁过久）' : ''}${nothingZh}`,
    cause: error,
  });
}
