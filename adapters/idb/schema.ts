/// <reference lib="dom" />
/*
 * How the IndexedDB storage lays out its database: one object store per declared store (`s:<name>`), per journal
 * (`j:<name>`) and per personal store's record keys (`k:<name>`), and the rows they hold.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';

/** A record as IndexedDB holds it: the value's JSON text and the record's revision. */
export interface RecordRow {
  readonly v: string;
  readonly r: number;
}

/** A journal entry as IndexedDB holds it (an object, so fields can be added without a migration). */
export interface EntryRow {
  readonly v: string;
}

/**
 * A record of a store marked personal, as IndexedDB holds it: the value's JSON text encrypted (AES-256-GCM, 12-byte
 * IV, the store and key as additional data) under a key of its own, kept in the store's `k:` object store under
 * the same key and deleted with the record. A record written before the store was marked personal still has `v`.
 */
export interface SealedRow {
  readonly c: Uint8Array;
  readonly i: Uint8Array;
  readonly r: number;
}

export type RecordStore = `s:${string}`;
export type JournalStore = `j:${string}`;
/** The per-record keys of a personal store. */
export type KeyStore = `k:${string}`;

/**
 * The database's typed schema. Store names are only known at open, so they are typed by pattern: a prefix
 * keeps a store and a journal of the same name apart and leaves room for stores of our own later.
 */
export interface GuardSchema extends DBSchema {
  [store: RecordStore]: { key: string; value: RecordRow | SealedRow };
  [journal: JournalStore]: { key: number; value: EntryRow };
  [keys: KeyStore]: { key: string; value: Uint8Array };
}

/** An open connection to the database. */
export type Database = IDBPDatabase<GuardSchema>;
/** A transaction over some of its object stores. */
export type Transaction<Mode extends IDBTransactionMode = 'readonly'> = IDBPTransaction<
  GuardSchema,
  (RecordStore | JournalStore | KeyStore)[],
  Mode
>;

export const recordStore = (store: string): RecordStore => `s:${store}`;
export const journalStore = (journal: string): JournalStore => `j:${journal}`;
export const keyStore = (store: string): KeyStore => `k:${store}`;
