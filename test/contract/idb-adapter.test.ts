/**
 * What the IndexedDB adapter promises beyond the shared contract, in Node over fake-indexeddb: versioned
 * upgrades that only add stores, letting other connections (tabs) upgrade or delete the database, corrupt
 * records reported as such, quota errors typed with nothing written, persistence requested, and no browser
 * global needed until a storage is opened. The real-browser side of these is in test/browser/.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIdbStorage } from '../../adapters/idb/index.js';
import { isYibaoGuardError, type StorageErrorCode } from '../../src/errors/index.js';
import { TERMINAL_NAMES, type TerminalLayout } from '../../src/storage/terminal-layout.js';
import type { Storage, StorageNames } from '../../src/storage/contract.js';
import { CONTRACT_NAMES, dumpStorage, type ContractLayout } from './storage.js';

type Layout = ContractLayout;
const opened: { close(): Promise<void> }[] = [];

async function open(
  factory: IDBFactory,
  names: StorageNames<Layout> = CONTRACT_NAMES,
  extra: { blockedTimeoutMs?: number } = {},
): Promise<Storage<Layout>> {
  const storage = await createIdbStorage<Layout>({ name: 'till', names, indexedDB: factory, persist: false, ...extra });
  opened.push(storage);
  return storage;
}

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  vi.restoreAllMocks();
});

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected a rejection');
}

async function expectCode(
  promise: Promise<unknown>,
  code: StorageErrorCode | 'ENVIRONMENT_UNSUPPORTED',
): Promise<Error & { code: string }> {
  const error = await rejection(promise);
  expect(isYibaoGuardError(error, code), `${code} expected, got ${String(error)}`).toBe(true);
  return error;
}

/** A raw connection to the test database, as another program or an older release would hold it. */
function rawOpen(factory: IDBFactory, version?: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? factory.open('till') : factory.open('till', version);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Writes one raw value into an object store, bypassing the adapter: to damage what it stored. */
async function rawPut(factory: IDBFactory, store: string, value: unknown, key: IDBValidKey): Promise<void> {
  const db = await rawOpen(factory);
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction([store], 'readwrite');
    tx.objectStore(store).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

/** Every value of a raw object store, by key. */
async function rawAll(factory: IDBFactory, store: string): Promise<Map<IDBValidKey, unknown>> {
  const db = await rawOpen(factory);
  const out = new Map<IDBValidKey, unknown>();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction([store], 'readonly');
    const request = tx.objectStore(store).openCursor();
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor === null) return resolve();
      out.set(cursor.key, cursor.value);
      cursor.continue();
    };
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return out;
}

