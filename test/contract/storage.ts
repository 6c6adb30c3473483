/**
 * The storage contract suite: one set of tests that every storage adapter (memory, IndexedDB, SQLite)
 * must pass, so that code written against `Storage` behaves the same on each. It checks what the JSDoc of
 * `src/storage/contract.ts` promises, plus the rules the adapters share: keys are non-empty, well-formed strings
 * of at most 512 UTF-16 code units; values are copied through JSON (NaN, ±Infinity, BigInt, cycles and
 * `undefined` as a whole value are refused); a record deleted and put again starts at revision 1; calls
 * on one storage take effect in the order they were made.
 *
 * @example
 * // test/contract/sqlite.test.ts
 * import { storageContract, CONTRACT_NAMES } from './storage.js';
 * storageContract('sqlite', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'yg-'));
 *   const file = join(dir, 'db.sqlite');
 *   return {
 *     open: async () => openSqliteStorage({ file, names: CONTRACT_NAMES }),
 *     cleanup: () => rm(dir, { recursive: true, force: true }),
 *   };
 * });
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isYibaoGuardError, type StorageErrorCode } from '../../src/errors/index.js';
import type {
  JournalEntry,
  JsonValue,
  Storage,
  StorageNames,
  StoredRecord,
  WriteOp,
  WriteReceipt,
} from '../../src/storage/contract.js';

/** The layout the suite opens storages with: three stores and two journals, all holding JSON values. */
export type ContractLayout = {
  stores: { sales: JsonValue; outbox: JsonValue; meta: JsonValue };
  journals: { audit: JsonValue; events: JsonValue };
};

/**
 * The names an adapter must open for the suite. `sales` and `outbox` are marked personal, so every rule of the
 * contract holds as well for stores the durable adapters keep off the disk once deleted (IndexedDB encrypts
 * them, SQLite checkpoints after deleting from them); `meta` is not.
 */
export const CONTRACT_NAMES: StorageNames<ContractLayout> = {
  stores: ['sales', 'outbox', 'meta'],
  journals: ['audit', 'events'],
  personal: ['sales', 'outbox'],
};

/**
 * One fresh, empty set of data for one test. `open()` may be called several times (after the previous
 * storage was closed) and must open the same data each time: the suite uses it to test reopening.
 * `cleanup()` runs after every storage it opened was closed, and removes the data (files, databases).
 */
export interface StorageHarness {
  open(): Promise<Storage<ContractLayout>>;
  cleanup(): Promise<void>;
}

export interface StorageContractOptions {
  /** Runs of the model-based property test. @default 50 */
  readonly propertyRuns?: number;
}

type Layout = ContractLayout;
type Op = WriteOp<Layout>;
type StoreKey = keyof Layout['stores'] & string;
type JournalKey = keyof Layout['journals'] & string;

const STORES = CONTRACT_NAMES.stores;
const JOURNALS = CONTRACT_NAMES.journals;

/** Everything a storage holds, read through its public methods: the basis of "nothing changed" checks. */
export interface StorageDump {
  stores: Record<string, { records: StoredRecord<unknown>[]; count: number }>;
  journals: Record<string, { entries: JournalEntry<unknown>[]; lastSeq: number }>;
}

/** Reads every store and journal of the contract layout. */
export async function dumpStorage(storage: Storage<Layout>): Promise<StorageDump> {
  const dump: StorageDump = { stores: {}, journals: {} };
  for (const store of STORES)
    dump.stores[store] = { records: await storage.list(store), count: await storage.count(store) };
  for (const journal of JOURNALS)
    dump.journals[journal] = { entries: await storage.read(journal), lastSeq: await storage.lastSeq(journal) };
  return dump;
}

/** An operation the types would refuse (unknown names, bad keys, unserialisable values), for error tests. */
function raw(op: object): Op {
  return op as unknown as Op;
}

function put(store: StoreKey, key: string, value: JsonValue, expectRev?: number | null): Op {
  return expectRev === undefined
    ? { op: 'put', store, key, value }
    : { op: 'put', store, key, value, expect: expectRev };
}

function del(store: StoreKey, key: string, expectRev?: number | null): Op {
  return expectRev === undefined ? { op: 'delete', store, key } : { op: 'delete', store, key, expect: expectRev };
}

