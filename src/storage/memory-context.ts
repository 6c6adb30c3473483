/*
 * One memory storage over its backing (see `createMemoryStorage` in memory.ts): its declared names, whether it is
 * closed, and the queue its calls run on, in the order they were made.
 */
import { StorageError } from '../errors/index.js';
import type { StorageLayout } from './contract.js';
import { checkKey as checkKeyFor, serialise as serialiseFor, type AdapterLabel } from './batch.js';
import type { BackingData, JournalData, StoreData } from './memory-backing.js';
import type { MemoryStorageOptions } from './memory.js';

const LABEL: AdapterLabel = { en: 'Memory storage', zh: '内存存储' };

/** Key rules shared with the durable adapters (src/storage/batch.ts). */
export function checkKey(key: unknown, field: string, where: string, index?: number): asserts key is string {
  checkKeyFor(key, field, where, LABEL, index);
}

/** A value as JSON text, under the rules shared with the durable adapters (src/storage/batch.ts). */
export function serialise(value: unknown, index: number, where: string, field: string): string {
  return serialiseFor(value, index, where, field, LABEL);
}

/** A memory storage's own state: the backing's data, the names it declared, and whether it is closed. */
export interface MemoryContext {
  readonly data: BackingData;
  readonly storeNames: ReadonlySet<string>;
  readonly journalNames: ReadonlySet<string>;
  closed: boolean;
}

/**
 * Checks the names (non-empty strings, none declared twice, also as both a store and a journal) and gives the
 * backing an empty store or journal for each it does not hold yet.
 */
export function openContext<L extends StorageLayout>(
  names: MemoryStorageOptions<L>['names'],
  data: BackingData,
): MemoryContext {
  const storeNames = new Set<string>();
  const journalNames = new Set<string>();
  for (const [kind, list, set] of [
    ['store', names.stores, storeNames],
    ['journal', names.journals, journalNames],
  ] as const) {
    for (const name of list as readonly unknown[]) {
      if (typeof name !== 'string' || name === '') {
        throw new StorageError('STORAGE_FAILED', {
          message: `Memory storage: a ${kind} name must be a non-empty string`,
          messageZh: `内存存储：${kind === 'store' ? '数据表' : '日志'}名称必须是非空字符串`,
        });
      }
      if (storeNames.has(name) || journalNames.has(name)) {
        throw new StorageError('STORAGE_FAILED', {
          message: `Memory storage: the name "${name}" is declared more than once among stores and journals`,
          messageZh: `内存存储：名称“${name}”在数据表和日志中重复声明`,
        });
      }
      set.add(name);
    }
  }
  for (const name of storeNames) {
    if (!data.stores.has(name)) data.stores.set(name, { records: new Map(), sortedKeys: [] });
  }
  for (const name of journalNames) if (!data.journals.has(name)) data.journals.set(name, { entries: [] });
  return { data, storeNames, journalNames, closed: false };
}

/** Runs `task` on the backing's queue, after every call made before it; rejects only with StorageError. */
export function enqueue<T>(context: MemoryContext, what: string, task: () => T): Promise<T> {
  if (context.closed) {
    return Promise.reject(
      new StorageError('STORAGE_CLOSED', {
        message: `Memory storage is closed; ${what} was refused`,
        messageZh: `内存存储已关闭，操作（${what}）被拒绝`,
      }),
    );
  }
  const { data } = context;
  const run = data.tail.then(() => {
    try {
      return task();
    } catch (error) {
      throw asStorageError(error, what);
    }
  });
  data.tail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** A declared store, or `STORAGE_UNKNOWN_NAME`. */
export function store(context: MemoryContext, name: unknown, field: string): StoreData {
  const declared = typeof name === 'string' && context.storeNames.has(name);
  const found = declared ? context.data.stores.get(name) : undefined;
  if (found === undefined) throw unknownName('store', name, field, context.journalNames);
  return found;
}

/** A declared journal, or `STORAGE_UNKNOWN_NAME`. */
export function journal(context: MemoryContext, name: unknown, field: string): JournalData {
  const declared = typeof name === 'string' && context.journalNames.has(name);
  const found = declared ? context.data.journals.get(name) : undefined;
  if (found === undefined) throw unknownName('journal', name, field, context.storeNames);
  return found;
}

function unknownName(
  kind: 'store' | 'journal',
  name: unknown,
  field: string,
  otherKind: ReadonlySet<string>,
): StorageError {
  const shown = typeof name === 'string' ? `"${name}"` : `(a ${typeof name})`;
  const other = typeof name === 'string' && otherKind.has(name);
  const hint = other ? ` (it is a ${kind === 'store' ? 'journal' : 'store'})` : '';
  const hintZh = other ? `（它是${kind === 'store' ? '日志' : '数据表'}）` : '';
  return new StorageError('STORAGE_UNKNOWN_NAME', {
    message: `Memory storage has no ${kind} ${shown}${hint}`,
    messageZh: `内存存储中没有名为 ${shown} 的${kind === 'store' ? '数据表' : '日志'}${hintZh}`,
    field,
  });
}

/** Anything thrown that is not already a StorageError becomes STORAGE_FAILED (a bug, not bad input). */
function asStorageError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const write = what === 'write';
  return new StorageError('STORAGE_FAILED', {
    message: `Memory storage: ${what} failed unexpectedly${write ? '; nothing was written' : ''}`,
    messageZh: `内存存储：操作（${what}）意外失败${write ? '，本次写入未生效' : ''}`,
    cause: error,
  });
}
