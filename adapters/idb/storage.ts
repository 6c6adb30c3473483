/// <reference lib="dom" />
/**
 * The IndexedDB storage itself, opened by `createIdbStorage()` (see `index.ts`). One database
 * per storage name; one object store per declared store (`s:<name>`, key = record key, value = the record's
 * JSON text and revision) and per journal (`j:<name>`, key = sequence number, value = the entry's JSON text).
 * Values are kept as JSON text, never as structured clones, so what comes back is what JSON would give and a
 * record that no longer parses is reported as corrupt rather than handed on.
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import type { JournalEntry, Storage, StorageLayout, StoredRecord, WriteReceipt } from '../../src/storage.js';
import {
  DeclaredNames,
  checkBatch,
  checkKey,
  checkListOptions,
  checkReadOptions,
  checkStoredRev,
  checkStoredSeq,
  closedError,
  corrupt,
  parseStored,
  planBatch,
  touched,
  type AdapterLabel,
} from '../../src/storage/batch.js';
import type { IdbStorageOptions } from './index.js';

const LABEL: AdapterLabel = { en: 'IndexedDB storage', zh: 'IndexedDB 存储' };

/** A record as IndexedDB holds it: the value's JSON text and the record's revision. */
interface RecordRow {
  readonly v: string;
  readonly r: number;
}

/** A journal entry as IndexedDB holds it (an object, so fields can be added without a migration). */
interface EntryRow {
  readonly v: string;
}

/**
 * A record of a store marked personal, as IndexedDB holds it: the value's JSON text encrypted (AES-256-GCM, 12-byte
 * IV, the store and key as additional data) under a key of its own, kept in the store's `k:` object store under
 * the same key and deleted with the record. A record written before the store was marked personal still has `v`.
 */
interface SealedRow {
  readonly c: Uint8Array;
  readonly i: Uint8Array;
  readonly r: number;
}

type RecordStore = `s:${string}`;
type JournalStore = `j:${string}`;
/** The per-record keys of a personal store. */
type KeyStore = `k:${string}`;

/**
 * The database's typed schema. Store names are only known at open, so they are typed by pattern: a prefix
 * keeps a store and a journal of the same name apart and leaves room for stores of our own later.
 */
interface GuardSchema extends DBSchema {
  [store: RecordStore]: { key: string; value: RecordRow | SealedRow };
  [journal: JournalStore]: { key: number; value: EntryRow };
  [keys: KeyStore]: { key: string; value: Uint8Array };
}

type Database = IDBPDatabase<GuardSchema>;
type Transaction<Mode extends IDBTransactionMode = 'readonly'> = IDBPTransaction<GuardSchema, (RecordStore | JournalStore | KeyStore)[], Mode>;

const recordStore = (store: string): RecordStore => `s:${store}`;
const journalStore = (journal: string): JournalStore => `j:${journal}`;
const keyStore = (store: string): KeyStore => `k:${store}`;

/** A value sealed for one record: the row to store and its key. */
interface Sealed {
  readonly json: string;
  readonly c: Uint8Array;
  readonly i: Uint8Array;
  readonly key: Uint8Array;
}

/** What a sealed record's ciphertext is bound to: its store and key, so a row moved elsewhere does not open. */
const boundTo = (store: string, key: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(`yibao-guard/idb\u0000${store}\u0000${key}`);

/** Encrypts `json` for (store, key) under a fresh random key. */
async function seal(subtle: SubtleCrypto, store: string, key: string, json: string): Promise<Sealed> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cryptoKey = await subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const c = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: boundTo(store, key) }, cryptoKey, new TextEncoder().encode(json)));
  return { json, c, i: iv, key: raw };
}

/** The JSON text of a sealed row, or undefined when it does not open (no key, a wrong key, changed bytes). */
async function unseal(subtle: SubtleCrypto, store: string, key: string, row: Partial<SealedRow>, raw: unknown): Promise<string | undefined> {
  if (!(raw instanceof Uint8Array) || !(row.c instanceof Uint8Array) || !(row.i instanceof Uint8Array)) return undefined;
  try {
    const cryptoKey = await subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, ['decrypt']);
    const plain = await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(row.i), additionalData: boundTo(store, key) }, cryptoKey, new Uint8Array(row.c));
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return undefined;
  }
}

/** How long an upgrade waits for another tab to let go of an older version before giving up. */
const DEFAULT_BLOCKED_TIMEOUT_MS = 10_000;
/** Upgrades raced by other tabs are retried this many times before opening fails. */
const OPEN_ATTEMPTS = 5;

const noop = (): void => {};