function append(journal: JournalKey, value: JsonValue): Op {
  return { op: 'append', journal, value };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name} [${String((error as { code?: unknown }).code)}]: ${error.message}`;
  return String(error);
}

/**
 * Asserts that `call` returns a promise (it must not throw synchronously) that rejects with a
 * StorageError of `code`; returns the error.
 */
async function rejectsWith(
  call: () => Promise<unknown>,
  code: StorageErrorCode,
): Promise<Error & { code: string; messageZh: string }> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new Error(
      `expected a rejected promise with ${code}, but the call threw synchronously: ${describeError(error)}`,
    );
  }
  let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await promise };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok)
    throw new Error(`expected a rejection with ${code}, but it resolved with ${JSON.stringify(outcome.value)}`);
  const { error } = outcome;
  expect(isYibaoGuardError(error, code), `expected StorageError ${code}, got ${describeError(error)}`).toBe(true);
  expect((error as Error).name).toBe('StorageError');
  return error as Error & { code: string; messageZh: string };
}

/** Values that JSON keeps exactly, each a separate case of the fidelity test. */
const FAITHFUL_VALUES: readonly (readonly [string, JsonValue])[] = [
  [
    'nested objects and arrays',
    {
      sale: {
        lines: [
          { code: 'XA01', qty: 2, price: 1250 },
          { code: 'XB02', qty: 1, price: 99 },
        ],
        paid: true,
      },
      tags: [[1, [2, [3]]]],
    },
  ],
  ['Chinese and other unicode text', { name: '阿莫西林胶囊', unit: '盒', note: 'Ünïcødé ✓ 😀 𠮷', mixed: '医保 ok' }],
  ['empty strings and empty containers', { empty: '', list: [], object: {}, nested: { '': '' } }],
  [
    'zero, negative and fractional numbers',
    {
      zero: 0,
      negative: -42,
      fraction: -0.5,
      small: 1e-7,
      big: 1e21,
      max: Number.MAX_SAFE_INTEGER,
      min: Number.MIN_SAFE_INTEGER,
      tenth: 0.1,
    },
  ],
  ['null inside arrays and objects', { list: [null, 1, null, 'x', null], field: null }],
  ['booleans', { yes: true, no: false, list: [false, true] }],
  [
    'escapes in strings',
    {
      quote: '"',
      backslash: '\\',
      newline: 'a\nb\r\tc',
      nul: 'a\u0000b',
      html: '</script>',
      sql: "'; DROP TABLE sales; --",
    },
  ],
  ['a lone surrogate inside a string value', { text: 'a\uD800b' }],
  ['a bare string', '追溯码 81234567890123456789'],
  ['a bare number', 3.25],
  ['zero', 0],
  ['a bare null', null],
  ['a bare false', false],
  ['an empty array', []],
  ['an empty object', {}],
  ['an array of mixed values', [1, 'two', null, true, { three: [3] }]],
  [
    'object keys that look special',
    JSON.parse('{"__proto__":{"x":1},"constructor":"c","toString":1,"hasOwnProperty":null}') as JsonValue,
  ],
];

/** Values the suite expects to be refused with STORAGE_INVALID_VALUE. */
function unserialisableValues(): (readonly [string, unknown])[] {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const arrayCycle: unknown[] = [1];
  arrayCycle.push({ back: arrayCycle });
  return [
    ['a BigInt', 10n],
    ['a BigInt deep inside', { lines: [{ qty: 1 }, { qty: 2n }] }],
    ['NaN', Number.NaN],
    ['NaN deep inside', { lines: [{ price: 1 }, { price: [Number.NaN] }] }],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity inside an array', [1, Number.NEGATIVE_INFINITY]],
    ['a cycle', cycle],
    ['a cycle through an array', arrayCycle],
    ['undefined as the whole value', undefined],
    [
      'a toJSON that throws',
      {
        toJSON: () => {
          throw new Error('nope');
        },
      },
    ],
    ['a toJSON that returns NaN', { toJSON: () => Number.NaN }],
    ['a function as the whole value', () => 1],
  ];
}

/**
 * Registers the contract suite for one adapter. `harness()` is called once per test and must give fresh,
 * empty data; the suite closes every storage it opened and then calls `cleanup()` after each test.
 */
export function storageContract(
  name: string,
  harness: () => Promise<StorageHarness>,
  options: StorageContractOptions = {},
): void {
  const propertyRuns = options.propertyRuns ?? 50;

  describe(`storage contract: ${name}`, () => {
    interface Opened {
      readonly harness: StorageHarness;
      readonly handles: Storage<Layout>[];
    }
    let live: Opened[] = [];

    async function release(entry: Opened): Promise<void> {
      live = live.filter((other) => other !== entry);
      try {
        for (const handle of entry.handles) await handle.close();
      } finally {
        await entry.harness.cleanup();
      }
    }

    /** Fresh empty data: its first storage, a way to reopen it, and a way to release it early. */
    async function fresh(): Promise<{
      storage: Storage<Layout>;
      open: () => Promise<Storage<Layout>>;
      release: () => Promise<void>;
    }> {
      const entry: Opened = { harness: await harness(), handles: [] };
      live.push(entry);
      const open = async (): Promise<Storage<Layout>> => {
        const handle = await entry.harness.open();
        entry.handles.push(handle);
        return handle;
      };
      return { storage: await open(), open, release: () => release(entry) };
    }

    afterEach(async () => {
      const entries = live;
      live = [];
      for (const entry of entries) await release(entry);
    });

    describe('records', () => {
      it('starts empty', async () => {
        const { storage } = await fresh();
        for (const store of STORES) {
          expect(await storage.get(store, 'a')).toBeUndefined();
          expect(await storage.list(store)).toEqual([]);
          expect(await storage.count(store)).toBe(0);
        }
        for (const journal of JOURNALS) {
          expect(await storage.read(journal)).toEqual([]);
          expect(await storage.lastSeq(journal)).toBe(0);
        }
      });

      it('puts and gets a record with revision 1, then +1 on each put', async () => {
        const { storage } = await fresh();
        expect(await storage.write([put('sales', 'S-1', { total: 100 })])).toEqual([{ op: 'put', rev: 1 }]);
        expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: { total: 100 }, rev: 1 });
        expect(await storage.write([put('sales', 'S-1', { total: 200 })])).toEqual([{ op: 'put', rev: 2 }]);
        expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: { total: 200 }, rev: 2 });
        expect(await storage.write([put('sales', 'S-1', { total: 200 })])).toEqual([{ op: 'put', rev: 3 }]);
        expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: { total: 200 }, rev: 3 });
        expect(await storage.count('sales')).toBe(1);
        // The same key in another store is another record.
        expect(await storage.get('outbox', 'S-1')).toBeUndefined();
        expect(await storage.write([put('outbox', 'S-1', 'queued')])).toEqual([{ op: 'put', rev: 1 }]);
        expect(await storage.get('outbox', 'S-1')).toEqual({ key: 'S-1', value: 'queued', rev: 1 });
        expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: { total: 200 }, rev: 3 });
        expect(await storage.get('sales', 'S-2')).toBeUndefined();
      });

      it('deletes a record and says whether it existed', async () => {
        const { storage } = await fresh();
        await storage.write([put('sales', 'a', 1), put('sales', 'b', 2)]);
        expect(await storage.write([del('sales', 'a')])).toEqual([{ op: 'delete', existed: true }]);
        expect(await storage.get('sales', 'a')).toBeUndefined();
        expect(await storage.count('sales')).toBe(1);
        expect(await storage.list('sales')).toEqual([{ key: 'b', value: 2, rev: 1 }]);
        expect(await storage.write([del('sales', 'a')])).toEqual([{ op: 'delete', existed: false }]);
        expect(await storage.write([del('sales', 'never')])).toEqual([{ op: 'delete', existed: false }]);
        expect(await storage.write([del('meta', 'b')])).toEqual([{ op: 'delete', existed: false }]);
        expect(await storage.get('sales', 'b')).toEqual({ key: 'b', value: 2, rev: 1 });
      });

      it('starts again at revision 1 when a deleted key is put again', async () => {
        const { storage } = await fresh();
        await storage.write([put('meta', 'k', 'one')]);
        await storage.write([put('meta', 'k', 'two')]);
        await storage.write([del('meta', 'k', 2)]);
        expect(await storage.write([put('meta', 'k', 'three', null)])).toEqual([{ op: 'put', rev: 1 }]);
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 'three', rev: 1 });
      });

      it('copies values in and out: changing a written or returned value changes nothing stored', async () => {
        const { storage } = await fresh();
        const value = { name: '阿莫西林', lines: [{ qty: 1 }] };
        await storage.write([put('sales', 'k', value), append('audit', value)]);
        value.name = 'changed';
        (value.lines[0] as { qty: number }).qty = 99;
        value.lines.push({ qty: 3 });
        const expected = { name: '阿莫西林', lines: [{ qty: 1 }] };

        const got = await storage.get('sales', 'k');
        expect(got?.value).toEqual(expected);
        const gotValue = got?.value as { name: string; lines: { qty: number }[] };
        gotValue.name = 'mutated';
        (gotValue.lines[0] as { qty: number }).qty = 5;
        const again = await storage.get('sales', 'k');
        expect(again?.value).toEqual(expected);
        expect(again?.value).not.toBe(got?.value);

        const listed = await storage.list('sales');
        (listed[0]?.value as { name: string }).name = 'mutated';
        listed.pop();
        expect(await storage.list('sales')).toEqual([{ key: 'k', value: expected, rev: 1 }]);

        const entries = await storage.read('audit');
        (entries[0]?.value as { lines: unknown[] }).lines.length = 0;
        entries.push({ seq: 2, value: 'extra' });
        expect(await storage.read('audit')).toEqual([{ seq: 1, value: expected }]);
        expect(await storage.lastSeq('audit')).toBe(1);
      });

      for (const [label, value] of FAITHFUL_VALUES) {
        it(`keeps JSON values exactly: ${label}`, async () => {
          const { storage } = await fresh();
          await storage.write([put('sales', 'v', value), append('events', value)]);
          const record = await storage.get('sales', 'v');
          expect(record?.value).toStrictEqual(value);
          expect((await storage.list('sales'))[0]?.value).toStrictEqual(value);
          expect((await storage.read('events'))[0]?.value).toStrictEqual(value);
          if (label === 'object keys that look special') {
            const object = record?.value as object;
            expect(Object.hasOwn(object, '__proto__')).toBe(true);
            expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
            expect(({} as { x?: unknown }).x).toBeUndefined();
          }
        });
      }

      it('follows JSON for what JSON drops or converts: undefined properties, undefined in arrays, toJSON', async () => {
        const { storage } = await fresh();
        const value = {
          kept: 1,
          dropped: undefined,
          fn: () => 1,
          list: [1, undefined, 3],
          when: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
        };
        await storage.write([raw({ op: 'put', store: 'sales', key: 'k', value })]);
        expect((await storage.get('sales', 'k'))?.value).toStrictEqual({
          kept: 1,
          list: [1, null, 3],
          when: '2025-01-02T03:04:05.000Z',
        });
      });
    });

    describe('keys and list', () => {
      it('lists in ascending code-unit order, not by length or locale', async () => {
        const { storage } = await fresh();
        const keys = ['b', 'a0', '10', '9', 'a', '中文', '中', 'ä', 'Z', 'aa', 'a-b', '100', 'B'];
        await storage.write(keys.map((key, index) => put('sales', key, index)));
        const expected = ['10', '100', '9', 'B', 'Z', 'a', 'a-b', 'a0', 'aa', 'b', 'ä', '中', '中文'];
        expect([...keys].sort()).toEqual(expected);
        const listed = await storage.list('sales');
        expect(listed.map((record) => record.key)).toEqual(expected);
        expect(listed.find((record) => record.key === '中文')).toEqual({
          key: '中文',
          value: keys.indexOf('中文'),
          rev: 1,
        });
        // Order does not depend on insertion order.
        await storage.write([del('sales', 'a'), put('sales', 'a', 'again'), put('sales', '0', 'zero')]);
        expect((await storage.list('sales')).map((record) => record.key)).toEqual(['0', ...expected]);
      });

      it('filters by prefix, starts strictly after `after`, and stops at `limit`', async () => {
        const { storage } = await fresh();
        // '中' is U+4E2D and '丰' U+4E30: '中文' sorts between them.
        const keys = ['sale:1', 'sale:10', 'sale:2', 'sal', 'sale', 'salt', 't', 'r', '中', '中文', '丰'];
        await storage.write(keys.map((key) => put('sales', key, key.length)));
        await storage.write([put('sales', 'sale:2', 'second')]);
        const keysOf = async (options?: Parameters<Storage<Layout>['list']>[1]) =>
          (await storage.list('sales', options)).map((record) => record.key);

        expect(await keysOf({ prefix: 'sale:' })).toEqual(['sale:1', 'sale:10', 'sale:2']);
        expect(await keysOf({ prefix: 'sale' })).toEqual(['sale', 'sale:1', 'sale:10', 'sale:2']);
        expect(await keysOf({ prefix: 'sa' })).toEqual(['sal', 'sale', 'sale:1', 'sale:10', 'sale:2', 'salt']);
        expect(await keysOf({ prefix: '中' })).toEqual(['中', '中文']);
        expect(await keysOf({ prefix: 'zzz' })).toEqual([]);
        expect(await keysOf({ prefix: '' })).toHaveLength(keys.length);
        expect(await keysOf({ prefix: 'sale:2' })).toEqual(['sale:2']);
        expect((await storage.list('sales', { prefix: 'sale:2' }))[0]).toEqual({
          key: 'sale:2',
          value: 'second',
          rev: 2,
        });

        expect(await keysOf({ after: 'sale:1' })).toEqual(['sale:10', 'sale:2', 'salt', 't', '中', '中文', '丰']);
        expect(await keysOf({ after: 'sale:15' })).toEqual(['sale:2', 'salt', 't', '中', '中文', '丰']);
        expect(await keysOf({ after: '中' })).toEqual(['中文', '丰']);
        expect(await keysOf({ after: '丰' })).toEqual([]);
        expect(await keysOf({ after: '' })).toHaveLength(keys.length);
        expect(await keysOf({ after: 'a' })).toEqual([
          'r',
          'sal',
          'sale',
          'sale:1',
          'sale:10',
          'sale:2',
          'salt',
          't',
          '中',
          '中文',
          '丰',
        ]);

        expect(await keysOf({ limit: 2 })).toEqual(['r', 'sal']);
        expect(await keysOf({ limit: 0 })).toEqual([]);
        expect(await keysOf({ limit: 1000 })).toHaveLength(keys.length);

        expect(await keysOf({ prefix: 'sale', after: 'sale:1', limit: 2 })).toEqual(['sale:10', 'sale:2']);
        expect(await keysOf({ prefix: 'sale:', after: 'r' })).toEqual(['sale:1', 'sale:10', 'sale:2']);
        expect(await keysOf({ prefix: 'sale:', after: 'salt' })).toEqual([]);
        expect(await keysOf({ prefix: 'sale:', after: 'sale:2' })).toEqual([]);
        expect(await keysOf({ prefix: 'sale:', limit: 0 })).toEqual([]);
      });

      it('pages through a store with after + limit, visiting every key exactly once', async () => {
        const { storage } = await fresh();
        const keys = [
          ...Array.from({ length: 50 }, (_, index) => `k${index}`),
          ...['中', '中文', '丰', 'a', 'a0', '10', '9', 'K', 'k'],
        ];
        await storage.write(keys.map((key) => put('outbox', key, { key })));
        const sorted = [...keys].sort();
        for (const pageSize of [1, 4, 7, keys.length, keys.length + 1]) {
          const seen: string[] = [];
          let after: string | undefined;
          for (let pages = 0; pages <= keys.length + 1; pages++) {
            const page = await storage.list(
              'outbox',
              after === undefined ? { limit: pageSize } : { after, limit: pageSize },
            );
            expect(page.length).toBeLessThanOrEqual(pageSize);
            for (const record of page) expect(record.value).toEqual({ key: record.key });
            seen.push(...page.map((record) => record.key));
            if (page.length < pageSize) break;
            after = page[page.length - 1]?.key;
          }
          expect(seen, `page size ${pageSize}`).toEqual(sorted);
        }
        // The same within a prefix.
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await storage.list(
            'outbox',
            after === undefined ? { prefix: 'k', limit: 3 } : { prefix: 'k', after, limit: 3 },
          );
          seen.push(...page.map((record) => record.key));
          if (page.length < 3) break;
          after = page[page.length - 1]?.key;
        }
        expect(seen).toEqual(sorted.filter((key) => key.startsWith('k')));
      });

      it('accepts keys with any characters, up to 512 code units', async () => {
        const { storage } = await fresh();
        const keys = [
          ' ',
          'a b',
          'a/b',
          '.',
          '..',
          '%',
          '_',
          "'",
          '"',
          '\\',
          'a\nb',
          'x'.repeat(512),
          '中'.repeat(512),
          'K',
        ];
        await storage.write(keys.map((key, index) => put('sales', key, index)));
        for (const [index, key] of keys.entries())
          expect(await storage.get('sales', key)).toEqual({ key, value: index, rev: 1 });
        expect((await storage.list('sales')).map((record) => record.key)).toEqual([...keys].sort());
        expect(await storage.write(keys.map((key) => del('sales', key)))).toEqual(
          keys.map(() => ({ op: 'delete', existed: true })),
        );
        expect(await storage.count('sales')).toBe(0);
      });

      it('refuses empty, over-long, non-string and ill-formed keys with STORAGE_INVALID_VALUE', async () => {
        const { storage } = await fresh();
        await storage.write([put('sales', 'ok', 1)]);
        const before = await dumpStorage(storage);
        const badKeys: unknown[] = ['', 'x'.repeat(513), '中'.repeat(513), 42, null, undefined, 'a\uD800', '\uDC00b'];
        for (const key of badKeys) {
          await rejectsWith(
            () => storage.write([raw({ op: 'put', store: 'sales', key, value: 1 })]),
            'STORAGE_INVALID_VALUE',
          );
          await rejectsWith(() => storage.write([raw({ op: 'delete', store: 'sales', key })]), 'STORAGE_INVALID_VALUE');
          await rejectsWith(() => storage.get('sales', key as string), 'STORAGE_INVALID_VALUE');
        }
        expect(await dumpStorage(storage)).toEqual(before);
      });

      it('refuses malformed list and read options with STORAGE_INVALID_VALUE', async () => {
        const { storage } = await fresh();
        for (const options of [
          { limit: -1 },
          { limit: 1.5 },
          { limit: Number.NaN },
          { limit: '2' },
          { prefix: 3 },
          { after: 4 },
        ]) {
          await rejectsWith(() => storage.list('sales', options as never), 'STORAGE_INVALID_VALUE');
        }
        for (const options of [
          { limit: -1 },
          { limit: 0.5 },
          { after: -1 },
          { after: 1.5 },
          { after: '1' },
          { after: Number.NaN },
        ]) {
          await rejectsWith(() => storage.read('audit', options as never), 'STORAGE_INVALID_VALUE');
        }
      });
    });

    describe('journals', () => {
      it('numbers entries 1, 2, 3, … with no gaps, and reads them back unchanged', async () => {
        const { storage } = await fresh();
        for (let index = 1; index <= 10; index++) {
          expect(await storage.write([append('audit', { event: `e${index}`, index })])).toEqual([
            { op: 'append', seq: index },
          ]);
          expect(await storage.lastSeq('audit')).toBe(index);
        }
        const all = await storage.read('audit');
        expect(all).toEqual(
          Array.from({ length: 10 }, (_, index) => ({
            seq: index + 1,
            value: { event: `e${index + 1}`, index: index + 1 },
          })),
        );
        // Later appends change no earlier entry.
        await storage.write([append('audit', 'later'), append('events', 'other')]);
        expect((await storage.read('audit')).slice(0, 10)).toEqual(all);
        expect(await storage.lastSeq('audit')).toBe(11);
      });

      it('numbers each journal on its own, also within one batch', async () => {
        const { storage } = await fresh();
        const receipts = await storage.write([
          append('audit', 'a1'),
          append('events', 'e1'),
          append('audit', 'a2'),
          append('audit', 'a3'),
          append('events', 'e2'),
        ]);
        expect(receipts).toEqual([
          { op: 'append', seq: 1 },
          { op: 'append', seq: 1 },
          { op: 'append', seq: 2 },
          { op: 'append', seq: 3 },
          { op: 'append', seq: 2 },
        ]);
        expect(await storage.read('audit')).toEqual([
          { seq: 1, value: 'a1' },
          { seq: 2, value: 'a2' },
          { seq: 3, value: 'a3' },
        ]);
        expect(await storage.read('events')).toEqual([
          { seq: 1, value: 'e1' },
          { seq: 2, value: 'e2' },
        ]);
        expect(await storage.lastSeq('audit')).toBe(3);
        expect(await storage.lastSeq('events')).toBe(2);
      });

      it('reads strictly after `after` and at most `limit` entries', async () => {
        const { storage } = await fresh();
        await storage.write(Array.from({ length: 10 }, (_, index) => append('events', index + 1)));
        const seqs = async (options?: Parameters<Storage<Layout>['read']>[1]) =>
          (await storage.read('events', options)).map((entry) => entry.seq);
        expect(await seqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await seqs({ after: 0 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await seqs({ after: 3 })).toEqual([4, 5, 6, 7, 8, 9, 10]);
        expect(await seqs({ after: 3, limit: 2 })).toEqual([4, 5]);
        expect(await seqs({ limit: 3 })).toEqual([1, 2, 3]);
        expect(await seqs({ limit: 0 })).toEqual([]);
        expect(await seqs({ after: 9 })).toEqual([10]);
        expect(await seqs({ after: 10 })).toEqual([]);
        expect(await seqs({ after: 50, limit: 5 })).toEqual([]);
        expect(await seqs({ after: 8, limit: 50 })).toEqual([9, 10]);
        for (const entry of await storage.read('events', { after: 4, limit: 3 })) expect(entry.value).toBe(entry.seq);
        // Paging visits every entry once.
        const paged: number[] = [];
        for (let after = 0; ;) {
          const page = await storage.read('events', { after, limit: 3 });
          if (page.length === 0) break;
          paged.push(...page.map((entry) => entry.seq));
          after = page[page.length - 1]?.seq ?? after;
        }
        expect(paged).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });
    });

    describe('atomic batches', () => {
      /** Some data, with a record at revision 2, a journal with entries and one without. */
      async function seeded(): Promise<Storage<Layout>> {
        const { storage } = await fresh();
        await storage.write([
          put('sales', 'a', { n: 1 }),
          put('sales', 'b', { n: 1 }),
          put('outbox', 'o1', 'queued'),
          append('audit', 'x1'),
          append('audit', 'x2'),
        ]);
        await storage.write([put('sales', 'a', { n: 2 }), append('audit', 'x3')]);
        return storage;
      }

      /** After a refused batch: the next writes continue from the state before it. */
      async function continuesUnchanged(storage: Storage<Layout>): Promise<void> {
        expect(
          await storage.write([
            append('audit', 'next'),
            append('events', 'first'),
            put('sales', 'a', { n: 3 }),
            put('sales', 'c', 'new', null),
          ]),
        ).toEqual([
          { op: 'append', seq: 4 },
          { op: 'append', seq: 1 },
          { op: 'put', rev: 3 },
          { op: 'put', rev: 1 },
        ]);
        expect((await storage.read('audit')).map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
      }

      /** Five operations touching existing and new records and both journals, `bad` inserted at `at`. */
      function batchWith(bad: Op, at: number): Op[] {
        const ops: Op[] = [
          put('sales', 'a', { n: 99 }),
          append('audit', 'in batch'),
          del('sales', 'b'),
          put('meta', 'm', 1),
          append('events', 'in batch'),
        ];
        ops.splice(at, 0, bad);
        return ops;
      }

      for (const [label, value] of unserialisableValues()) {
        it(`refuses the whole batch when its 3rd value is ${label}: STORAGE_INVALID_VALUE, nothing written`, async () => {
          const storage = await seeded();
          const before = await dumpStorage(storage);
          await rejectsWith(
            () => storage.write(batchWith(raw({ op: 'put', store: 'sales', key: 'c', value }), 2)),
            'STORAGE_INVALID_VALUE',
          );
          expect(await dumpStorage(storage)).toEqual(before);
          await rejectsWith(
            () => storage.write(batchWith(raw({ op: 'append', journal: 'audit', value }), 2)),
            'STORAGE_INVALID_VALUE',
          );
          expect(await dumpStorage(storage)).toEqual(before);
          await continuesUnchanged(storage);
        });
      }

      it('refuses a batch with a bad value at any position, nothing written', async () => {
        const storage = await seeded();
        const before = await dumpStorage(storage);
        for (let at = 0; at <= 5; at++) {
          await rejectsWith(
            () => storage.write(batchWith(raw({ op: 'put', store: 'outbox', key: 'o1', value: { n: 1n } }), at)),
            'STORAGE_INVALID_VALUE',
          );
          await rejectsWith(
            () => storage.write(batchWith(raw({ op: 'append', journal: 'events', value: [Number.NaN] }), at)),
            'STORAGE_INVALID_VALUE',
          );
          expect(await dumpStorage(storage), `bad value at ${at}`).toEqual(before);
        }
        await continuesUnchanged(storage);
      });

      it('refuses a batch with a failing expect at any position: STORAGE_CONFLICT, nothing written', async () => {
        const storage = await seeded();
        const before = await dumpStorage(storage);
        for (let at = 0; at <= 5; at++) {
          await rejectsWith(() => storage.write(batchWith(put('sales', 'a', 'stale', 1), at)), 'STORAGE_CONFLICT');
          await rejectsWith(() => storage.write(batchWith(del('outbox', 'o1', null), at)), 'STORAGE_CONFLICT');
          expect(await dumpStorage(storage), `conflict at ${at}`).toEqual(before);
        }
        await continuesUnchanged(storage);
      });

      it('refuses a batch with an unknown store or journal in the middle: STORAGE_UNKNOWN_NAME, nothing written', async () => {
        const storage = await seeded();
        const before = await dumpStorage(storage);
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'nope', key: 'k', value: 1 }), 2)),
          'STORAGE_UNKNOWN_NAME',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'delete', store: 'nope', key: 'k' }), 2)),
          'STORAGE_UNKNOWN_NAME',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'append', journal: 'nope', value: 1 }), 2)),
          'STORAGE_UNKNOWN_NAME',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'append', journal: 'sales', value: 1 }), 2)),
          'STORAGE_UNKNOWN_NAME',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'audit', key: 'k', value: 1 }), 2)),
          'STORAGE_UNKNOWN_NAME',
        );
        expect(await dumpStorage(storage)).toEqual(before);
        await continuesUnchanged(storage);
      });

      it('refuses a batch with a bad key or a malformed operation in the middle, nothing written', async () => {
        const storage = await seeded();
        const before = await dumpStorage(storage);
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'sales', key: '', value: 1 }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'delete', store: 'sales', key: 'y'.repeat(600) }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'merge', store: 'sales', key: 'a', value: 1 }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'sales', key: 'a', value: 1, expect: 0 }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'sales', key: 'a', value: 1, expect: 1.5 }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        await rejectsWith(
          () => storage.write(batchWith(raw({ op: 'put', store: 'sales', key: 'a', value: 1, expect: '2' }), 2)),
          'STORAGE_INVALID_VALUE',
        );
        expect(await dumpStorage(storage)).toEqual(before);
        await continuesUnchanged(storage);
      });

      it('applies a batch in order: later operations see earlier ones', async () => {
        const { storage } = await fresh();
        expect(await storage.write([put('sales', 'k', 1), put('sales', 'k', 2)])).toEqual([
          { op: 'put', rev: 1 },
          { op: 'put', rev: 2 },
        ]);
        expect(await storage.get('sales', 'k')).toEqual({ key: 'k', value: 2, rev: 2 });
        expect(await storage.write([put('sales', 'gone', 1), del('sales', 'gone')])).toEqual([
          { op: 'put', rev: 1 },
          { op: 'delete', existed: true },
        ]);
        expect(await storage.get('sales', 'gone')).toBeUndefined();
        expect(await storage.write([del('sales', 'k'), put('sales', 'k', 'fresh')])).toEqual([
          { op: 'delete', existed: true },
          { op: 'put', rev: 1 },
        ]);
        expect(await storage.get('sales', 'k')).toEqual({ key: 'k', value: 'fresh', rev: 1 });
        expect(await storage.write([del('sales', 'missing'), put('sales', 'missing', 'now')])).toEqual([
          { op: 'delete', existed: false },
          { op: 'put', rev: 1 },
        ]);
        expect(await storage.count('sales')).toBe(2);
      });

      it('accepts an empty batch', async () => {
        const { storage } = await fresh();
        expect(await storage.write([])).toEqual([]);
        expect(await dumpStorage(storage)).toEqual(await dumpStorage((await fresh()).storage));
      });
    });

    describe('conditional writes', () => {
      it('put with expect: null only creates; with a revision only replaces that revision', async () => {
        const { storage } = await fresh();
        expect(await storage.write([put('meta', 'k', 'first', null)])).toEqual([{ op: 'put', rev: 1 }]);
        await rejectsWith(() => storage.write([put('meta', 'k', 'again', null)]), 'STORAGE_CONFLICT');
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 'first', rev: 1 });
        expect(await storage.write([put('meta', 'k', 'second', 1)])).toEqual([{ op: 'put', rev: 2 }]);
        await rejectsWith(() => storage.write([put('meta', 'k', 'stale', 1)]), 'STORAGE_CONFLICT');
        await rejectsWith(() => storage.write([put('meta', 'k', 'future', 3)]), 'STORAGE_CONFLICT');
        await rejectsWith(() => storage.write([put('meta', 'missing', 'x', 1)]), 'STORAGE_CONFLICT');
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 'second', rev: 2 });
        expect(await storage.get('meta', 'missing')).toBeUndefined();
        expect(await storage.write([put('meta', 'k', 'third', 2)])).toEqual([{ op: 'put', rev: 3 }]);
      });

      it('delete with expect only deletes that revision; expect: null on delete means "must not exist"', async () => {
        const { storage } = await fresh();
        await storage.write([put('meta', 'k', 'v'), put('meta', 'k', 'v2')]);
        await rejectsWith(() => storage.write([del('meta', 'k', 1)]), 'STORAGE_CONFLICT');
        await rejectsWith(() => storage.write([del('meta', 'k', null)]), 'STORAGE_CONFLICT');
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 'v2', rev: 2 });
        expect(await storage.write([del('meta', 'k', 2)])).toEqual([{ op: 'delete', existed: true }]);
        expect(await storage.get('meta', 'k')).toBeUndefined();
        await rejectsWith(() => storage.write([del('meta', 'k', 2)]), 'STORAGE_CONFLICT');
        expect(await storage.write([del('meta', 'k', null)])).toEqual([{ op: 'delete', existed: false }]);
      });

      it("checks expect against the batch's own earlier operations", async () => {
        const { storage } = await fresh();
        expect(
          await storage.write([
            put('meta', 'k', 1, null),
            put('meta', 'k', 2, 1),
            del('meta', 'k', 2),
            put('meta', 'k', 3, null),
          ]),
        ).toEqual([
          { op: 'put', rev: 1 },
          { op: 'put', rev: 2 },
          { op: 'delete', existed: true },
          { op: 'put', rev: 1 },
        ]);
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 3, rev: 1 });
        await rejectsWith(
          () => storage.write([put('meta', 'n', 1, null), put('meta', 'n', 2, null)]),
          'STORAGE_CONFLICT',
        );
        await rejectsWith(() => storage.write([put('meta', 'k', 4, 1), put('meta', 'k', 5, 1)]), 'STORAGE_CONFLICT');
        expect(await storage.get('meta', 'n')).toBeUndefined();
        expect(await storage.get('meta', 'k')).toEqual({ key: 'k', value: 3, rev: 1 });
      });

      it('lets exactly one of many racing compare-and-set writers take a lease', async () => {
        const { storage } = await fresh();
        await storage.write([put('meta', 'lease', { holder: null })]);
        const seen = await Promise.all(Array.from({ length: 12 }, () => storage.get('meta', 'lease')));
        const results = await Promise.allSettled(
          seen.map((record, index) =>
            storage.write([
              put('meta', 'lease', { holder: `till-${index}` }, record?.rev ?? null),
              append('audit', { took: index }),
            ]),
          ),
        );
        const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected')
            expect(isYibaoGuardError(result.reason, 'STORAGE_CONFLICT'), describeError(result.reason)).toBe(true);
        }
        expect(await storage.get('meta', 'lease')).toEqual({
          key: 'lease',
          value: { holder: `till-${winners[0]}` },
          rev: 2,
        });
        expect(await storage.read('audit')).toEqual([{ seq: 1, value: { took: winners[0] } }]);

        // Creating a lease that does not exist yet: expect null, one winner.
        const created = await Promise.allSettled(
          Array.from({ length: 12 }, (_, index) => storage.write([put('meta', 'new-lease', index, null)])),
        );
        expect(created.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect((await storage.get('meta', 'new-lease'))?.rev).toBe(1);
      });

      it('keeps a counter exact under concurrent read-modify-write with retries', async () => {
        const { storage } = await fresh();
        await storage.write([put('meta', 'counter', 0)]);
        const workers = 8;
        const increments = 5;
        const worker = async (id: number): Promise<number> => {
          let conflicts = 0;
          for (let done = 0; done < increments;) {
            const current = await storage.get('meta', 'counter');
            try {
              await storage.write([
                put('meta', 'counter', (current?.value as number) + 1, current?.rev ?? null),
                append('events', { worker: id, done }),
              ]);
              done++;
            } catch (error) {
              if (!isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
              conflicts++;
            }
          }
          return conflicts;
        };
        await Promise.all(Array.from({ length: workers }, (_, id) => worker(id)));
        expect(await storage.get('meta', 'counter')).toEqual({
          key: 'counter',
          value: workers * increments,
          rev: workers * increments + 1,
        });
        expect(await storage.lastSeq('events')).toBe(workers * increments);
      });
    });

    describe('ordering and concurrency', () => {
      it('reads back many sequential appends in order', async () => {
        const { storage } = await fresh();
        for (let index = 0; index < 200; index++) await storage.write([append('events', index)]);
        const entries = await storage.read('events');
        expect(entries).toHaveLength(200);
        entries.forEach((entry, index) => expect(entry).toEqual({ seq: index + 1, value: index }));
      });

      it('applies calls in the order they were made, even when not awaited one by one', async () => {
        const { storage } = await fresh();
        const writes = Array.from({ length: 50 }, (_, index) =>
          storage.write([put('sales', 'k', index), append('events', index)]),
        );
        const receipts = await Promise.all(writes);
        receipts.forEach((receipt, index) =>
          expect(receipt).toEqual([
            { op: 'put', rev: index + 1 },
            { op: 'append', seq: index + 1 },
          ]),
        );
        expect(await storage.get('sales', 'k')).toEqual({ key: 'k', value: 49, rev: 50 });
        expect((await storage.read('events')).map((entry) => entry.value)).toEqual(
          Array.from({ length: 50 }, (_, index) => index),
        );
      });

      it('lets a read started after a write see it, and a read started before not', async () => {
        const { storage } = await fresh();
        const before = storage.get('sales', 'x');
        const write = storage.write([put('sales', 'x', 'written'), append('audit', 'written')]);
        const get = storage.get('sales', 'x');
        const list = storage.list('sales');
        const count = storage.count('sales');
        const read = storage.read('audit');
        const last = storage.lastSeq('audit');
        expect(await before).toBeUndefined();
        await write;
        expect(await get).toEqual({ key: 'x', value: 'written', rev: 1 });
        expect(await list).toEqual([{ key: 'x', value: 'written', rev: 1 }]);
        expect(await count).toBe(1);
        expect(await read).toEqual([{ seq: 1, value: 'written' }]);
        expect(await last).toBe(1);
      });

      it('never interleaves concurrent batches, and reads never see half a batch', async () => {
        const { storage } = await fresh();
        const writers = 20;
        const perWriter = 25;
        const observed: Promise<number>[] = [];
        const writes: Promise<WriteReceipt[]>[] = [];
        for (let writer = 0; writer < writers; writer++) {
          const ops = Array.from({ length: perWriter }, (_, index) => append('events', { writer, index }));
          ops.splice(12, 0, put('sales', `w${writer}`, writer));
          writes.push(storage.write(ops));
          observed.push(storage.lastSeq('events'));
        }
        const receipts = await Promise.all(writes);
        for (const seen of await Promise.all(observed)) expect(seen % perWriter).toBe(0);

        const entries = await storage.read('events');
        expect(entries).toHaveLength(writers * perWriter);
        expect(entries.map((entry) => entry.seq)).toEqual(
          Array.from({ length: writers * perWriter }, (_, index) => index + 1),
        );
        for (let writer = 0; writer < writers; writer++) {
          const positions = entries.flatMap((entry, position) =>
            (entry.value as { writer: number }).writer === writer ? [position] : [],
          );
          expect(positions).toHaveLength(perWriter);
          const first = positions[0] as number;
          expect(positions, `writer ${writer} contiguous`).toEqual(
            Array.from({ length: perWriter }, (_, index) => first + index),
          );
          expect(positions.map((position) => (entries[position]?.value as { index: number }).index)).toEqual(
            Array.from({ length: perWriter }, (_, index) => index),
          );
          const seqs = (receipts[writer] ?? []).flatMap((receipt) => (receipt.op === 'append' ? [receipt.seq] : []));
          expect(seqs).toEqual(positions.map((position) => position + 1));
        }
        expect(await storage.count('sales')).toBe(writers);
      });
    });

    describe('reopening', () => {
      it('keeps records, revisions and journals across close and open, and continues numbering', async () => {
        const { storage, open } = await fresh();
        await storage.write([
          put('sales', 'S-1', { total: 1 }),
          put('sales', 'S-2', { total: 2 }),
          put('meta', 'seq', 7),
          append('audit', 'one'),
          append('audit', 'two'),
        ]);
        await storage.write([
          put('sales', 'S-1', { total: 10, name: '布洛芬' }),
          del('sales', 'S-2'),
          put('outbox', '中', [null, 0, '']),
        ]);
        const before = await dumpStorage(storage);
        await storage.close();

        const reopened = await open();
        expect(await dumpStorage(reopened)).toEqual(before);
        expect(await reopened.get('sales', 'S-1')).toEqual({
          key: 'S-1',
          value: { total: 10, name: '布洛芬' },
          rev: 2,
        });
        expect(
          await reopened.write([
            append('audit', 'three'),
            put('sales', 'S-1', { total: 11 }, 2),
            put('sales', 'S-2', 'back', null),
            append('events', 'e'),
          ]),
        ).toEqual([
          { op: 'append', seq: 3 },
          { op: 'put', rev: 3 },
          { op: 'put', rev: 1 },
          { op: 'append', seq: 1 },
        ]);
        const after = await dumpStorage(reopened);
        await reopened.close();

        const third = await open();
        expect(await dumpStorage(third)).toEqual(after);
        expect(await third.write([append('audit', 'four')])).toEqual([{ op: 'append', seq: 4 }]);
        // The first handle stays closed.
        await rejectsWith(() => storage.get('sales', 'S-1'), 'STORAGE_CLOSED');
      });

      it('settles writes made just before close: applied whole, or refused with STORAGE_CLOSED and not applied', async () => {
        const { storage, open } = await fresh();
        await storage.write([append('audit', 'first')]);
        const write = storage.write([put('sales', 'late', 1), append('audit', 'late')]);
        const closing = storage.close();
        const [written] = await Promise.allSettled([write, closing]);
        const reopened = await open();
        if (written?.status === 'fulfilled') {
          expect(await reopened.get('sales', 'late')).toEqual({ key: 'late', value: 1, rev: 1 });
          expect(await reopened.lastSeq('audit')).toBe(2);
        } else {
          expect(isYibaoGuardError(written?.reason, 'STORAGE_CLOSED'), describeError(written?.reason)).toBe(true);
          expect(await reopened.get('sales', 'late')).toBeUndefined();
          expect(await reopened.lastSeq('audit')).toBe(1);
        }
      });
    });

    describe('closing and names', () => {
      it('rejects every call on a closed storage with STORAGE_CLOSED; closing twice is harmless', async () => {
        const { storage } = await fresh();
        await storage.write([put('sales', 'k', 1), append('audit', 1)]);
        await storage.close();
        await storage.close();
        await rejectsWith(() => storage.get('sales', 'k'), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.list('sales'), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.list('sales', { prefix: 'k', limit: 1 }), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.count('sales'), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.read('audit'), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.read('audit', { after: 0, limit: 1 }), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.lastSeq('audit'), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.write([put('sales', 'k', 2)]), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.write([append('audit', 2)]), 'STORAGE_CLOSED');
        await rejectsWith(() => storage.write([]), 'STORAGE_CLOSED');
        await expect(storage.close()).resolves.toBeUndefined();
      });

      it('rejects unknown store and journal names with STORAGE_UNKNOWN_NAME', async () => {
        const { storage } = await fresh();
        await storage.write([put('sales', 'k', 1), append('audit', 1)]);
        const before = await dumpStorage(storage);
        const unknownStores = ['nope', '', '__proto__', 'constructor', 'toString', 'audit', 'Sales'];
        for (const store of unknownStores) {
          const name = store as StoreKey;
          await rejectsWith(() => storage.get(name, 'k'), 'STORAGE_UNKNOWN_NAME');
          await rejectsWith(() => storage.list(name), 'STORAGE_UNKNOWN_NAME');
          await rejectsWith(() => storage.count(name), 'STORAGE_UNKNOWN_NAME');
          await rejectsWith(
            () => storage.write([raw({ op: 'put', store, key: 'k', value: 1 })]),
            'STORAGE_UNKNOWN_NAME',
          );
          await rejectsWith(() => storage.write([raw({ op: 'delete', store, key: 'k' })]), 'STORAGE_UNKNOWN_NAME');
        }
        const unknownJournals = ['nope', '', '__proto__', 'constructor', 'sales', 'Audit'];
        for (const journal of unknownJournals) {
          const name = journal as JournalKey;
          await rejectsWith(() => storage.read(name), 'STORAGE_UNKNOWN_NAME');
          await rejectsWith(() => storage.lastSeq(name), 'STORAGE_UNKNOWN_NAME');
          await rejectsWith(() => storage.write([raw({ op: 'append', journal, value: 1 })]), 'STORAGE_UNKNOWN_NAME');
        }
        expect(await dumpStorage(storage)).toEqual(before);
      });
    });

    describe('model-based property', () => {
      it(
        'behaves like a trivial reference model over random batches, refused batches and reopens',
        { timeout: 120_000 },
        async () => {
          await fc.assert(
            fc.asyncProperty(fc.array(batchArbitrary, { minLength: 1, maxLength: 12 }), async (batches) => {
              const data = await fresh();
              try {
                let storage = data.storage;
                const model = emptyModel();
                for (const [number, batch] of batches.entries()) {
                  const ops = opsOf(batch);
                  const expected = applyToModel(model, batch);
                  let outcome: { ok: true; receipts: WriteReceipt[] } | { ok: false; error: unknown };
                  try {
                    outcome = { ok: true, receipts: await storage.write(ops) };
                  } catch (error) {
                    outcome = { ok: false, error };
                  }
                  if (expected.ok) {
                    if (!outcome.ok)
                      throw new Error(
                        `batch ${number} should have been applied, but was refused: ${describeError(outcome.error)}`,
                      );
                    expect(outcome.receipts, `receipts of batch ${number}`).toEqual(expected.receipts);
                  } else {
                    if (outcome.ok)
                      throw new Error(
                        `batch ${number} should have been refused with ${[...expected.codes].join(' or ')}, but was applied`,
                      );
                    const { error } = outcome;
                    expect(
                      [...expected.codes].some((code) => isYibaoGuardError(error, code)),
                      `batch ${number}: expected ${[...expected.codes].join(' or ')}, got ${describeError(error)}`,
                    ).toBe(true);
                    expect(await dumpStorage(storage), `state after refused batch ${number}`).toEqual(dumpModel(model));
                  }
                  if (batch.reopen) {
                    await storage.close();
                    storage = await data.open();
                  }
                }
                expect(await dumpStorage(storage), 'final state').toEqual(dumpModel(model));
              } finally {
                await data.release();
              }
            }),
            { numRuns: propertyRuns },
          );
        },
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// The reference model of the property test: a Map per store and an array per journal.

interface Model {
  readonly stores: Map<string, Map<string, { value: JsonValue; rev: number }>>;
  readonly journals: Map<string, JsonValue[]>;
}

type GenOp =
  | {
      readonly op: 'put';
      readonly store: StoreKey;
      readonly key: string;
      readonly value: JsonValue;
      readonly expect: number | null | undefined;
    }
  | {
      readonly op: 'delete';
      readonly store: StoreKey;
      readonly key: string;
      readonly expect: number | null | undefined;
    }
  | { readonly op: 'append'; readonly journal: JournalKey; readonly value: JsonValue };

type PoisonKind = 'bigint' | 'nan' | 'unknown-store' | 'unknown-journal' | 'empty-key';

interface GenBatch {
  readonly ops: readonly GenOp[];
  /** A bad operation inserted at `at` (modulo the batch length + 1): the batch must be refused. */
  readonly poison: { readonly at: number; readonly kind: PoisonKind } | null;
  /** Close and reopen the storage after this batch. */
  readonly reopen: boolean;
}

const POISON_CODES: Record<PoisonKind, StorageErrorCode> = {
  bigint: 'STORAGE_INVALID_VALUE',
  nan: 'STORAGE_INVALID_VALUE',
  'unknown-store': 'STORAGE_UNKNOWN_NAME',
  'unknown-journal': 'STORAGE_UNKNOWN_NAME',
  'empty-key': 'STORAGE_INVALID_VALUE',
};

/** Poison uses a key no generated op uses, so it never interacts with the batch's expects. */
function poisonOp(kind: PoisonKind): Op {
  switch (kind) {
    case 'bigint':
      return raw({ op: 'put', store: 'sales', key: 'poison', value: { n: 1n } });
    case 'nan':
      return raw({ op: 'append', journal: 'audit', value: [1, Number.NaN] });
    case 'unknown-store':
      return raw({ op: 'delete', store: 'nope', key: 'a' });
    case 'unknown-journal':
      return raw({ op: 'append', journal: 'nope', value: 1 });
    case 'empty-key':
      return raw({ op: 'put', store: 'outbox', key: '', value: 1 });
  }
}

const expectArbitrary = fc.option(fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 3 })), {
  nil: undefined,
  freq: 2,
});
const storeArbitrary = fc.constantFrom<StoreKey>('sales', 'outbox');
const keyArbitrary = fc.constantFrom('a', 'b', 'a0', 'B', '中');
const valueArbitrary = fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }).map((value) => value as JsonValue);

const opArbitrary: fc.Arbitrary<GenOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      store: storeArbitrary,
      key: keyArbitrary,
      value: valueArbitrary,
      expect: expectArbitrary,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      store: storeArbitrary,
      key: keyArbitrary,
      expect: expectArbitrary,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      journal: fc.constantFrom<JournalKey>('audit', 'events'),
      value: valueArbitrary,
    }),
  },
);

const batchArbitrary: fc.Arbitrary<GenBatch> = fc.record({
  ops: fc.array(opArbitrary, { minLength: 0, maxLength: 6 }),
  poison: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.record({
        at: fc.nat({ max: 6 }),
        kind: fc.constantFrom<PoisonKind>('bigint', 'nan', 'unknown-store', 'unknown-journal', 'empty-key'),
      }),
    },
  ),
  reopen: fc.integer({ min: 0, max: 7 }).map((roll) => roll === 0),
});

function opsOf(batch: GenBatch): Op[] {
  const ops = batch.ops.map((op): Op => {
    if (op.op === 'append') return append(op.journal, op.value);
    return op.op === 'put' ? put(op.store, op.key, op.value, op.expect) : del(op.store, op.key, op.expect);
  });
  if (batch.poison !== null) ops.splice(batch.poison.at % (ops.length + 1), 0, poisonOp(batch.poison.kind));
  return ops;
}

function emptyModel(): Model {
  return {
    stores: new Map(STORES.map((store) => [store, new Map()])),
    journals: new Map(JOURNALS.map((journal) => [journal, []])),
  };
}

/**
 * Applies a batch to the model, or leaves it unchanged and says which codes the refusal may carry (the
 * poison's, and STORAGE_CONFLICT if an expect fails: an adapter may report either first).
 */
function applyToModel(
  model: Model,
  batch: GenBatch,
): { ok: true; receipts: WriteReceipt[] } | { ok: false; codes: Set<StorageErrorCode> } {
  const codes = new Set<StorageErrorCode>();
  if (batch.poison !== null) codes.add(POISON_CODES[batch.poison.kind]);
  const stores = new Map([...model.stores].map(([name, records]) => [name, new Map(records)]));
  const journals = new Map([...model.journals].map(([name, entries]) => [name, [...entries]]));
  const receipts: WriteReceipt[] = [];
  for (const op of batch.ops) {
    if (op.op === 'append') {
      const entries = journals.get(op.journal) as JsonValue[];
      entries.push(JSON.parse(JSON.stringify(op.value)) as JsonValue);
      receipts.push({ op: 'append', seq: entries.length });
      continue;
    }
    const records = stores.get(op.store) as Map<string, { value: JsonValue; rev: number }>;
    const current = records.get(op.key);
    if (op.expect !== undefined && op.expect !== (current?.rev ?? null)) {
      codes.add('STORAGE_CONFLICT');
      break;
    }
    if (op.op === 'put') {
      const rev = (current?.rev ?? 0) + 1;
      records.set(op.key, { value: JSON.parse(JSON.stringify(op.value)) as JsonValue, rev });
      receipts.push({ op: 'put', rev });
    } else {
      records.delete(op.key);
      receipts.push({ op: 'delete', existed: current !== undefined });
    }
  }
  if (codes.size > 0) return { ok: false, codes };
  for (const [name, records] of stores) model.stores.set(name, records);
  for (const [name, entries] of journals) model.journals.set(name, entries);
  return { ok: true, receipts };
}

function dumpModel(model: Model): StorageDump {
  const dump: StorageDump = { stores: {}, journals: {} };
  for (const store of STORES) {
    const records = model.stores.get(store) as Map<string, { value: JsonValue; rev: number }>;
    const keys = [...records.keys()].sort();
    dump.stores[store] = {
      records: keys.map((key) => ({ key, ...(records.get(key) as { value: JsonValue; rev: number }) })),
      count: records.size,
    };
  }
  for (const journal of JOURNALS) {
    const entries = model.journals.get(journal) as JsonValue[];
    dump.journals[journal] = {
      entries: entries.map((value, index) => ({ seq: index + 1, value })),
      lastSeq: entries.length,
    };
  }
  return dump;
}
