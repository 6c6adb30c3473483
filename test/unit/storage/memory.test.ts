/**
 * What is particular to the memory adapter; the behaviour every adapter shares is in test/contract.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isYibaoGuardError, type StorageErrorCode } from '../../../src/errors/index.js';
import type { JsonValue, Storage, WriteOp } from '../../../src/storage/contract.js';
import { createMemoryBacking, createMemoryStorage, type MemoryBacking } from '../../../src/storage/index.js';

type Layout = {
  stores: { sales: JsonValue; meta: JsonValue };
  journals: { audit: JsonValue };
};
const names = { stores: ['sales', 'meta'], journals: ['audit'] } as const;

function open(backing?: MemoryBacking): Storage<Layout> {
  return createMemoryStorage<Layout>(backing === undefined ? { names } : { names, backing });
}

function raw(op: object): WriteOp<Layout> {
  return op as unknown as WriteOp<Layout>;
}

async function failure(
  promise: Promise<unknown>,
  code: StorageErrorCode,
): Promise<Error & { code: string; messageZh: string; field?: string }> {
  const error: unknown = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it resolved`);
    },
    (reason: unknown) => reason,
  );
  expect(isYibaoGuardError(error, code), String(error)).toBe(true);
  expect((error as Error).name).toBe('StorageError');
  return error as Error & { code: string; messageZh: string; field?: string };
}

/** Every way an error could be shown or logged. */
function shown(error: Error & { messageZh: string }): string {
  return [error.message, error.messageZh, String(error), JSON.stringify(error)].join('\n');
}

const SECRET_ID = '110101199003074578';
const SECRET_NAME = '张三丰';

