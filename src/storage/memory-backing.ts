/*
 * The data behind memory storages (see `MemoryBacking` in memory.ts): records as JSON text with their revisions,
 * each store's keys kept sorted for `list`, journals as arrays of JSON text, and the queue every storage over the
 * backing runs its calls on.
 */
import { StorageError } from '../errors/index.js';
import type { MemoryBacking } from './memory.js';

/** One stored record: the value as JSON text (so every read parses a fresh copy) and its revision. */
export interface Slot {
  readonly json: string;
  readonly rev: number;
}

/** A store: records by key, plus the keys in ascending code-unit order for `list`. */
export interface StoreData {
  readonly records: Map<string, Slot>;
  readonly sortedKeys: string[];
}

/** A journal: entry `seq` is `entries[seq - 1]`, as JSON text. */
export interface JournalData {
  readonly entries: string[];
}

export interface BackingData {
  readonly stores: Map<string, StoreData>;
  readonly journals: Map<string, JournalData>;
  /** The tail of the queue every storage over this backing runs its calls on, in call order. */
  tail: Promise<void>;
}

const backings = new WeakMap<MemoryBacking, BackingData>();

/** Gives a new backing its (empty) data. */
export function attachBackingData(backing: MemoryBacking): void {
  backings.set(backing, { stores: new Map(), journals: new Map(), tail: Promise.resolve() });
}

/** The data of a backing made by `createMemoryBacking`, or `STORAGE_FAILED`. */
export function backingData(backing: MemoryBacking): BackingData {
  const data = backings.get(backing);
  if (data === undefined) {
    throw new StorageError('STORAGE_FAILED', {
      message: 'Memory storage: the backing was not made by createMemoryBacking()',
      messageZh: '内存存储：backing 不是由 createMemoryBacking() 创建的',
      field: 'backing',
    });
  }
  return data;
}

/** Index of the first key >= `key` (code-unit order). */
export function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index of the first key > `key` (code-unit order). */
export function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) <= key) low = mid + 1;
    else high = mid;
  }
  return low;
}
