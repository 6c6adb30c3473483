import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import type { AdapterLabel } from '../../src/storage/batch.js';

/** How the SQLite adapter names itself in its errors. */
export const LABEL: AdapterLabel = { en: 'SQLite storage', zh: 'SQLite 存储' };

/** A native binding that is missing or built for another Node: the driver is installed but cannot run. */
export function driverError(error: unknown): YibaoGuardError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (
    code !== 'ERR_DLOPEN_FAILED' &&
    !(typeof message === 'string' && /bindings file|NODE_MODULE_VERSION|was compiled against/i.test(message))
  )
    return undefined;
  return new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
    message:
      'yibao-guard/sqlite: better-sqlite3 is installed but its native module is not built for this Node (run npm rebuild better-sqlite3)',
    messageZh:
      'yibao-guard/sqlite：已安装 better-sqlite3，但其原生模块未针对当前 Node 编译（请执行 npm rebuild better-sqlite3）',
    cause: error,
  });
}

/**
 * Our errors pass through; SQLite's become STORAGE_QUOTA (disk full), STORAGE_CORRUPT (damaged file or not a
 * database) or STORAGE_FAILED. A failed write was rolled back whole.
 */
export function asStorageError(error: unknown, what: string): YibaoGuardError {
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