describe('memory storage', () => {
  it('says what it is: kind memory, not durable', () => {
    const storage = open();
    expect(storage.kind).toBe('memory');
    expect(storage.durable).toBe(false);
  });

  it('keeps each storage without a backing apart', async () => {
    const first = open();
    const second = open();
    await first.write([{ op: 'put', store: 'sales', key: 'k', value: 1 }]);
    expect(await second.get('sales', 'k')).toBeUndefined();
    expect(await first.get('sales', 'k')).toEqual({ key: 'k', value: 1, rev: 1 });
  });

  it('shares a backing between storages open at the same time, one queue for both', async () => {
    const backing = createMemoryBacking();
    const first = open(backing);
    const second = open(backing);
    const writes = [
      first.write([{ op: 'put', store: 'meta', key: 'k', value: 'a', expect: null }]),
      second.write([{ op: 'put', store: 'meta', key: 'k', value: 'b', expect: null }]),
    ];
    const [a, b] = await Promise.allSettled(writes);
    expect(a?.status).toBe('fulfilled');
    expect(b?.status === 'rejected' && isYibaoGuardError(b.reason, 'STORAGE_CONFLICT')).toBe(true);
    expect(await second.get('meta', 'k')).toEqual({ key: 'k', value: 'a', rev: 1 });
    await first.close();
    expect(await second.count('meta')).toBe(1);
  });

  it('keeps data of names a later layout leaves out, for a layout that has them again', async () => {
    const backing = createMemoryBacking();
    const full = open(backing);
    await full.write([
      { op: 'put', store: 'sales', key: 's', value: 1 },
      { op: 'append', journal: 'audit', value: 'kept' },
    ]);
    await full.close();
    const narrow = createMemoryStorage<{ stores: { meta: JsonValue }; journals: Record<never, never> }>({
      names: { stores: ['meta'], journals: [] },
      backing,
    });
    await failure(narrow.get('sales' as 'meta', 's'), 'STORAGE_UNKNOWN_NAME');
    await narrow.close();
    const again = open(backing);
    expect(await again.get('sales', 's')).toEqual({ key: 's', value: 1, rev: 1 });
    expect(await again.read('audit')).toEqual([{ seq: 1, value: 'kept' }]);
  });

  it('refuses bad names and foreign backings when created, with a StorageError', () => {
    const cases: unknown[] = [
      { names: { stores: ['a', 'a'], journals: [] } },
      { names: { stores: ['a'], journals: ['a'] } },
      { names: { stores: [''], journals: [] } },
      { names: { stores: [1], journals: [] } },
      { names: { stores: ['a'], journals: [] }, backing: {} },
    ];
    for (const options of cases) {
      let thrown: unknown;
      try {
        createMemoryStorage(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(isYibaoGuardError(thrown, 'STORAGE_FAILED'), JSON.stringify(options)).toBe(true);
    }
  });

  it('returns promises and applies a write only after the calls made before it', async () => {
    const storage = open();
    const read = storage.get('sales', 'k');
    const write = storage.write([{ op: 'put', store: 'sales', key: 'k', value: 1 }]);
    expect(write).toBeInstanceOf(Promise);
    expect(await read).toBeUndefined();
    expect(await write).toEqual([{ op: 'put', rev: 1 }]);
  });

  it('completes calls made before close, and close resolves after them', async () => {
    const backing = createMemoryBacking();
    const storage = open(backing);
    const write = storage.write([{ op: 'append', journal: 'audit', value: 'before close' }]);
    const closing = storage.close();
    await expect(write).resolves.toEqual([{ op: 'append', seq: 1 }]);
    await closing;
    expect(await open(backing).lastSeq('audit')).toBe(1);
  });

  it('rejects, never throws, whatever it is called with', async () => {
    const storage = open();
    expect((await failure(storage.write(null as never), 'STORAGE_INVALID_VALUE')).field).toBe('ops');
    expect((await failure(storage.write([null as never]), 'STORAGE_INVALID_VALUE')).field).toBe('ops.0');
    await failure(storage.get(undefined as never, 'k'), 'STORAGE_UNKNOWN_NAME');
    const op = {
      get op(): string {
        throw new Error('getter exploded');
      },
    };
    const unexpected = await failure(storage.write([raw(op)]), 'STORAGE_FAILED');
    expect(unexpected.cause).toBeInstanceOf(Error);
    expect(await storage.count('sales')).toBe(0);
  });

  describe('error messages', () => {
    it('name the operation, the store and the key for a value that cannot be stored, and never the value', async () => {
      const storage = open();
      const error = await failure(
        storage.write([
          { op: 'put', store: 'sales', key: 'S-1', value: { buyer: SECRET_NAME } },
          { op: 'append', journal: 'audit', value: SECRET_ID },
          raw({ op: 'put', store: 'sales', key: 'S-9', value: { buyer: SECRET_NAME, id: SECRET_ID, qty: 1n } }),
        ]),
        'STORAGE_INVALID_VALUE',
      );
      expect(error.message).toContain('operation 2');
      expect(error.message).toContain('store "sales"');
      expect(error.message).toContain('key "S-9"');
      expect(error.message).toContain('BigInt');
      expect(error.messageZh).toContain('第 2 个操作');
      expect(error.messageZh).toContain('数据表“sales”');
      expect(error.messageZh).toContain('键“S-9”');
      expect(error.field).toBe('ops.2.value');
      expect(shown(error)).not.toContain(SECRET_NAME);
      expect(shown(error)).not.toContain(SECRET_ID);
    });

    it('say why a value cannot be stored: non-finite number, cycle, undefined, throwing toJSON', async () => {
      const storage = open();
      const cycle: Record<string, unknown> = { id: SECRET_ID };
      cycle.self = cycle;
      const cases: [unknown, RegExp, RegExp][] = [
        [{ id: SECRET_ID, price: Number.NaN }, /not finite/, /非有限数值/],
        [[SECRET_ID, Number.NEGATIVE_INFINITY], /not finite/, /非有限数值/],
        [cycle, /cycle/, /循环引用/],
        [undefined, /undefined/, /undefined/],
        [
          {
            toJSON: () => {
              throw new Error(`cannot serialise ${SECRET_ID}`);
            },
          },
          /threw/,
          /抛出异常/,
        ],
      ];
      for (const [value, english, chinese] of cases) {
        const error = await failure(
          storage.write([
            { op: 'append', journal: 'audit', value: 'fine' },
            raw({ op: 'append', journal: 'audit', value }),
          ]),
          'STORAGE_INVALID_VALUE',
        );
        expect(error.message).toContain('operation 1');
        expect(error.message).toContain('journal "audit"');
        expect(error.message).toMatch(english);
        expect(error.messageZh).toContain('第 1 个操作');
        expect(error.messageZh).toContain('日志“audit”');
        expect(error.messageZh).toMatch(chinese);
        expect(error.field).toBe('ops.1.value');
        expect(shown(error)).not.toContain(SECRET_ID);
      }
      expect(await storage.lastSeq('audit')).toBe(0);
    });

    it('name the store, key and revisions of a conflict, in both languages', async () => {
      const storage = open();
      await storage.write([{ op: 'put', store: 'meta', key: 'lease', value: { holder: SECRET_NAME } }]);
      const error = await failure(
        storage.write([
          { op: 'append', journal: 'audit', value: 1 },
          { op: 'put', store: 'meta', key: 'lease', value: { holder: SECRET_NAME }, expect: 3 },
        ]),
        'STORAGE_CONFLICT',
      );
      expect(error.message).toContain('operation 1');
      expect(error.message).toContain('store "meta"');
      expect(error.message).toContain('key "lease"');
      expect(error.message).toContain('expected revision 3 but found revision 1');
      expect(error.messageZh).toContain('数据表“meta”');
      expect(error.messageZh).toContain('键“lease”');
      expect(error.messageZh).toContain('修订号 3');
      expect(error.field).toBe('ops.1.expect');
      expect(shown(error)).not.toContain(SECRET_NAME);

      const created = await failure(
        storage.write([{ op: 'put', store: 'meta', key: 'lease', value: 1, expect: null }]),
        'STORAGE_CONFLICT',
      );
      expect(created.message).toContain('expected no record but found revision 1');
      expect(created.messageZh).toContain('记录不存在');
    });

    it('name an unknown store or journal, and say when it is the other kind', async () => {
      const storage = open();
      const store = await failure(storage.get('nope' as 'sales', 'k'), 'STORAGE_UNKNOWN_NAME');
      expect(store.message).toContain('no store "nope"');
      expect(store.messageZh).toContain('"nope"');
      const journal = await failure(
        storage.write([raw({ op: 'append', journal: 'sales', value: 1 })]),
        'STORAGE_UNKNOWN_NAME',
      );
      expect(journal.message).toContain('no journal "sales" (it is a store)');
      expect(journal.messageZh).toContain('它是数据表');
      expect(journal.field).toBe('ops.0.journal');
    });

    it('describe a bad key without repeating it', async () => {
      const storage = open();
      const long = SECRET_ID.repeat(30);
      const error = await failure(
        storage.write([raw({ op: 'put', store: 'sales', key: long, value: 1 })]),
        'STORAGE_INVALID_VALUE',
      );
      expect(error.message).toContain('540 characters long (at most 512)');
      expect(error.messageZh).toContain('最多 512 个');
      expect(error.field).toBe('ops.0.key');
      expect(shown(error)).not.toContain(SECRET_ID);
      const empty = await failure(storage.get('sales', ''), 'STORAGE_INVALID_VALUE');
      expect(empty.message).toContain('is empty');
    });

    it('say the storage is closed and what was refused', async () => {
      const storage = open();
      await storage.close();
      const error = await failure(storage.list('sales'), 'STORAGE_CLOSED');
      expect(error.message).toContain('closed');
      expect(error.message).toContain('store "sales"');
      expect(error.messageZh).toContain('已关闭');
    });
  });

  it('keeps its key index in order through random puts and deletes (list, prefix, after)', async () => {
    const key = fc.string({
      unit: fc.constantFrom('a', 'b', 'B', '0', '9', ':', '中', '丰', 'ä'),
      minLength: 1,
      maxLength: 4,
    });
    const step = fc.record({ put: fc.boolean(), key });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), key, key, async (steps, prefix, after) => {
        const storage = open();
        const model = new Set<string>();
        for (const { put, key: k } of steps) {
          await storage.write([
            put ? { op: 'put', store: 'sales', key: k, value: k } : { op: 'delete', store: 'sales', key: k },
          ]);
          if (put) model.add(k);
          else model.delete(k);
        }
        const sorted = [...model].sort();
        expect((await storage.list('sales')).map((record) => record.key)).toEqual(sorted);
        expect((await storage.list('sales', { prefix })).map((record) => record.key)).toEqual(
          sorted.filter((k) => k.startsWith(prefix)),
        );
        expect((await storage.list('sales', { after, limit: 3 })).map((record) => record.key)).toEqual(
          sorted.filter((k) => k > after).slice(0, 3),
        );
        expect((await storage.list('sales', { prefix, after })).map((record) => record.key)).toEqual(
          sorted.filter((k) => k > after && k.startsWith(prefix)),
        );
        expect(await storage.count('sales')).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});
