/**
 * The storage contract every adapter implements (memory here; IndexedDB in `yibao-guard/idb`; SQLite in
 * `yibao-guard/sqlite`). Two kinds of named containers, declared when the storage is opened:
 *
 * - **stores**: key-value maps with string keys, kept in key order. Every record carries a revision
 *   (`rev`, 1 on first write, +1 on each put) so a writer can make a put or delete conditional on what it
 *   last read: the basis for leases and sequence counters.
 * - **journals**: append-only, ordered logs. The storage numbers entries 1, 2, 3, … per journal with no
 *   gaps (a failed write consumes no number) and never changes or removes an entry.
 *
 * Every change goes through {@link Storage.write}: one batch of operations that is applied whole or not at
 * all, and batches never interleave. A sale and the outbox records that report it are one batch.
 *
 * Values are JSON values (objects, arrays, strings, finite numbers, booleans, null), with JSON's rules in
 * every adapter: properties whose value is `undefined` are dropped, a `Date` becomes its ISO string, and a
 * BigInt, a non-finite number, a cycle or a throwing `toJSON` refuses the whole batch with
 * `STORAGE_INVALID_VALUE` (an IndexedDB adapter must not rely on structured clone, which keeps more). What
 * comes back is a fresh copy: changing it changes nothing stored. Adapters hand back what they stored;
 * callers that need a stronger type parse it with its schema at this edge.
 *
 * Keys are non-empty strings of at most 512 UTF-16 code units with no lone surrogate; any other key is
 * refused with `STORAGE_INVALID_VALUE`, on reads as on writes.
 *
 * Calls on one storage take effect in the order they are made: a read started after a write (even one not
 * yet awaited) sees it.
 *
 * Revisions: a record that is deleted and put again starts over at rev 1, so a lease or counter record
 * that guards with `expect` should be updated, never deleted. `expect: null` on a delete means "must not
 * exist". A layout with empty, duplicate or shared store/journal names is refused at open with
 * `STORAGE_FAILED`.
 */

/** A JSON value as storage keeps it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * The shape of one storage: store names to their value types, journal names to their entry types.
 *
 * @example
 * type Layout = { stores: { sales: Sale; meta: { seq: number } }; journals: { audit: AuditEvent } };
 */
export interface StorageLayout {
  stores: Record<string, unknown>;
  journals: Record<string, unknown>;
}

/** The names of a layout's stores and journals, as passed to an adapter when it opens. */
export interface StorageNames<L extends StorageLayout> {
  readonly stores: readonly (keyof L['stores'] & string)[];
  readonly journals: readonly (keyof L['journals'] & string)[];
  /**
   * Stores whose records hold personal data in clear (a buyer's 身份证 number and name) until they are deleted.
   * Durable adapters keep a deleted record of these off the disk: SQLite zeroes it and truncates its WAL;
   * IndexedDB, whose freed space is out of reach, stores the value encrypted under a key of its own, deleted with
   * the record (crypto-shredding). What comes back through the contract is the same either way.
   * @default []
   */
  readonly personal?: readonly (keyof L['stores'] & string)[];
}

export type StoreName<L extends StorageLayout> = keyof L['stores'] & string;
export type JournalName<L extends StorageLayout> = keyof L['journals'] & string;

/** A record of a store: its key, its value, and its revision (1 on first write, +1 on each put). */
export interface StoredRecord<V> {
  readonly key: string;
  readonly value: V;
  readonly rev: number;
}

/** An entry of a journal: its sequence number (1, 2, 3, … per journal) and its value. */
export interface JournalEntry<V> {
  readonly seq: number;
  readonly value: V;
}

/**
 * A precondition on a record: the revision the writer last saw, or `null` for "must not exist".
 * When it does not hold, the whole batch is refused with `STORAGE_CONFLICT` and nothing is written.
 */
export type ExpectedRev = number | null;

/** One operation of an atomic batch. */
export type WriteOp<L extends StorageLayout> =
  | {
      [S in StoreName<L>]: {
        readonly op: 'put';
        readonly store: S;
        readonly key: string;
        readonly value: L['stores'][S];
        readonly expect?: ExpectedRev;
      };
    }[StoreName<L>]
  | {
      [S in StoreName<L>]: {
        readonly op: 'delete';
        readonly store: S;
        readonly key: string;
        readonly expect?: ExpectedRev;
      };
    }[StoreName<L>]
  | {
      [J in JournalName<L>]: { readonly op: 'append'; readonly journal: J; readonly value: L['journals'][J] };
    }[JournalName<L>];

/** What one operation of a committed batch did: the record's new revision, or the entry's number. */
export type WriteReceipt =
  | { readonly op: 'put'; readonly rev: number }
  | { readonly op: 'delete'; readonly existed: boolean }
  | { readonly op: 'append'; readonly seq: number };

/** Options for reading a store in key order. */
export interface ListOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Only keys strictly after this one (for paging). */
  readonly after?: string;
  /** At most this many records. */
  readonly limit?: number;
}

/** Options for reading a journal in sequence order. */
export interface ReadOptions {
  /** Only entries with a sequence number strictly greater than this. @default 0 */
  readonly after?: number;
  /** At most this many entries. */
  readonly limit?: number;
}

/**
 * A storage opened with a layout. All methods reject with a {@link StorageError} (`STORAGE_*` codes)
 * rather than a bare error; a write that rejects has written nothing.
 */
export interface Storage<L extends StorageLayout = StorageLayout> {
  /** Which adapter this is: `memory`, `idb`, `sqlite`. */
  readonly kind: string;
  /** True when data outlives the process (IndexedDB, SQLite); false for memory. */
  readonly durable: boolean;

  /** The record at `key`, or undefined. */
  get<S extends StoreName<L>>(store: S, key: string): Promise<StoredRecord<L['stores'][S]> | undefined>;
  /** Records in ascending key order (code unit order; the same in every adapter for keys below U+D800). */
  list<S extends StoreName<L>>(store: S, options?: ListOptions): Promise<StoredRecord<L['stores'][S]>[]>;
  /** Number of records in a store. */
  count(store: StoreName<L>): Promise<number>;
  /** Entries in ascending sequence order. */
  read<J extends JournalName<L>>(journal: J, options?: ReadOptions): Promise<JournalEntry<L['journals'][J]>[]>;
  /** The highest sequence number of a journal, 0 when empty. */
  lastSeq(journal: JournalName<L>): Promise<number>;
  /** Applies a batch atomically and in order; resolves with one receipt per operation. */
  write(ops: readonly WriteOp<L>[]): Promise<WriteReceipt[]>;
  /** Closes the storage; later calls reject with `STORAGE_CLOSED`. Closing twice is harmless. */
  close(): Promise<void>;
}
