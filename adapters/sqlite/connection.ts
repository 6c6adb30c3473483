/*
 * The storage contract over an open, prepared connection: the statements, the batch transaction, and the calls,
 * each run to completion when it is made (better-sqlite3 is synchronous) and answered as a promise.
 */
import type {
  JournalEntry,
  ListOptions,
  ReadOptions,
  Storage,
  StorageLayout,
  StoredRecord,
  WriteOp,
  WriteReceipt,
} from '../../src/storage/contract.js';
import {
  checkBatch,
  checkKey,
  checkListOptions,
  checkReadOptions,
  checkStoredRev,
  checkStoredSeq,
  closedError,
  parseStored,
  planBatch,
  type CheckedOp,
  type DeclaredNames,
} from '../../src/storage/batch.js';
import type { Database } from './database-file.js';
import { asStorageError, LABEL } from './errors.js';

/** The prepared statements of one connection. */
type Statements = ReturnType<typeof prepareStatements>;

/** One open SQLite storage, without its batch transaction: connection, layout, statements, and what changes. */
interface SqliteState {
  readonly db: Database;
  readonly names: DeclaredNames;
  readonly statements: Statements;
  /** Whether the last batch applied deleted or replaced a record of a personal store. */
  purged: boolean;
  closed: boolean;
}

/** One open SQLite storage. */
interface SqliteContext extends SqliteState {
  /** Plans and applies a checked batch in one transaction (`.immediate` for BEGIN IMMEDIATE). */
  readonly applyBatch: ReturnType<typeof batchTransaction>;
}

