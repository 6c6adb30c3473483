/**
 * The in-memory storage adapter: the reference implementation of the contract in `../storage.ts`, used by
 * tests, the simulator and demos. It keeps nothing beyond the process, but otherwise behaves like the
 * durable adapters: values are copied in and out through JSON, every batch is validated whole before any
 * of it is applied, and all calls take effect in the order they were made.
 */
import { StorageError } from '../errors/index.js';
import { checkKey as checkKeyFor, serialise as serialiseFor, zhWhere, type AdapterLabel } from './batch.js';
import type {
  JournalEntry,
  ListOptions,
  ReadOptions,
  Storage,
  StorageLayout,
  StorageNames,
  StoredRecord,
  WriteOp,
  WriteReceipt,
} from '../storage.js';

/** Longest key a store accepts, in UTF-16 code units (the same limit in every adapter). */
const LABEL: AdapterLabel = { en: 'Memory storage', zh: '内存存储' };
/** Key rules shared with the durable adapters (src/storage/batch.ts). */
function checkKey(key: unknown, field: string, where: string, index?: number): asserts key is string {
  checkKeyFor(key, field, where, LABEL, index);
}
const serialise = (value: unknown, index: number, where: string, field: string): string => serialiseFor(value, index, where, field, LABEL);

declare const backingBrand: unique symbol;

/**
 * The data behind one or more memory storages, kept apart from any one storage so that closing a
 * storage and opening a new one over the same backing sees the same records, revisions and journals:
 * the memory model of closing and reopening a durable storage within one process. Opaque: read and
 * change it only through a storage opened over it. Storages open over the same backing at the same time
 * share one queue, so their batches never interleave either.
 *
 * @example
 * const backing = createMemoryBacking();
 * const first = createMemoryStorage({ names, backing });
 * await first.write([{ op: 'put', store: 'meta', key: 'seq', value: { seq: 1 } }]);
 * await first.close();
 * const again = createMemoryStorage({ names, backing });
 * (await again.get('meta', 'seq'))?.rev; // 1
 */
export interface MemoryBacking {
  readonly [backingBrand]: true;
}

/**
 * Options of {@link createMemoryStorage}: the names of the layout's stores and journals, and optionally
 * the {@link MemoryBacking} that holds the data (a fresh, empty one when left out).
 *
 * @example
 * const options: MemoryStorageOptions<Layout> = { names: { stores: ['sales', 'meta'], journals: ['audit'] } };
 */
export interface MemoryStorageOptions<L extends StorageLayout> {
  readonly names: StorageNames<L>;
  readonly backing?: MemoryBacking;
}

/** One stored record: the value as JSON text (so every read parses a fresh copy) and its revision. */
interface Slot {
  readonly json: string;
  readonly rev: number;
}

/** A store: records by key, plus the keys in ascending code-unit order for `list`. */
interface StoreData {
  readonly records: Map<string, Slot>;
  readonly sortedKeys: string[];
}

/** A journal: entry `seq` is `entries[seq - 1]`, as JSON text. */
interface JournalData {
  readonly entries: string[];
}

interface BackingData {
  readonly stores: Map<string, StoreData>;
  readonly journals: Map<string, JournalData>;
  /** The tail of the queue every storage over this backing runs its calls on, in call order. */
  tail: Promise<void>;
}

const backings = new WeakMap<MemoryBacking, BackingData>();

/**
 * Creates an empty {@link MemoryBacking}: the data behind memory storages, which outlives closing them.
 * Pass the same backing to {@link createMemoryStorage} again to reopen what an earlier storage wrote.
 *
 * @example
 * const backing = createMemoryBacking();
 * const storage = createMemoryStorage({ names: { stores: ['sales'], journals: ['audit'] }, backing });
 */
export function createMemoryBacking(): MemoryBacking {
  const backing = Object.freeze({}) as MemoryBacking;
  backings.set(backing, { stores: new Map(), journals: new Map(), tail: Promise.resolve() });
  return backing;
}