/**
 * Opens the storage: what `createIdbStorage()` (in `index.ts`, which documents the behaviour) calls.
 *
 * @example
 * const storage = await openIdbStorage({ name: 'yibao-guard:till-01', names: TERMINAL_NAMES });
 */
export async function openIdbStorage<L extends StorageLayout>(options: IdbStorageOptions<L>): Promise<Storage<L>> {
  const { name } = options;
  if (typeof name !== 'string' || name === '') {
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: the database name must be a non-empty string`,
      messageZh: `${LABEL.zh}：数据库名称必须是非空字符串`,
      field: 'name',
    });
  }
  const names = new DeclaredNames(options.names, LABEL);
  const personal = names.personal;
  const required = [...[...names.stores].map(recordStore), ...[...names.journals].map(journalStore), ...[...personal].map(keyStore)];
  const blockedTimeoutMs = options.blockedTimeoutMs ?? DEFAULT_BLOCKED_TIMEOUT_MS;
  const scope = globalThis as { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange; IDBRequest?: unknown };
  const given = options.indexedDB ?? scope.indexedDB;
  // idb recognises IndexedDB objects with `instanceof` against the globals, and ranges need IDBKeyRange: an
  // injected factory must come with its globals (in Node: `import 'fake-indexeddb/auto'`).
  if (given === undefined || scope.IDBKeyRange === undefined || scope.IDBRequest === undefined) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: `${LABEL.en}: this environment has no IndexedDB (indexedDB, IDBKeyRange, IDBRequest); in Node, use yibao-guard/sqlite, or install an IndexedDB implementation's globals for tests`,
      messageZh: `${LABEL.zh}：当前环境没有 IndexedDB（indexedDB、IDBKeyRange、IDBRequest）；Node 中请使用 yibao-guard/sqlite，测试时请先安装 IndexedDB 实现的全局对象`,
    });
  }
  const factory: IDBFactory = given;
  const KeyRange = scope.IDBKeyRange;
  // Personal stores are encrypted: WebCrypto is there in every browser, but only in a secure context (https, localhost).
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (personal.size > 0 && subtle === undefined) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: `${LABEL.en}: the layout has stores of personal data, kept encrypted, and this page has no WebCrypto (crypto.subtle): serve the till over https or from localhost`,
      messageZh: `${LABEL.zh}：该布局含有需加密保存的个人信息数据表，而当前页面没有 WebCrypto（crypto.subtle）：请通过 https 或 localhost 提供收银页面`,
    });
  }
  if (options.persist !== false) requestPersistence();

  /** The open connection; undefined when closed for another tab's upgrade (the next call reopens). */
  let db: Database | undefined;
  /** Set when the database is gone (deleted or closed by the browser): every later call fails with it. */
  let lost: StorageError | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  const missing = (database: Database): string[] => required.filter((store) => !database.objectStoreNames.contains(store as RecordStore));

  /** Opens `name` at `version` (current when undefined), creating any declared store that is missing. */
  function openAt(version: number | undefined): Promise<Database> {
    return new Promise<Database>((resolve, reject) => {
      const request = version === undefined ? factory.open(name) : factory.open(name, version);
      let timer: ReturnType<typeof setTimeout> | undefined;
      let gaveUp = false;
      // Runs for a new database (version 1) and for our own version bumps: only ever adds stores, so
      // data written by other layouts or older releases stays.
      request.addEventListener('upgradeneeded', () => {
        const database = request.result;
        for (const store of required) if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
      });
      request.addEventListener('blocked', () => {
        timer ??= setTimeout(() => {
          gaveUp = true;
          reject(
            new StorageError('STORAGE_FAILED', {
              message: `${LABEL.en}: adding stores to "${name}" is blocked by another tab or window that keeps an older version open; close it and try again`,
              messageZh: `${LABEL.zh}：升级数据库“${name}”被另一个仍打开旧版本的标签页或窗口阻止，请关闭后重试`,
            }),
          );
        }, blockedTimeoutMs);
      });
      (wrap(request) as Promise<Database>).then(
        (opened) => {
          clearTimeout(timer);
          // Opened after we gave up: nobody will use this connection, so it must not block anyone.
          if (gaveUp) opened.close();
          else resolve(opened);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * Opens the database with every declared store: at its current version when that has them all, else at
   * the next version, which creates the missing ones. Another tab may upgrade at the same moment, so the
   * result is checked again and the bump retried a few times.
   */
  async function connect(): Promise<Database> {
    for (let attempt = 1; attempt <= OPEN_ATTEMPTS; attempt++) {
      let opened = await openAt(undefined);
      if (missing(opened).length > 0) {
        const next = opened.version + 1;
        opened.close();
        try {
          opened = await openAt(next);
        } catch (error) {
          // Someone else upgraded past `next` first: start again from their version.
          if ((error as { name?: unknown }).name === 'VersionError') continue;
          throw error;
        }
        if (missing(opened).length > 0) {
          opened.close();
          continue;
        }
      }
      return watch(opened);
    }
    throw new StorageError('STORAGE_FAILED', {
      message: `${LABEL.en}: could not add the missing stores to "${name}": other tabs kept upgrading it`,
      messageZh: `${LABEL.zh}：无法为数据库“${name}”补建数据表：其他标签页在不断升级它`,
    });
  }

  /**
   * Lets other tabs upgrade or delete the database: on `versionchange` this connection closes at once (its
   * running transaction still completes), and the next call reopens at the new version; when the database
   * was deleted, or the browser closed the connection (storage cleared, disk failure), later calls fail with
   * STORAGE_FAILED instead of silently starting over with empty stores.
   */
  function watch(opened: Database): Database {
    opened.addEventListener('versionchange', (event) => {
      opened.close();
      if (db !== opened) return;
      db = undefined;
      if (event.newVersion === null) {
        lost = new StorageError('STORAGE_FAILED', {
          message: `${LABEL.en}: the database "${name}" was deleted by another tab or window; open the storage again`,
          messageZh: `${LABEL.zh}：数据库“${name}”已被另一个标签页或窗口删除，请重新打开存储`,
        });
      }
    });
    opened.addEventListener('close', () => {
      if (db !== opened) return;
      db = undefined;
      lost = new StorageError('STORAGE_FAILED', {
        message: `${LABEL.en}: the browser closed the database "${name}" (storage cleared or failing); open the storage again`,
        messageZh: `${LABEL.zh}：浏览器关闭了数据库“${name}”（存储被清除或出错），请重新打开存储`,
      });
    });
    db = opened;
    return opened;
  }

  /** Runs `task` after every call made before it, on an open connection; rejects only with our errors. */
  function enqueue<T>(what: string, task: (database: Database) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(closedError(what, LABEL));
    const run = tail.then(async () => {
      try {
        if (lost !== undefined) throw lost;
        return await task(db ?? (await connect()));
      } catch (error) {
        throw asStorageError(error, what);
      }
    });
    tail = run.then(noop, noop);
    return run;
  }

  /** A read-only transaction whose own failure, if any, surfaces through its requests. */
  function reading(database: Database, ...stores: (RecordStore | JournalStore | KeyStore)[]): Transaction {
    const tx = database.transaction(stores, 'readonly');
    tx.done.catch(noop);
    return tx;
  }

  /** A store's object stores for a read: its records, and its keys when it is personal. */
  const readStores = (store: string): (RecordStore | KeyStore)[] => (personal.has(store) ? [recordStore(store), keyStore(store)] : [recordStore(store)]);

  /**
   * A stored row as a record. A row of a personal store is opened with its key (`sealedKey`, from the `k:` store);
   * one that has no key or does not open is reported as corrupt, never handed on.
   */
  async function toRecord(store: string, key: unknown, row: unknown, sealedKey?: unknown): Promise<StoredRecord<never>> {
    const where = `store "${store}", key "${String(key)}"`;
    if (typeof key !== 'string' || row === null || typeof row !== 'object') throw corrupt(where, LABEL, 'it is not a record', '不是记录');
    const { v, r } = row as Partial<RecordRow>;
    let json: unknown = v;
    if (v === undefined && personal.has(store)) {
      json = await unseal(subtle!, store, key, row as Partial<SealedRow>, sealedKey);
      if (json === undefined) throw corrupt(where, LABEL, 'its encrypted value does not open with its key', '其加密内容无法用其密钥解开');
    }
    return { key, value: parseStored(json, where, LABEL) as never, rev: checkStoredRev(r, where, LABEL) };
  }

  function toEntry(journal: string, seq: unknown, row: unknown): JournalEntry<never> {
    const where = `journal "${journal}", seq ${String(seq)}`;
    if (row === null || typeof row !== 'object') throw corrupt(where, LABEL, 'it is not a journal entry', '不是日志条目');
    return { seq: checkStoredSeq(seq, where, LABEL), value: parseStored((row as Partial<EntryRow>).v, where, LABEL) as never };
  }

  /** The range of keys a `list` visits, in code-unit order (IndexedDB's order for strings), or null for none. */
  function listRange(prefix: string | undefined, after: string | undefined): IDBKeyRange | undefined | null {
    const end = prefix === undefined ? undefined : prefixEnd(prefix);
    // `after` is exclusive; a non-empty prefix is an inclusive start. Take whichever starts later.
    const fromAfter = after !== undefined && (prefix === undefined || after >= prefix);
    const start = fromAfter ? after : prefix === '' ? undefined : prefix;
    if (start === undefined) return end === undefined ? undefined : KeyRange.upperBound(end, true);
    if (end === undefined) return KeyRange.lowerBound(start, fromAfter);
    return start < end ? KeyRange.bound(start, end, fromAfter, true) : null;
  }

  const storage: Storage<L> = {
    kind: 'idb',
    durable: true,

    get(storeName, key) {
      return enqueue(`get from store "${String(storeName)}"`, async (database) => {
        const store = names.store(storeName, 'store');
        checkKey(key, 'key', `store "${store}"`, LABEL);
        const tx = reading(database, ...readStores(store));
        const [row, sealedKey] = await Promise.all([tx.objectStore(recordStore(store)).get(key), personal.has(store) ? tx.objectStore(keyStore(store)).get(key) : undefined]);
        return row === undefined ? undefined : toRecord(store, key, row, sealedKey);
      });
    },

    list(storeName, listOptions) {
      return enqueue(`list of store "${String(storeName)}"`, async (database) => {
        const store = names.store(storeName, 'store');
        const { prefix, after, limit } = checkListOptions(listOptions, LABEL);
        const range = listRange(prefix, after);
        // IndexedDB reads a count of 0 as "no limit".
        if (range === null || limit === 0) return [];
        const tx = reading(database, ...readStores(store));
        const objectStore = tx.objectStore(recordStore(store));
        const [keys, rows] = await Promise.all([objectStore.getAllKeys(range, limit), objectStore.getAll(range, limit)]);
        if (!personal.has(store)) return Promise.all(keys.map((key, index) => toRecord(store, key, rows[index])));
        // The keys of exactly these records, in the same transaction (a store's keys are only ever written with it).
        const sealedKeys = await Promise.all(keys.map((key) => tx.objectStore(keyStore(store)).get(key as string)));
        return Promise.all(keys.map((key, index) => toRecord(store, key, rows[index], sealedKeys[index])));
      });
    },

    count(storeName) {
      return enqueue(`count of store "${String(storeName)}"`, async (database) => {
        const store = names.store(storeName, 'store');
        return reading(database, recordStore(store)).objectStore(recordStore(store)).count();
      });
    },

    read(journalName, readOptions) {
      return enqueue(`read of journal "${String(journalName)}"`, async (database) => {
        const journal = names.journal(journalName, 'journal');
        const { after, limit } = checkReadOptions(readOptions, LABEL);
        if (limit === 0) return [];
        const objectStore = reading(database, journalStore(journal)).objectStore(journalStore(journal));
        const range = KeyRange.lowerBound(after, true);
        const [seqs, rows] = await Promise.all([objectStore.getAllKeys(range, limit), objectStore.getAll(range, limit)]);
        return seqs.map((seq, index) => toEntry(journal, seq, rows[index]));
      });
    },

    lastSeq(journalName) {
      return enqueue(`lastSeq of journal "${String(journalName)}"`, async (database) => {
        const journal = names.journal(journalName, 'journal');
        return lastKey(journal, await reading(database, journalStore(journal)).objectStore(journalStore(journal)).openKeyCursor(null, 'prev'));
      });
    },

    write(ops) {
      return enqueue('write', async (database) => {
        // Everything that needs no stored data is checked before a transaction exists.
        const checked = checkBatch(ops, names, LABEL);
        if (checked.length === 0) return [];
        const { records, journals } = touched(checked);
        // Values of personal stores are encrypted before the transaction starts: awaiting WebCrypto inside it
        // would let it commit half-way. By store and key, the last put wins, as in the plan.
        const sealed = new Map<string, Sealed>();
        for (const op of checked) {
          if (op.op === 'put' && personal.has(op.store)) sealed.set(`${op.store}\u0000${op.key}`, await seal(subtle!, op.store, op.key, op.json));
        }
        const stores = [...[...records.keys()].flatMap((store) => (personal.has(store) ? [recordStore(store), keyStore(store)] : [recordStore(store)])), ...[...journals].map(journalStore)];
        // 'strict': the browser flushes to disk before reporting success, so an acknowledged sale survives a
        // power cut (Chromium's default is 'relaxed').
        const tx: Transaction<'readwrite'> = database.transaction(stores, 'readwrite', { durability: 'strict' });
        const done = tx.done;
        done.catch(noop);
        try {
          // Look up every revision and last number the plan needs, inside this transaction: IndexedDB runs
          // read-write transactions with overlapping stores one at a time, also across tabs, so what is read
          // here cannot change before the writes below commit. Only IndexedDB requests are awaited from here
          // on: awaiting anything else would let the transaction commit half-way.
          const revs = new Map<string, Map<string, number | null>>();
          const lastSeqs = new Map<string, number>();
          const lookups: Promise<unknown>[] = [];
          // Every request promise gets a handler as it is made: if a later call throws and the transaction is
          // aborted, the pending ones reject, and none of them may go unhandled.
          const track = (list: Promise<unknown>[], request: Promise<unknown>): void => {
            request.catch(noop);
            list.push(request);
          };
          for (const [store, keys] of records) {
            const found = new Map<string, number | null>();
            revs.set(store, found);
            const objectStore = tx.objectStore(recordStore(store));
            for (const key of keys) {
              track(
                lookups,
                objectStore.get(key).then((row) => {
                  found.set(key, row === undefined ? null : checkStoredRev((row as Partial<RecordRow> | null)?.r, `store "${store}", key "${key}"`, LABEL));
                }),
              );
            }
          }
          for (const journal of journals) {
            track(
              lookups,
              tx
                .objectStore(journalStore(journal))
                .openKeyCursor(null, 'prev')
                .then((cursor) => {
                  lastSeqs.set(journal, lastKey(journal, cursor));
                }),
            );
          }
          await Promise.all(lookups);
          const plan = planBatch(checked, { rev: (store, key) => revs.get(store)?.get(key) ?? null, lastSeq: (journal) => lastSeqs.get(journal) ?? 0 }, LABEL);
          const writes: Promise<unknown>[] = [];
          for (const [store, changes] of plan.records) {
            const objectStore = tx.objectStore(recordStore(store));
            if (!personal.has(store)) {
              for (const [key, record] of changes) track(writes, record === null ? objectStore.delete(key) : objectStore.put({ v: record.json, r: record.rev }, key));
              continue;
            }
            // Personal: the ciphertext and its key go in and out together; deleting the key shreds the value.
            const keys = tx.objectStore(keyStore(store));
            for (const [key, record] of changes) {
              if (record === null) {
                track(writes, objectStore.delete(key));
                track(writes, keys.delete(key));
                continue;
              }
              const box = sealed.get(`${store}\u0000${key}`);
              if (box?.json !== record.json) throw new Error('internal: a personal record was planned without its sealed value');
              track(writes, objectStore.put({ c: box.c, i: box.i, r: record.rev }, key));
              track(writes, keys.put(box.key, key));
            }
          }
          for (const [journal, entries] of plan.appends) {
            const objectStore = tx.objectStore(journalStore(journal));
            // `add`, not `put`: an entry is never overwritten; a taken number fails the whole batch.
            for (const entry of entries) track(writes, objectStore.add({ v: entry.json }, entry.seq));
          }
          await Promise.all([...writes, done]);
          return plan.receipts satisfies WriteReceipt[];
        } catch (error) {
          // The transaction's own error (a quota error at commit, say) says more than a request's AbortError.
          const reason = (tx.error as DOMException | null) ?? error;
          try {
            tx.abort();
          } catch {
            // Already aborted or finished: nothing of it was committed either way.
          }
          throw reason;
        }
      });
    },

    close() {
      if (!closed) {
        closed = true;
        // Calls made before close() still complete; the connection closes after them.
        closing = tail.then(() => {
          db?.close();
          db = undefined;
        });
      }
      return closing as Promise<void>;
    },
  };

  // Open now, so that a blocked upgrade or a full disk shows at open, not at first use.
  try {
    await enqueue('open', async () => undefined);
  } catch (error) {
    closed = true;
    throw error;
  }
  return storage;
}

/** The highest key of a journal (from a reverse key cursor), 0 when empty. */
function lastKey(journal: string, cursor: { readonly key: unknown } | null): number {
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

/** Asks the browser to keep this origin's storage under pressure; absence or refusal changes nothing. */
function requestPersistence(): void {
  const manager = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  if (typeof manager?.persist !== 'function') return;
  try {
    manager.persist().catch(noop);
  } catch {
    // Some embedded webviews throw instead of rejecting: persistence is a wish, not a requirement.
  }
}

/**
 * Our errors pass through; a full disk or quota becomes STORAGE_QUOTA; anything else from IndexedDB becomes
 * STORAGE_FAILED. Either way the write's transaction was aborted, so nothing of it was written.
 */
function asStorageError(error: unknown, what: string): YibaoGuardError {
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
