/// <reference lib="dom" />
/**
 * The IndexedDB storage itself, opened by `createIdbStorage()` (see `index.ts`). One database
 * per storage name; one object store per declared store (`s:<name>`, key = record key, value = the record's
 * JSON text and revision) and per journal (`j:<name>`, key = sequence number, value = the entry's JSON text).
 * Values are kept as JSON text, never as structured clones, so what comes back is what JSON would give and a
 * record that no longer parses is reported as corrupt rather than handed on.
 *
 * The pieces: schema.ts (the layout), seal.ts (personal stores' encryption), context.ts (what a storage shares),
 * connection.ts (opening, upgrades, the call queue), reads.ts and write.ts (the calls).
 */
import { StorageError, YibaoGuardError } from '../../src/errors/index.js';
import type { Storage, StorageLayout } from '../../src/storage/contract.js';
import { DeclaredNames } from '../../src/storage/batch.js';
import { closeStorage, enqueue } from './connection.js';
import { LABEL, noop, type IdbContext } from './context.js';
import { countRecords, getRecord, journalLastSeq, listRecords, readJournal } from './reads.js';
import { journalStore, keyStore, recordStore } from './schema.js';
import { writeBatch } from './write.js';
import type { IdbStorageOptions } from './index.js';

/** How long an upgrade waits for another tab to let go of an older version before giving up. */
const DEFAULT_BLOCKED_TIMEOUT_MS = 10_000;

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
  const required = [
    ...[...names.stores].map(recordStore),
    ...[...names.journals].map(journalStore),
    ...[...personal].map(keyStore),
  ];
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
  // Personal stores are encrypted: WebCrypto is there in every browser, but only in a secure context (https,
  // localhost).
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (personal.size > 0 && subtle === undefined) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: `${LABEL.en}: the layout has stores of personal data, kept encrypted, and this page has no WebCrypto (crypto.subtle): serve the till over https or from localhost`,
      messageZh: `${LABEL.zh}：该布局含有需加密保存的个人信息数据表，而当前页面没有 WebCrypto（crypto.subtle）：请通过 https 或 localhost 提供收银页面`,
    });
  }
  if (options.persist !== false) requestPersistence();

  const ctx: IdbContext = {
    name,
    names,
    personal,
    required,
    blockedTimeoutMs,
    factory,
    KeyRange,
    subtle,
    db: undefined,
    lost: undefined,
    closed: false,
    closing: undefined,
    tail: Promise.resolve(),
  };
  const storage: Storage<L> = {
    kind: 'idb',
    durable: true,
    get: (storeName, key) => getRecord(ctx, storeName, key),
    list: (storeName, listOptions) => listRecords(ctx, storeName, listOptions),
    count: (storeName) => countRecords(ctx, storeName),
    read: (journalName, readOptions) => readJournal(ctx, journalName, readOptions),
    lastSeq: (journalName) => journalLastSeq(ctx, journalName),
    write: (ops) => writeBatch(ctx, ops),
    close: () => closeStorage(ctx),
  };

  // Open now, so that a blocked upgrade or a full disk shows at open, not at first use.
  try {
    await enqueue(ctx, 'open', async () => undefined);
  } catch (error) {
    ctx.closed = true;
    throw error;
  }
  return storage;
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