describe('IndexedDB adapter: stores marked personal (crypto-shredding)', () => {
  const buyer = { certno: '220102197804121539', psn_name: '李明华' };

  it('keeps the value encrypted under a key of its own, reads it back in clear, and deletes the key with the record', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    await storage.write([
      { op: 'put', store: 'sales', key: 'M-1', value: buyer },
      { op: 'put', store: 'meta', key: 'plain', value: buyer },
    ]);
    expect(await storage.get('sales', 'M-1')).toEqual({ key: 'M-1', value: buyer, rev: 1 });
    expect(await storage.list('sales')).toEqual([{ key: 'M-1', value: buyer, rev: 1 }]);

    const row = (await rawAll(factory, 's:sales')).get('M-1') as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(['c', 'i', 'r']);
    const bytes = Buffer.from(row['c'] as Uint8Array);
    for (const text of [buyer.certno, buyer.psn_name]) {
      for (const encoding of ['utf8', 'utf16le'] as const)
        expect(bytes.includes(Buffer.from(text, encoding))).toBe(false);
    }
    const key = (await rawAll(factory, 'k:sales')).get('M-1');
    expect(key instanceof Uint8Array && key.length).toBe(32);
    // A store not marked personal is kept as JSON text, as before.
    expect((await rawAll(factory, 's:meta')).get('plain')).toEqual({ v: JSON.stringify(buyer), r: 1 });

    await storage.write([{ op: 'delete', store: 'sales', key: 'M-1' }]);
    expect((await rawAll(factory, 's:sales')).size).toBe(0);
    expect((await rawAll(factory, 'k:sales')).size).toBe(0);
  });

  it('reports a record whose key is gone or whose bytes were changed or moved as STORAGE_CORRUPT, never hands it on', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    await storage.write([
      { op: 'put', store: 'sales', key: 'M-1', value: buyer },
      { op: 'put', store: 'sales', key: 'M-2', value: buyer },
      { op: 'put', store: 'outbox', key: 'O-1', value: 1 },
    ]);
    await storage.close();
    const rows = await rawAll(factory, 's:sales');
    const moved = rows.get('M-1') as { c: Uint8Array; i: Uint8Array; r: number };
    // M-2 gets M-1's ciphertext (its own key stays): bound to its store and key, it does not open there.
    await rawPut(factory, 's:sales', moved, 'M-2');
    // O-1 loses its key.
    const db = await rawOpen(factory);
    await new Promise<void>((resolve) => {
      const tx = db.transaction(['k:outbox'], 'readwrite');
      tx.objectStore('k:outbox').delete('O-1');
      tx.oncomplete = () => resolve();
    });
    db.close();

    const reopened = await open(factory);
    expect(await reopened.get('sales', 'M-1')).toEqual({ key: 'M-1', value: buyer, rev: 1 });
    expect((await expectCode(reopened.get('sales', 'M-2'), 'STORAGE_CORRUPT')).message).toContain(
      'store "sales", key "M-2"',
    );
    await expectCode(reopened.list('sales'), 'STORAGE_CORRUPT');
    expect((await expectCode(reopened.get('outbox', 'O-1'), 'STORAGE_CORRUPT')).message).toContain('does not open');
  });

  it('reads a record written in clear before its store was marked personal, and encrypts it when it is next written', async () => {
    const factory = new IDBFactory();
    const before = await open(factory, { stores: ['sales'], journals: [] });
    await before.write([{ op: 'put', store: 'sales', key: 'M-1', value: buyer }]);
    await before.close();
    const storage = await open(factory);
    expect(await storage.get('sales', 'M-1')).toEqual({ key: 'M-1', value: buyer, rev: 1 });
    await storage.write([{ op: 'put', store: 'sales', key: 'M-1', value: { ...buyer, n: 2 }, expect: 1 }]);
    expect(Object.keys((await rawAll(factory, 's:sales')).get('M-1') as object).sort()).toEqual(['c', 'i', 'r']);
    expect(await storage.get('sales', 'M-1')).toEqual({ key: 'M-1', value: { ...buyer, n: 2 }, rev: 2 });
  });

  it('refuses to open a layout with personal stores where there is no WebCrypto (an insecure page), with ENVIRONMENT_UNSUPPORTED', async () => {
    vi.stubGlobal('crypto', {});
    try {
      const error = await expectCode(
        createIdbStorage<Layout>({ name: 'till', names: CONTRACT_NAMES, indexedDB: new IDBFactory(), persist: false }),
        'ENVIRONMENT_UNSUPPORTED',
      );
      expect(error.message).toContain('crypto.subtle');
      // Without personal stores nothing needs it.
      const plain = await open(new IDBFactory(), { stores: ['meta'], journals: [] });
      expect(await plain.write([{ op: 'put', store: 'meta', key: 'k', value: 1 }])).toEqual([{ op: 'put', rev: 1 }]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses a personal mark on a name that is not a declared store, with STORAGE_FAILED', async () => {
    await expectCode(
      createIdbStorage({
        name: 'till',
        names: { stores: ['sales'], journals: ['audit'], personal: ['audit'] } as never,
        indexedDB: new IDBFactory(),
        persist: false,
      }),
      'STORAGE_FAILED',
    );
  });
});