/** The {@link Storage} over `db`, a connection prepareFile set up, for the layout `names` declares. */
export function sqliteStorage<L extends StorageLayout>(db: Database, names: DeclaredNames): Storage<L> {
  const state: SqliteState = { db, names, statements: prepareStatements(db), purged: false, closed: false };
  const ctx: SqliteContext = Object.assign(state, { applyBatch: batchTransaction(state) });
  const storage: Storage<L> = {
    kind: 'sqlite',
    durable: true,
    get: (storeName, key) => getRecord(ctx, storeName, key),
    list: (storeName, listOptions) => listRecords(ctx, storeName, listOptions),
    count(storeName) {
      const what = `count of store "${String(storeName)}"`;
      return call(ctx, what, () => ctx.statements.count.get(names.store(storeName, 'store'))?.n ?? 0);
    },
    read: (journalName, readOptions) => readJournal(ctx, journalName, readOptions),
    lastSeq(journalName) {
      const what = `lastSeq of journal "${String(journalName)}"`;
      return call(ctx, what, () => lastSeq(ctx.statements, names.journal(journalName, 'journal')));
    },
    write: (ops) => writeBatch(ctx, ops),
    close() {
      if (!ctx.closed) {
        ctx.closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
  return storage;
}

function prepareStatements(db: Database) {
  return {
    get: db.prepare<[string, string], { json: unknown; rev: unknown }>(
      'SELECT json, rev FROM records WHERE store = ? AND key = ?',
    ),
    rev: db.prepare<[string, string], { rev: unknown }>('SELECT rev FROM records WHERE store = ? AND key = ?'),
    // One lower bound per query (`key >= prefix`, or `key > after` when that is further on): with both, SQLite may
    // seek on the first and scan the rest, so paging deep into a store got slower page by page. The prefix end is
    // checked in JS.
    listFrom: db.prepare<[string, string], { key: string; json: unknown; rev: unknown }>(
      'SELECT key, json, rev FROM records WHERE store = ? AND key >= ? ORDER BY key',
    ),
    listAfter: db.prepare<[string, string], { key: string; json: unknown; rev: unknown }>(
      'SELECT key, json, rev FROM records WHERE store = ? AND key > ? ORDER BY key',
    ),
    count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM records WHERE store = ?'),
    read: db.prepare<[string, number, number], { seq: unknown; json: unknown }>(
      'SELECT seq, json FROM journals WHERE journal = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    lastSeq: db.prepare<[string], { seq: unknown }>('SELECT max(seq) AS seq FROM journals WHERE journal = ?'),
    put: db.prepare<[string, string, string, number]>(
      'INSERT INTO records (store, key, json, rev) VALUES (?, ?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET json = excluded.json, rev = excluded.rev',
    ),
    delete: db.prepare<[string, string]>('DELETE FROM records WHERE store = ? AND key = ?'),
    // A plain INSERT: an entry is never overwritten; a taken number fails (and rolls back) the whole batch.
    append: db.prepare<[string, number, string]>('INSERT INTO journals (journal, seq, json) VALUES (?, ?, ?)'),
  };
}

function lastSeq(statements: Statements, journal: string): number {
  const seq = statements.lastSeq.get(journal)?.seq ?? null;
  return seq === null ? 0 : checkStoredSeq(seq, `journal "${journal}", seq ${String(seq)}`, LABEL);
}

/** Plans and applies a checked batch; run as BEGIN IMMEDIATE … COMMIT, rolled back on any throw. */
function batchTransaction(ctx: SqliteState) {
  const { statements } = ctx;
  const personal = ctx.names.personal;
  return ctx.db.transaction((checked: readonly CheckedOp[]) => {
    ctx.purged = false;
    const plan = planBatch(
      checked,
      {
        rev: (store, key) => {
          const row = statements.rev.get(store, key);
          return row === undefined ? null : checkStoredRev(row.rev, `store "${store}", key "${key}"`, LABEL);
        },
        lastSeq: (journal) => lastSeq(statements, journal),
      },
      LABEL,
    );
    for (const [store, changes] of plan.records) {
      for (const [key, record] of changes) {
        // A delete, or a put over an earlier revision: personal data that was stored is gone from the live rows.
        if (personal.has(store) && (record === null || record.rev > 1)) ctx.purged = true;
        if (record === null) statements.delete.run(store, key);
        else statements.put.run(store, key, record.json, record.rev);
      }
    }
    for (const [journal, entries] of plan.appends)
      for (const entry of entries) statements.append.run(journal, entry.seq, entry.json);
    return plan.receipts;
  });
}

/**
 * Runs `task` now (better-sqlite3 is synchronous, so calls take effect in the order they are made) and
 * hands its outcome back as a promise, never as a synchronous throw.
 */
function call<T>(ctx: SqliteContext, what: string, task: () => T): Promise<T> {
  if (ctx.closed) return Promise.reject(closedError(what, LABEL));
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

function getRecord(ctx: SqliteContext, storeName: unknown, key: string): Promise<StoredRecord<never> | undefined> {
  return call(ctx, `get from store "${String(storeName)}"`, () => {
    const store = ctx.names.store(storeName, 'store');
    checkKey(key, 'key', `store "${store}"`, LABEL);
    const row = ctx.statements.get.get(store, key);
    return row === undefined ? undefined : toRecord(store, key, row);
  });
}

function listRecords(
  ctx: SqliteContext,
  storeName: unknown,
  listOptions: ListOptions | undefined,
): Promise<StoredRecord<never>[]> {
  return call(ctx, `list of store "${String(storeName)}"`, () => {
    const store = ctx.names.store(storeName, 'store');
    const { prefix, after, limit } = checkListOptions(listOptions, LABEL);
    const out: StoredRecord<never>[] = [];
    if (limit === 0) return out;
    const from = prefix ?? '';
    const { listAfter, listFrom } = ctx.statements;
    const rows = after !== undefined && after >= from ? listAfter.iterate(store, after) : listFrom.iterate(store, from);
    for (const row of rows) {
      // Keys with the prefix are contiguous in key order: the first one without it ends the list.
      if (prefix !== undefined && !row.key.startsWith(prefix)) break;
      out.push(toRecord(store, row.key, row));
      if (out.length === limit) break;
    }
    return out;
  });
}

function readJournal(
  ctx: SqliteContext,
  journalName: unknown,
  readOptions: ReadOptions | undefined,
): Promise<JournalEntry<never>[]> {
  return call(ctx, `read of journal "${String(journalName)}"`, () => {
    const journal = ctx.names.journal(journalName, 'journal');
    const { after, limit } = checkReadOptions(readOptions, LABEL);
    // LIMIT -1 is SQLite's "no limit".
    return ctx.statements.read.all(journal, after, limit ?? -1).map((row) => toEntry(journal, row));
  });
}

function writeBatch(ctx: SqliteContext, ops: readonly WriteOp<StorageLayout>[]): Promise<WriteReceipt[]> {
  return call(ctx, 'write', () => {
    const checked = checkBatch(ops, ctx.names, LABEL);
    if (checked.length === 0) return [];
    const receipts = ctx.applyBatch.immediate(checked);
    // The batch is committed: the rows it deleted are zeroed in their pages (secure_delete), but the WAL still
    // holds the pages as they were. Copy the WAL into the file and cut it to 0 bytes; busy (another process
    // reading) leaves it for the next purge, and the write stands either way.
    if (ctx.purged) {
      try {
        ctx.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Not a failure of the write, which is committed: the next purge checkpoints again.
      }
    }
    return receipts;
  });
}