/**
 * Opens a {@link Storage} kept in memory (`kind: 'memory'`, `durable: false`) with the given store and
 * journal names, over `backing` when given (else over a fresh one). Semantics are those of the storage
 * contract: values are copied in through `JSON.stringify` and out through `JSON.parse` (so `undefined`
 * properties and functions are dropped as JSON drops them, while BigInt, cycles, a throwing `toJSON`,
 * `undefined` as the whole value and NaN or ±Infinity anywhere refuse the batch with
 * `STORAGE_INVALID_VALUE`); keys are non-empty, well-formed strings of at most 512 UTF-16 code units; a
 * batch is checked whole (names, keys, values, `expect` revisions, counting the batch's own earlier
 * operations) before any of it is applied; calls take effect in the order they were made, so a read
 * started after a write sees it. A record's revision is 1 on its first put and +1 on each later put;
 * once deleted, the record is gone and a new put starts again at 1 (`expect: null` then holds). Journal
 * entries are numbered 1, 2, 3, … per journal and a refused batch consumes no number. Calls made before
 * `close()` still complete; calls made after it reject with `STORAGE_CLOSED`.
 *
 * @throws {StorageError} `STORAGE_FAILED` when a name is not a non-empty string or is declared twice
 *   (also as both a store and a journal).
 *
 * @example
 * type Layout = { stores: { sales: { total: number } }; journals: { audit: { event: string } } };
 * const storage = createMemoryStorage<Layout>({ names: { stores: ['sales'], journals: ['audit'] } });
 * const [put, append] = await storage.write([
 *   { op: 'put', store: 'sales', key: 'S-0001', value: { total: 1250 }, expect: null },
 *   { op: 'append', journal: 'audit', value: { event: 'sale' } },
 * ]); // [{ op: 'put', rev: 1 }, { op: 'append', seq: 1 }]
 */