describe('IndexedDB adapter: versioned upgrades', () => {
  it('opens the terminal layout', async () => {
    const storage = await createIdbStorage<TerminalLayout>({
      name: 'terminal',
      names: TERMINAL_NAMES,
      indexedDB: new IDBFactory(),
      persist: false,
    });
    expect(storage.kind).toBe('idb');
    expect(storage.durable).toBe(true);
    expect(
      await storage.write([{ op: 'put', store: 'meta', key: 'terminal', value: { id: 'T01' }, expect: null }]),
    ).toEqual([{ op: 'put', rev: 1 }]);
    await storage.close();
  });

  it('creates the stores a layout adds with a version upgrade, keeping every record and store already there', async () => {
    const factory = new IDBFactory();
    const small = await open(factory, { stores: ['sales'], journals: ['audit'] });
    await small.write([
      { op: 'put', store: 'sales', key: 'S-1', value: 1 },
      { op: 'append', journal: 'audit', value: 'a' },
    ]);
    await small.close();
    const before = await rawOpen(factory);
    expect([before.version, Array.from(before.objectStoreNames)]).toEqual([1, ['j:audit', 's:sales']]);
    before.close();

    const full = await open(factory);
    expect(await full.get('sales', 'S-1')).toEqual({ key: 'S-1', value: 1, rev: 1 });
    expect(
      await full.write([
        { op: 'append', journal: 'events', value: 'e' },
        { op: 'append', journal: 'audit', value: 'b' },
      ]),
    ).toEqual([
      { op: 'append', seq: 1 },
      { op: 'append', seq: 2 },
    ]);
    await full.close();
    const after = await rawOpen(factory);
    expect(after.version).toBe(2);
    // The personal stores' keys (k:) come with them.
    expect(Array.from(after.objectStoreNames)).toEqual([
      'j:audit',
      'j:events',
      'k:outbox',
      'k:sales',
      's:meta',
      's:outbox',
      's:sales',
    ]);
    after.close();

    // A layout that declares fewer stores opens without an upgrade and removes nothing.
    const fewer = await open(factory, { stores: ['outbox'], journals: [] });
    await fewer.close();
    const last = await rawOpen(factory);
    expect([last.version, last.objectStoreNames.length]).toEqual([2, 7]);
    last.close();
  });

  it('closes for another connection that upgrades, and reopens on the next call', async () => {
    const factory = new IDBFactory();
    const first = await open(factory, { stores: ['sales'], journals: ['audit'] });
    await first.write([{ op: 'append', journal: 'audit', value: 1 }]);
    // Without letting go, this open would wait for the first connection (and time out after 1 s).
    const second = await open(factory, CONTRACT_NAMES, { blockedTimeoutMs: 1000 });
    expect(await first.write([{ op: 'append', journal: 'audit', value: 2 }])).toEqual([{ op: 'append', seq: 2 }]);
    expect(await second.lastSeq('audit')).toBe(2);
  });

  it('fails with STORAGE_FAILED after the database was deleted elsewhere, rather than start over empty', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    await storage.write([{ op: 'append', journal: 'audit', value: 1 }]);
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase('till');
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    const error = await expectCode(storage.lastSeq('audit'), 'STORAGE_FAILED');
    expect(error.message).toContain('deleted');
  });

  it('gives up with STORAGE_FAILED when a connection that never lets go blocks the upgrade', async () => {
    const factory = new IDBFactory();
    const stubborn = await rawOpen(factory, 1);
    const error = await expectCode(open(factory, CONTRACT_NAMES, { blockedTimeoutMs: 50 }), 'STORAGE_FAILED');
    expect(error.message).toContain('blocked');
    // Once it lets go, the pending upgrade completes and is closed again, and opening works.
    stubborn.close();
    const storage = await open(factory);
    expect(await storage.count('sales')).toBe(0);
  });

  it('refuses bad options with STORAGE_FAILED', async () => {
    const factory = new IDBFactory();
    await expectCode(createIdbStorage({ name: '', names: CONTRACT_NAMES, indexedDB: factory }), 'STORAGE_FAILED');
    await expectCode(
      createIdbStorage({ name: 'x', names: { stores: ['a', 'a'], journals: [] }, indexedDB: factory }),
      'STORAGE_FAILED',
    );
    await expectCode(
      createIdbStorage({ name: 'x', names: { stores: ['a'], journals: ['a'] }, indexedDB: factory }),
      'STORAGE_FAILED',
    );
    await expectCode(
      createIdbStorage({ name: 'x', names: { stores: [''], journals: [] }, indexedDB: factory }),
      'STORAGE_FAILED',
    );
  });
});

