/**
 * The in-memory storage adapter: the reference implementation of the contract in `./contract.ts`, used by
 * tests, the simulator and demos. It keeps nothing beyond the process, but otherwise behaves like the
 * durable adapters: values are copied in and out through JSON, every batch is validated whole before any
 * of it is applied, and all calls take effect in the order they were made.
 */
import type { Storage, StorageLayout, StorageNames } from './contract.js';
import { attachBackingData, backingData } from './memory-backing.js';
import { applyBatch } from './memory-batch.js';
import { enqueue, journal, openContext, store } from './memory-context.js';
import { getRecord, listRecords, readEntries } from './memory-read.js';

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
  attachBackingData(backing);
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
  const data = backingData(options.backing ?? createMemoryBacking());
  const context = openContext(options.names, data);
  return {
    kind: 'memory',
    durable: false,

    get(storeName, key) {
      return enqueue(context, `get from store "${String(storeName)}"`, () =>
        getRecord<L['stores'][typeof storeName]>(context, storeName, key),
      );
    },

    list(storeName, listOptions) {
      return enqueue(context, `list of store "${String(storeName)}"`, () =>
        listRecords<L['stores'][typeof storeName]>(context, storeName, listOptions),
      );
    },

    count(storeName) {
      return enqueue(
        context,
        `count of store "${String(storeName)}"`,
        () => store(context, storeName, 'store').records.size,
      );
    },

    read(journalName, readOptions) {
      return enqueue(context, `read of journal "${String(journalName)}"`, () =>
        readEntries<L['journals'][typeof journalName]>(context, journalName, readOptions),
      );
    },

    lastSeq(journalName) {
      return enqueue(
        context,
        `lastSeq of journal "${String(journalName)}"`,
        () => journal(context, journalName, 'journal').entries.length,
      );
    },

    write(ops) {
      return enqueue(context, 'write', () => applyBatch(context, ops));
    },

    close() {
      if (context.closed) return Promise.resolve();
      context.closed = true;
      // Calls made before close() still complete; close resolves after them.
      return data.tail;
    },
  };
}
