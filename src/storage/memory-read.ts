/*
 * The reads of a memory storage (see `createMemoryStorage` in memory.ts): each runs on the queue, checks its
 * arguments and parses a fresh copy of every value it returns.
 */
import { StorageError } from '../errors/index.js';
import type { JournalEntry, ListOptions, ReadOptions, StoredRecord } from './contract.js';
import { lowerBound, upperBound, type Slot } from './memory-backing.js';
import { checkKey, journal, store, type MemoryContext } from './memory-context.js';

/** The record at `key` of a store, or undefined. */
export function getRecord<V>(context: MemoryContext, storeName: string, key: string): StoredRecord<V> | undefined {
  const target = store(context, storeName, 'store');
  checkKey(key, 'key', `store "${storeName}"`);
  const slot = target.records.get(key);
  return slot === undefined ? undefined : { key, value: JSON.parse(slot.json) as V, rev: slot.rev };
}

/** A store's records in key order, from after `after` and under `prefix`, at most `limit`. */
export function listRecords<V>(
  context: MemoryContext,
  storeName: string,
  listOptions?: ListOptions,
): StoredRecord<V>[] {
  const target = store(context, storeName, 'store');
  const prefix = optionalString(listOptions?.prefix, 'prefix');
  const after = optionalString(listOptions?.after, 'after');
  const limit = optionalCount(listOptions?.limit, 'limit');
  const keys = target.sortedKeys;
  let index = 0;
  if (after !== undefined) index = upperBound(keys, after);
  if (prefix !== undefined) index = Math.max(index, lowerBound(keys, prefix));
  const out: StoredRecord<V>[] = [];
  for (; index < keys.length && (limit === undefined || out.length < limit); index++) {
    const key = keys[index] as string;
    if (prefix !== undefined && !key.startsWith(prefix)) break;
    const slot = target.records.get(key) as Slot;
    out.push({ key, value: JSON.parse(slot.json) as V, rev: slot.rev });
  }
  return out;
}

/** A journal's entries after `after`, at most `limit`. */
export function readEntries<V>(
  context: MemoryContext,
  journalName: string,
  readOptions?: ReadOptions,
): JournalEntry<V>[] {
  const target = journal(context, journalName, 'journal');
  const after = optionalCount(readOptions?.after, 'after') ?? 0;
  const limit = optionalCount(readOptions?.limit, 'limit');
  const end = limit === undefined ? target.entries.length : Math.min(target.entries.length, after + limit);
  const out: JournalEntry<V>[] = [];
  for (let index = after; index < end; index++) {
    out.push({ seq: index + 1, value: JSON.parse(target.entries[index] as string) as V });
  }
  return out;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `Memory storage: option ${field} must be a string`,
    messageZh: `内存存储：选项 ${field} 必须是字符串`,
    field,
  });
}

function optionalCount(value: unknown, field: string): number | undefined {
  const count = value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);
  if (count) return value as number | undefined;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `Memory storage: option ${field} must be an integer from 0`,
    messageZh: `内存存储：选项 ${field} 必须是不小于 0 的整数`,
    field,
  });
}
