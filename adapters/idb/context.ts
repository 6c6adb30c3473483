/// <reference lib="dom" />
/*
 * What the pieces of one open IndexedDB storage share: its settings, its connection and call queue, and the
 * adapter's label and error mapping. The connection lives in connection.ts, reads in reads.ts, writes in write.ts.
 */
import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import type { AdapterLabel, DeclaredNames } from '../../src/storage/batch.js';
import type { Database, JournalStore, KeyStore, RecordStore } from './schema.js';

/** How the IndexedDB adapter names itself in its errors. */
export const LABEL: AdapterLabel = { en: 'IndexedDB storage', zh: 'IndexedDB 存储' };

export const noop = (): void => {};

/** One open IndexedDB storage: its settings, and the state of its connection and of its queue of calls. */
export interface IdbContext {
  /** The database's name. */
  readonly name: string;
  readonly names: DeclaredNames;
  readonly personal: ReadonlySet<string>;
  /** Every object store the layout needs. */
  readonly required: readonly (RecordStore | JournalStore | KeyStore)[];
  /** How long an upgrade waits for another tab to let go of an older version. */
  readonly blockedTimeoutMs: number;
  readonly factory: IDBFactory;
  readonly KeyRange: typeof IDBKeyRange;
  /** WebCrypto, there whenever the layout has personal stores. */
  readonly subtle: SubtleCrypto | undefined;
  /** The open connection; undefined when closed for another tab's upgrade (the next call reopens). */
  db: Database | undefined;
  /** Set when the database is gone (deleted or closed by the browser): every later call fails with it. */
  lost: StorageError | undefined;
  closed: boolean;
  closing: Promise<void> | undefined;
  /** The last call queued: the next one runs after it. */
  tail: Promise<unknown>;
}

/**
 * Our errors pass through; a full disk or quota becomes STORAGE_QUOTA; anything else from IndexedDB becomes
 * STORAGE_FAILED. Either way the write's transaction was aborted, so nothing of it was written.
 */
export function asStorageError(error: unknown, what: string): YibaoGuardError {
  if (error instanceof YibaoGuardError) return error;
  const write = what === 'write';
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new StorageError('STORAGE_QUOTA', {
      message: `${LABEL.en}: the browser's storage quota is exhausted; ${what} was refused and nothing was written`,
      messageZh: `${LABEL.zh}：浏览器存储空间已满，操作（${what}）被拒绝，本次写入未生效`,
      cause: error,
    });
  }
  return new StorageError('STORAGE_FAILED', {
    message: `${LABEL.en}: ${what} failed (${typeof name === 'string' ? name : 'unexpected error'})${write ? '; nothing was written' : ''}`,
    messageZh: `${LABEL.zh}：操作（${what}）失败${write ? '，本次写入未生效' : ''}`,
    cause: error,
  });
}