describe('IndexedDB adapter: damage and failures', () => {
  it('reports a record that no longer parses as STORAGE_CORRUPT naming its store and key, and writes nothing over it', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    await storage.write([
      { op: 'put', store: 'sales', key: 'S-1', value: { total: 1 } },
      { op: 'put', store: 'sales', key: 'S-2', value: 2 },
      { op: 'append', journal: 'audit', value: 'x' },
    ]);
    await storage.close();
    await rawPut(factory, 's:sales', { v: '{"total":', r: 1 }, 'S-1');
    await rawPut(factory, 's:outbox', { v: '1', r: 0 }, 'O-1');
    await rawPut(factory, 'j:audit', 'not an entry', 2);

    const reopened = await open(factory);
    const error = await expectCode(reopened.get('sales', 'S-1'), 'STORAGE_CORRUPT');
    expect(error.message).toContain('store "sales", key "S-1"');
    expect((error as { messageZh?: string }).messageZh).toContain('数据表“sales”，键“S-1”');
    await expectCode(reopened.list('sales'), 'STORAGE_CORRUPT');
    expect(await reopened.get('sales', 'S-2')).toEqual({ key: 'S-2', value: 2, rev: 1 });
    expect((await expectCode(reopened.get('outbox', 'O-1'), 'STORAGE_CORRUPT')).message).toContain('revision');
    expect((await expectCode(reopened.read('audit'), 'STORAGE_CORRUPT')).message).toContain('journal "audit", seq 2');
    // A write whose revision check meets the damaged record is refused whole.
    await expectCode(
      reopened.write([
        { op: 'append', journal: 'events', value: 1 },
        { op: 'put', store: 'outbox', key: 'O-1', value: 1, expect: 1 },
      ]),
      'STORAGE_CORRUPT',
    );
    expect(await reopened.lastSeq('events')).toBe(0);
  });

  it('turns a QuotaExceededError into STORAGE_QUOTA with nothing of the batch written, and numbers on without a gap', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    await storage.write([
      { op: 'put', store: 'sales', key: 'S-1', value: 1 },
      { op: 'append', journal: 'audit', value: 'first' },
    ]);
    const before = await dumpStorage(storage);
    const add = IDBObjectStore.prototype.add;
    const spy = vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementationOnce(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const error = await expectCode(
      storage.write([
        { op: 'put', store: 'sales', key: 'S-1', value: 2 },
        { op: 'put', store: 'meta', key: 'm', value: 1 },
        { op: 'append', journal: 'audit', value: 'too big' },
      ]),
      'STORAGE_QUOTA',
    );
    expect(error.message).toContain('nothing was written');
    expect(spy).toHaveBeenCalled();
    expect(IDBObjectStore.prototype.add).not.toBe(add);
    expect(await dumpStorage(storage)).toEqual(before);
    expect(await storage.write([{ op: 'append', journal: 'audit', value: 'fits' }])).toEqual([
      { op: 'append', seq: 2 },
    ]);
  });

  it('maps any other IndexedDB failure to STORAGE_FAILED with the cause kept', async () => {
    const factory = new IDBFactory();
    const storage = await open(factory);
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementationOnce(() => {
      throw new DOMException('disk on fire', 'UnknownError');
    });
    const error = await expectCode(
      storage.write([{ op: 'put', store: 'sales', key: 'k', value: 1 }]),
      'STORAGE_FAILED',
    );
    expect((error as { cause?: { name?: string } }).cause?.name).toBe('UnknownError');
    expect(await storage.count('sales')).toBe(0);
  });

  it('keeps two connections (two tabs) from interleaving batches or sharing a number', async () => {
    const factory = new IDBFactory();
    const [a, b] = [await open(factory), await open(factory)];
    const writes = Array.from({ length: 20 }, (_, batch) => {
      const storage = batch % 2 === 0 ? a : b;
      return storage.write(
        Array.from({ length: 4 }, (_unused, index) => ({
          op: 'append' as const,
          journal: 'audit' as const,
          value: { batch, index },
        })),
      );
    });
    const seqs = (await Promise.all(writes)).flat().map((receipt) => (receipt.op === 'append' ? receipt.seq : 0));
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 80 }, (_, index) => index + 1));
    const entries = await a.read('audit');
    for (let start = 0; start < 80; start += 4) {
      const values = entries.slice(start, start + 4).map((entry) => entry.value as { batch: number; index: number });
      expect(values.map((value) => value.index)).toEqual([0, 1, 2, 3]);
      expect(new Set(values.map((value) => value.batch)).size).toBe(1);
    }
  });
});

describe('IndexedDB adapter: environment', () => {
  it('asks for persistent storage once per open unless told not to, and does without the API', async () => {
    const persist = vi.fn(async () => true);
    vi.stubGlobal('navigator', { storage: { persist } });
    try {
      const factory = new IDBFactory();
      opened.push(await createIdbStorage({ name: 'p', names: CONTRACT_NAMES, indexedDB: factory }));
      expect(persist).toHaveBeenCalledTimes(1);
      opened.push(await createIdbStorage({ name: 'q', names: CONTRACT_NAMES, indexedDB: factory, persist: false }));
      expect(persist).toHaveBeenCalledTimes(1);
      // A refusal, a throw or no API at all changes nothing.
      persist.mockRejectedValueOnce(new Error('denied'));
      opened.push(await createIdbStorage({ name: 'r', names: CONTRACT_NAMES, indexedDB: factory }));
      vi.stubGlobal('navigator', {
        storage: {
          persist: () => {
            throw new Error('no');
          },
        },
      });
      opened.push(await createIdbStorage({ name: 's', names: CONTRACT_NAMES, indexedDB: factory }));
      vi.stubGlobal('navigator', {});
      opened.push(await createIdbStorage({ name: 't', names: CONTRACT_NAMES, indexedDB: factory }));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('needs no browser global to be imported, and says ENVIRONMENT_UNSUPPORTED when opened without IndexedDB', async () => {
    vi.stubGlobal('indexedDB', undefined);
    vi.stubGlobal('IDBKeyRange', undefined);
    vi.stubGlobal('IDBRequest', undefined);
    try {
      vi.resetModules();
      const entry = await import('../../adapters/idb/index.js');
      await import('../../adapters/idb/storage.js');
      const error = await expectCode(
        entry.createIdbStorage({ name: 'x', names: CONTRACT_NAMES }),
        'ENVIRONMENT_UNSUPPORTED',
      );
      expect(error.message).toContain('IndexedDB');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
