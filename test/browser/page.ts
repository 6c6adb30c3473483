/// <reference lib="dom" />
/**
 * The page that runs in Chromium (bundled by esbuild in `harness.ts`, with `vitest` mapped to
 * `vitest-shim.ts`): the storage contract suite registered against `createIdbStorage` on the browser's real
 * IndexedDB, plus the few helpers the Node side drives for what only a real browser can show (a reload, a
 * second tab, a storage quota). Everything is reached through `window.__yg`.
 */
import { createIdbStorage } from '../../adapters/idb/index.js';
import { isYibaoGuardError } from '../../src/errors/index.js';
import type { Storage, StorageNames, WriteOp } from '../../src/storage/contract.js';
import {
  CONTRACT_NAMES,
  dumpStorage,
  storageContract,
  type ContractLayout,
  type StorageDump,
} from '../contract/storage.js';
import { listCases, runCase } from './vitest-shim.js';

let databases = 0;

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`deleting ${name} failed`));
    // 'blocked' may fire while closed connections finish their last transactions; the deletion goes on
    // once they have, so it is no error here.
  });
}

storageContract('idb (Chromium)', async () => {
  const name = `contract-${Date.now()}-${databases++}`;
  return {
    open: () => createIdbStorage<ContractLayout>({ name, names: CONTRACT_NAMES, persist: false }),
    cleanup: () => deleteDatabase(name),
  };
});

/** Storages the Node side opened through the helpers below, by a handle of its choosing. */
const opened = new Map<string, Storage<ContractLayout>>();

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; error: string };

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    const code = isYibaoGuardError(error) ? error.code : 'NOT_OURS';
    return { ok: false, code, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

const helpers = {
  cases: listCases,
  run: runCase,

  /** Opens a storage over database `name` with the contract's names, or only some of them. */
  open(handle: string, name: string, only?: { stores: string[]; journals: string[] }): Promise<Outcome<null>> {
    return outcome(async () => {
      const names = (only ?? CONTRACT_NAMES) as StorageNames<ContractLayout>;
      opened.set(handle, await createIdbStorage<ContractLayout>({ name, names }));
      return null;
    });
  },

  /** Writes one batch (ops as JSON) through an opened storage. */
  write(handle: string, ops: Parameters<Storage<ContractLayout>['write']>[0]): Promise<Outcome<unknown>> {
    return outcome(() => storageOf(handle).write(ops));
  },

  /**
   * Writes `count` batches at once without waiting between them, each `size` appends to `audit` around a
   * put to `sales`: for two tabs racing on one database.
   */
  race(handle: string, tab: string, count: number, size: number): Promise<Outcome<unknown>> {
    return outcome(() =>
      Promise.all(
        Array.from({ length: count }, (_, batch) => {
          const ops: WriteOp<ContractLayout>[] = Array.from({ length: size }, (_unused, index) => ({
            op: 'append' as const,
            journal: 'audit' as const,
            value: { tab, batch, index },
          }));
          ops.splice(1, 0, { op: 'put', store: 'sales', key: `${tab}-${batch}`, value: batch });
          return storageOf(handle).write(ops);
        }),
      ),
    );
  },

  dump(handle: string): Promise<Outcome<StorageDump>> {
    return outcome(() => dumpStorage(storageOf(handle)));
  },

  /** One read through an opened storage: shows whether it still works after another tab's upgrade. */
  lastSeq(handle: string): Promise<Outcome<number>> {
    return outcome(() => storageOf(handle).lastSeq('audit'));
  },

  close(handle: string): Promise<Outcome<null>> {
    return outcome(async () => {
      await opened.get(handle)?.close();
      opened.delete(handle);
      return null;
    });
  },

  deleteDatabase: (name: string): Promise<Outcome<void>> => outcome(() => deleteDatabase(name)),

  /**
   * Fills the storage with batches of `chunkBytes`-long values (a put and an append each) until a write is
   * refused: gives how many were written, the state before the refused write and after it, and the refusal.
   */
  fillUntilRefused(
    handle: string,
    chunkBytes: number,
    maxWrites: number,
  ): Promise<
    Outcome<{ written: number; before: StorageDump; after: StorageDump; code: string; error: string } | null>
  > {
    return outcome(async () => {
      const storage = storageOf(handle);
      // Random text: a browser may compress values, and repeated characters would compress to nothing.
      const bytes = new Uint8Array(chunkBytes / 2);
      for (let written = 0; written < maxWrites; written++) {
        // getRandomValues gives at most 64 KiB per call.
        for (let offset = 0; offset < bytes.length; offset += 65_536)
          crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
        const text = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
        const before = await dumpStorage(storage);
        try {
          await storage.write([
            { op: 'put', store: 'sales', key: `S-${written}`, value: { text } },
            { op: 'append', journal: 'audit', value: { sale: written, text } },
            { op: 'put', store: 'meta', key: 'count', value: written + 1 },
          ]);
        } catch (error) {
          const after = await dumpStorage(storage);
          return {
            written,
            before,
            after,
            code: isYibaoGuardError(error) ? error.code : 'NOT_OURS',
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          };
        }
      }
      return null;
    });
  },
};

function storageOf(handle: string): Storage<ContractLayout> {
  const storage = opened.get(handle);
  if (storage === undefined) throw new Error(`no storage opened as "${handle}"`);
  return storage;
}

/**
 * What `window.__yg` holds: the Node side types its `page.evaluate` calls with it.
 *
 * @example
 * const cases = (await page.evaluate(() => (globalThis as unknown as { __yg: PageHelpers }).__yg.cases()));
 */
export type PageHelpers = typeof helpers;

(globalThis as { __yg?: PageHelpers }).__yg = helpers;