export function createMemoryStorage<L extends StorageLayout>(options: MemoryStorageOptions<L>): Storage<L> {
  const { names } = options;
  const data = backingData(options.backing ?? createMemoryBacking());
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
  for (const name of storeNames) if (!data.stores.has(name)) data.stores.set(name, { records: new Map(), sortedKeys: [] });
  for (const name of journalNames) if (!data.journals.has(name)) data.journals.set(name, { entries: [] });

  let closed = false;

  /** Runs `task` on the backing's queue, after every call made before it; rejects only with StorageError. */
  function enqueue<T>(what: string, task: () => T): Promise<T> {
    if (closed) {
      return Promise.reject(
        new StorageError('STORAGE_CLOSED', {
          message: `Memory storage is closed; ${what} was refused`,
          messageZh: `内存存储已关闭，操作（${what}）被拒绝`,
        }),
      );
    }
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

  function store(name: unknown, field: string): StoreData {
    const found = typeof name === 'string' && storeNames.has(name) ? data.stores.get(name) : undefined;
    if (found === undefined) throw unknownName('store', name, field, journalNames);
    return found;
  }

  function journal(name: unknown, field: string): JournalData {
    const found = typeof name === 'string' && journalNames.has(name) ? data.journals.get(name) : undefined;
    if (found === undefined) throw unknownName('journal', name, field, storeNames);
    return found;
  }

  const storage: Storage<L> = {
    kind: 'memory',
    durable: false,

    get(storeName, key) {
      return enqueue(`get from store "${String(storeName)}"`, () => {
        const target = store(storeName, 'store');
        checkKey(key, 'key', `store "${storeName}"`);
        const slot = target.records.get(key);
        return slot === undefined ? undefined : { key, value: JSON.parse(slot.json) as L['stores'][typeof storeName], rev: slot.rev };
      });
    },

    list(storeName, listOptions) {
      return enqueue(`list of store "${String(storeName)}"`, () => {
        const target = store(storeName, 'store');
        const prefix = optionalString(listOptions?.prefix, 'prefix');
        const after = optionalString(listOptions?.after, 'after');
        const limit = optionalCount(listOptions?.limit, 'limit');
        const keys = target.sortedKeys;
        let index = 0;
        if (after !== undefined) index = upperBound(keys, after);
        if (prefix !== undefined) index = Math.max(index, lowerBound(keys, prefix));
        const out: StoredRecord<L['stores'][typeof storeName]>[] = [];
        for (; index < keys.length && (limit === undefined || out.length < limit); index++) {
          const key = keys[index] as string;
          if (prefix !== undefined && !key.startsWith(prefix)) break;
          const slot = target.records.get(key) as Slot;
          out.push({ key, value: JSON.parse(slot.json) as L['stores'][typeof storeName], rev: slot.rev });
        }
        return out;
      });
    },

    count(storeName) {
      return enqueue(`count of store "${String(storeName)}"`, () => store(storeName, 'store').records.size);
    },

    read(journalName, readOptions) {
      return enqueue(`read of journal "${String(journalName)}"`, () => {
        const target = journal(journalName, 'journal');
        const after = optionalCount(readOptions?.after, 'after') ?? 0;
        const limit = optionalCount(readOptions?.limit, 'limit');
        const end = limit === undefined ? target.entries.length : Math.min(target.entries.length, after + limit);
        const out: JournalEntry<L['journals'][typeof journalName]>[] = [];
        for (let index = after; index < end; index++) {
          out.push({ seq: index + 1, value: JSON.parse(target.entries[index] as string) as L['journals'][typeof journalName] });
        }
        return out;
      });
    },

    lastSeq(journalName) {
      return enqueue(`lastSeq of journal "${String(journalName)}"`, () => journal(journalName, 'journal').entries.length);
    },

    write(ops) {
      return enqueue('write', () => applyBatch(ops));
    },

    close() {
      if (closed) return Promise.resolve();
      closed = true;
      // Calls made before close() still complete; close resolves after them.
      return data.tail;
    },
  };

  /** Checks the whole batch against the current data plus its own earlier operations, then applies it. */
  function applyBatch(ops: readonly WriteOp<L>[]): WriteReceipt[] {
    if (!Array.isArray(ops)) {
      throw new StorageError('STORAGE_INVALID_VALUE', {
        message: 'Memory storage: write() takes an array of operations; nothing was written',
        messageZh: '内存存储：write() 的参数必须是操作数组，本次写入未生效',
        field: 'ops',
      });
    }
    // The batch's effect, staged: per store the records it changes (null: deleted), per journal its appends.
    const staged = new Map<StoreData, Map<string, Slot | null>>();
    const appended = new Map<JournalData, string[]>();
    const receipts: WriteReceipt[] = [];

    ops.forEach((op: unknown, index) => {
      const at = `ops.${index}`;
      if (op === null || typeof op !== 'object') throw badOp(index, at);
      const { op: kind } = op as { op?: unknown };
      if (kind === 'append') {
        const { journal: journalName, value } = op as { journal?: unknown; value?: unknown };
        const target = journal(journalName, `${at}.journal`);
        const json = serialise(value, index, `journal "${String(journalName)}"`, `${at}.value`);
        const pending = appended.get(target) ?? [];
        appended.set(target, pending);
        pending.push(json);
        receipts.push({ op: 'append', seq: target.entries.length + pending.length });
        return;
      }
      if (kind !== 'put' && kind !== 'delete') throw badOp(index, at);
      const { store: storeName, key, expect } = op as { store?: unknown; key?: unknown; expect?: unknown };
      const target = store(storeName, `${at}.store`);
      const where = `store "${String(storeName)}"`;
      checkKey(key, `${at}.key`, where, index);
      if (expect !== undefined && expect !== null && !(Number.isSafeInteger(expect) && (expect as number) >= 1)) {
        throw new StorageError('STORAGE_INVALID_VALUE', {
          message: `Memory storage: operation ${index} (${kind} in ${where}, key "${key}") has an expect that is neither null nor a revision (an integer from 1); nothing was written`,
          messageZh: `内存存储：第 ${index} 个操作（${kind === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${key}”）的 expect 既不是 null 也不是修订号（从 1 起的整数），本次写入未生效`,
          field: `${at}.expect`,
        });
      }
      const changes = staged.get(target) ?? new Map<string, Slot | null>();
      staged.set(target, changes);
      const current = changes.has(key) ? changes.get(key) : target.records.get(key);
      const currentRev = current === null || current === undefined ? null : current.rev;
      if (expect !== undefined && expect !== currentRev) {
        throw new StorageError('STORAGE_CONFLICT', {
          message: `Memory storage: operation ${index} (${kind} in ${where}, key "${key}") expected ${describeRev(expect as number | null)} but found ${describeRev(currentRev)}; nothing was written`,
          messageZh: `内存存储：第 ${index} 个操作（${kind === 'put' ? '写入' : '删除'}${zhWhere(where)}，键“${key}”）预期${describeRevZh(expect as number | null)}，实际为${describeRevZh(currentRev)}，本次写入未生效`,
          field: `${at}.expect`,
        });
      }
      if (kind === 'put') {
        const json = serialise((op as { value?: unknown }).value, index, `${where}, key "${key}"`, `${at}.value`);
        const rev = (currentRev ?? 0) + 1;
        changes.set(key, { json, rev });
        receipts.push({ op: 'put', rev });
      } else {
        changes.set(key, null);
        receipts.push({ op: 'delete', existed: currentRev !== null });
      }
    });

    // Everything holds: apply. Nothing below can fail.
    for (const [target, changes] of staged) {
      for (const [key, slot] of changes) {
        if (slot === null) {
          if (target.records.delete(key)) target.sortedKeys.splice(lowerBound(target.sortedKeys, key), 1);
        } else {
          if (!target.records.has(key)) target.sortedKeys.splice(lowerBound(target.sortedKeys, key), 0, key);
          target.records.set(key, slot);
        }
      }
    }
    for (const [target, entries] of appended) target.entries.push(...entries);
    return receipts;
  }

  return storage;
}

function backingData(backing: MemoryBacking): BackingData {
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

function unknownName(kind: 'store' | 'journal', name: unknown, field: string, otherKind: ReadonlySet<string>): StorageError {
  const shown = typeof name === 'string' ? `"${name}"` : `(a ${typeof name})`;
  const hint = typeof name === 'string' && otherKind.has(name) ? ` (it is a ${kind === 'store' ? 'journal' : 'store'})` : '';
  const hintZh = typeof name === 'string' && otherKind.has(name) ? `（它是${kind === 'store' ? '日志' : '数据表'}）` : '';
  return new StorageError('STORAGE_UNKNOWN_NAME', {
    message: `Memory storage has no ${kind} ${shown}${hint}`,
    messageZh: `内存存储中没有名为 ${shown} 的${kind === 'store' ? '数据表' : '日志'}${hintZh}`,
    field,
  });
}

function badOp(index: number, field: string): StorageError {
  return new StorageError('STORAGE_INVALID_VALUE', {
    message: `Memory storage: operation ${index} is not a put, delete or append; nothing was written`,
    messageZh: `内存存储：第 ${index} 个操作不是 put、delete 或 append，本次写入未生效`,
    field,
  });
}

function describeRev(rev: number | null): string {
  return rev === null ? 'no record' : `revision ${rev}`;
}

function describeRevZh(rev: number | null): string {
  return rev === null ? '记录不存在' : `修订号 ${rev}`;
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
  if (value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0)) return value as number | undefined;
  throw new StorageError('STORAGE_INVALID_VALUE', {
    message: `Memory storage: option ${field} must be an integer from 0`,
    messageZh: `内存存储：选项 ${field} 必须是不小于 0 的整数`,
    field,
  });
}

/** Index of the first key >= `key` (code-unit order). */
function lowerBound(keys: readonly string[], key: string): number {
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
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) <= key) low = mid + 1;
    else high = mid;
  }
  return low;
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
