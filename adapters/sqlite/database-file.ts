/*
 * The database file: better-sqlite3 loaded when first needed, a file checked to be ours before anything is written
 * to it, a new one made whole under a temporary name and linked into place, the connection set up.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import { LABEL } from './errors.js';

/** Marks the file as ours (`PRAGMA application_id`, "YGSQ"), so another program's database is not written into. */
const APPLICATION_ID = 0x59475351;
/** The table layout this release writes (`PRAGMA user_version`); a newer one is refused, not guessed at. */
const SCHEMA_VERSION = 1;

/** The better-sqlite3 constructor. */
export type Driver = typeof BetterSqlite3;
/** An open better-sqlite3 connection. */
export type Database = BetterSqlite3.Database;

/** better-sqlite3, loaded on first open: an app that never opens SQLite storage need not install it. */
export async function loadDriver(): Promise<Driver> {
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
export function checkExisting(Driver: Driver, file: string): boolean {
  const size = sizeOf(file);
  if (size === undefined) {
    if ((sizeOf(`${file}-wal`) ?? 0) > 0) {
      throw notOurs(
        'the database file is missing but its write-ahead log (-wal) is still there: it was deleted or moved while in use',
        '数据库文件不存在，但其预写日志（-wal）仍在：数据库文件在使用中被删除或移走',
      );
    }
    return false;
  }
  if (size === 0)
    throw notOurs(
      'the file is empty (0 bytes): a database that was truncated or never written',
      '文件为空（0 字节）：数据库已被截断或从未写入',
    );
  const header = readHeader(file);
  if (header.length < 100 || header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw notOurs(
      'the file is not a SQLite database (or is cut short inside its header)',
      '该文件不是 SQLite 数据库（或在文件头处被截断）',
    );
  }
  const foreign = () =>
    notOurs(
      'the file is a SQLite database of another program (no yibao-guard mark); refusing to write into it',
      '该文件是其他程序的 SQLite 数据库（没有 yibao-guard 标记），拒绝写入',
    );
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
export function createDatabase(Driver: Driver, file: string, create: 'if-missing' | 'never'): void {
  if (create === 'never')
    throw notOurs(
      `there is no database file at this path, and create is 'never'`,
      `该路径下没有数据库文件，且 create 为 'never'`,
    );
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
export function keepCompanionsPrivate(file: string): void {
  const mode = statSync(file).mode & 0o777;
  for (const companion of [`${file}-wal`, `${file}-shm`]) {
    const stat = statSync(companion, { throwIfNoEntry: false });
    if (stat !== undefined && (stat.mode & 0o777 & ~mode) !== 0) chmodSync(companion, stat.mode & mode & 0o777);
  }
}

/** Sets the connection up (WAL, FULL sync, secure delete) and checks the marks and the tables. */
export function prepareFile(db: Database): void {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const version = Number(db.pragma('user_version', { simple: true }));
  // checkExisting saw the marks; a file changed since then by someone else is still not written into.
  if (applicationId !== APPLICATION_ID)
    throw notOurs(
      'the file is a SQLite database of another program (no yibao-guard mark); refusing to write into it',
      '该文件是其他程序的 SQLite 数据库（没有 yibao-guard 标记），拒绝写入',
    );
  if (version > SCHEMA_VERSION) {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: the file was written by a newer yibao-guard (schema ${version}, this release knows ${SCHEMA_VERSION})`,
      messageZh: `${LABEL.zh}：该文件由更新版本的 yibao-guard 写入（结构版本 ${version}，当前版本支持 ${SCHEMA_VERSION}）`,
    });
  }
  const tables = db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('records', 'journals')")
    .pluck()
    .all();
  if (version !== SCHEMA_VERSION || tables.length !== 2) {
    throw notOurs(
      'the file is marked as a yibao-guard database but its tables are missing',
      '该文件标记为 yibao-guard 数据库，但缺少数据表',
    );
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
