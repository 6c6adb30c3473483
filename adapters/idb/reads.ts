/// <reference lib="dom" />
/*
 * The reads of an IndexedDB storage: get, list, count, read and lastSeq, each in a read-only transaction of its
 * own, with rows checked (and personal ones opened) before they are handed on.
 */
import type { JournalEntry, ListOptions, ReadOptions, StoredRecord } from '../../src/storage/contract.js';
import {
  checkKey,
  checkListOptions,
  checkReadOptions,
  checkStoredRev,
  checkStoredSeq,
  corrupt,
  parseStored,
} from '../../src/storage/batch.js';
import { enqueue } from './connection.js';
import { LABEL, noop, type IdbContext } from './context.js';
import {
  journalStore,
  keyStore,
  recordStore,
  type Database,
  type EntryRow,
  type JournalStore,
  type KeyStore,
  type RecordRow,
  type RecordStore,
  type SealedRow,
  type Transaction,
} from './schema.js';
import { unseal } from './seal.js';

/** The record at `key` of a store, or undefined. */
export function getRecord(ctx: IdbContext, storeName: unknown, key: string): Promise<StoredRecord<never> | undefined> {
  return enqueue(ctx, `get from store "${String(storeName)}"`, async (database) => {
    const store = ctx.names.store(storeName, 'store');
    checkKey(key, 'key', `store "${store}"`, LABEL);
    const tx = reading(database, ...readStores(ctx, store));
    const [row, sealedKey] = await Promise.all([
      tx.objectStore(recordStore(store)).get(key),
      ctx.personal.has(store) ? tx.objectStore(keyStore(store)).get(key) : undefined,
    ]);
    return row === undefined ? undefined : toRecord(ctx, store, key, row, sealedKey);
  });
}

/** A store's records in key order, within the list options. */
export function listRecords(
  ctx: IdbContext,
  storeName: unknown,
  listOptions: ListOptions | undefined,
): Promise<StoredRecord<never>[]> {
  return enqueue(ctx, `list of store "${String(storeName)}"`, async (database) => {
    const store = ctx.names.store(storeName, 'store');
    const { prefix, after, limit } = checkListOptions(listOptions, LABEL);
    const range = listRange(ctx, prefix, after);
    // IndexedDB reads a count of 0 as "no limit".
    if (range === null || limit === 0) return [];
    const tx = reading(database, ...readStores(ctx, store));
    const objectStore = tx.objectStore(recordStore(store));
    const [keys, rows] = await Promise.all([objectStore.getAllKeys(range, limit), objectStore.getAll(range, limit)]);
    if (!ctx.personal.has(store)) return Promise.all(keys.map((key, index) => toRecord(ctx, store, key, rows[index])));
    // The keys of exactly these records, in the same transaction (a store's keys are only ever written with it).
    const sealedKeys = await Promise.all(keys.map((key) => tx.objectStore(keyStore(store)).get(key as string)));
    return Promise.all(keys.map((key, index) => toRecord(ctx, store, key, rows[index], sealedKeys[index])));
  });
}

/** The number of records in a store. */
export function countRecords(ctx: IdbContext, storeName: unknown): Promise<number> {
  return enqueue(ctx, `count of store "${String(storeName)}"`, async (database) => {
    const store = ctx.names.store(storeName, 'store');
    return reading(database, recordStore(store)).objectStore(recordStore(store)).count();
  });
}

/** A journal's entries after `after`, in order. */
export function readJournal(
  ctx: IdbContext,
  journalName: unknown,
  readOptions: ReadOptions | undefined,
): Promise<JournalEntry<never>[]> {
  return enqueue(ctx, `read of journal "${String(journalName)}"`, async (database) => {
    const journal = ctx.names.journal(journalName, 'journal');
    const { after, limit } = checkReadOptions(readOptions, LABEL);
    if (limit === 0) return [];
    const objectStore = reading(database, journalStore(journal)).objectStore(journalStore(journal));
    const range = ctx.KeyRange.lowerBound(after, true);
    const [seqs, rows] = await Promise.all([objectStore.getAllKeys(range, limit), objectStore.getAll(range, limit)]);
    return seqs.map((seq, index) => toEntry(journal, seq, rows[index]));
  });
}

/** A journal's highest sequence number, 0 when empty. */
export function journalLastSeq(ctx: IdbContext, journalName: unknown): Promise<number> {
  return enqueue(ctx, `lastSeq of journal "${String(journalName)}"`, async (database) => {
    const journal = ctx.names.journal(journalName, 'journal');
    return lastKey(
      journal,
      await reading(database, journalStore(journal)).objectStore(journalStore(journal)).openKeyCursor(null, 'prev'),
    );
  });
}

/** A read-only transaction whose own failure, if any, surfaces through its requests. */
function reading(database: Database, ...stores: (RecordStore | JournalStore | KeyStore)[]): Transaction {
  const tx = database.transaction(stores, 'readonly');
  tx.done.catch(noop);
  return tx;
}

/** A store's object stores for a read: its records, and its keys when it is personal. */
const readStores = (ctx: IdbContext, store: string): (RecordStore | KeyStore)[] =>
  ctx.personal.has(store) ? [recordStore(store), keyStore(store)] : [recordStore(store)];

/**
 * A stored row as a record. A row of a personal store is opened with its key (`sealedKey`, from the `k:` store);
 * one that has no key or does not open is reported as corrupt, never handed on.
 */
async function toRecord(
  ctx: IdbContext,
  store: string,
  key: unknown,
  row: unknown,
  sealedKey?: unknown,
): Promise<StoredRecord<never>> {
  const where = `store "${store}", key "${String(key)}"`;
  if (typeof key !== 'string' || row === null || typeof row !== 'object')
    throw corrupt(where, LABEL, 'it is not a record', '不是记录');
  const { v, r } = row as Partial<RecordRow>;
  let json: unknown = v;
  if (v === undefined && ctx.personal.has(store)) {
    json = await unseal(ctx.subtle!, store, key, row as Partial<SealedRow>, sealedKey);
    if (json === undefined)
      throw corrupt(where, LABEL, 'its encrypted value does not open with its key', '其加密内容无法用其密钥解开');
  }
  return { key, value: parseStored(json, where, LABEL) as never, rev: checkStoredRev(r, where, LABEL) };
}

function toEntry(journal: string, seq: unknown, row: unknown): JournalEntry<never> {
  const where = `journal "${journal}", seq ${String(seq)}`;
  if (row === null || typeof row !== 'object') throw corrupt(where, LABEL, 'it is not a journal entry', '不是日志条目');
  return {
    seq: checkStoredSeq(seq, where, LABEL),
    value: parseStored((row as Partial<EntryRow>).v, where, LABEL) as never,
  };
}

/** The range of keys a `list` visits, in code-unit order (IndexedDB's order for strings), or null for none. */
function listRange(
  ctx: IdbContext,
  prefix: string | undefined,
  after: string | undefined,
): IDBKeyRange | undefined | null {
  const { KeyRange } = ctx;
  const end = prefix === undefined ? undefined : prefixEnd(prefix);
  // `after` is exclusive; a non-empty prefix is an inclusive start. Take whichever starts later.
  const fromAfter = after !== undefined && (prefix === undefined || after >= prefix);
  const start = fromAfter ? after : prefix === '' ? undefined : prefix;
  if (start === undefined) return end === undefined ? undefined : KeyRange.upperBound(end, true);
  if (end === undefined) return KeyRange.lowerBound(start, fromAfter);
  return start < end ? KeyRange.bound(start, end, fromAfter, true) : null;
}

/** The highest key of a journal (from a reverse key cursor), 0 when empty. */
export function lastKey(journal: string, cursor: { readonly key: unknown } | null): number {
  return cursor === null ? 0 : checkStoredSeq(cursor.key, `journal "${journal}", seq ${String(cursor.key)}`, LABEL);
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code-unit order, or undefined
 * when there is none (a prefix of U+FFFF code units only).
 */
function prefixEnd(prefix: string): string | undefined {
  let end = prefix;
  while (end.length > 0 && end.charCodeAt(end.length - 1) === 0xffff) end = end.slice(0, -1);
  if (end === '') return undefined;
  return end.slice(0, -1) + String.fromCharCode(end.charCodeAt(end.length - 1) + 1);
}
