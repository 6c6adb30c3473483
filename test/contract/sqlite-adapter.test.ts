/**
 * What the SQLite adapter promises beyond the shared contract, on real files: a private file (0600, and its
 * -wal and -shm), WAL with synchronous=FULL, refusing files that are not ours, damaged records reported as
 * such, a full disk typed as STORAGE_QUOTA with nothing written, a held write lock timing out cleanly, the
 * documented key order, and several processes sharing one file without interleaving or sharing numbers.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { isYibaoGuardError, type StorageErrorCode } from '../../src/errors/index.js';
import { TERMINAL_NAMES, type TerminalLayout } from '../../src/layout.js';
import type { Storage } from '../../src/storage.js';
import { CONTRACT_NAMES, dumpStorage, type ContractLayout } from './storage.js';

const root = new URL('../../', import.meta.url).pathname;
let dir: string;
let file: string;
const opened: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yg-sqlite-'));
  file = join(dir, 'till.sqlite');
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function open(options: { busyTimeoutMs?: number } = {}): Promise<Storage<ContractLayout>> {
  const storage = await createSqliteStorage<ContractLayout>({ file, names: CONTRACT_NAMES, ...options });
  opened.push(storage);
  return storage;
}

async function expectCode(promise: Promise<unknown>, code: StorageErrorCode): Promise<Error & { code: string; messageZh: string }> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(isYibaoGuardError(caught, code), `${code} expected, got ${String(caught)}`).toBe(true);
  return caught as Error & { code: string; messageZh: string };
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('SQLite adapter: the file', () => {
  it('creates the database, its -wal and its -shm with mode 0600 whatever the umask', async () => {
    const umask = process.umask(0);
    try {
      const storage = await open();
      await storage.write([{ op: 'append', journal: 'audit', value: 'written' }]);
      // While a connection is open in WAL mode, all three files exist.
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path).toString(8), path).toBe('600');
    } finally {
      process.umask(umask);
    }
  });

  it('narrows a leftover -wal that others could read to the database file\'s mode', async () => {
    const storage = await open();
    await storage.write([{ op: 'append', journal: 'audit', value: 1 }]);
    await storage.close();
    // The last connection removed its -wal; one left by a copy or a crash may be world-readable.
    // (Not a valid WAL, so SQLite ignores its content, but it keeps the file and its mode.)
    writeFileSync(`${file}-wal`, Buffer.alloc(100, 7), { mode: 0o644 });
    chmodSync(`${file}-wal`, 0o644);
    const reopened = await open();
    expect(modeOf(`${file}-wal`).toString(8)).toBe('600');
    expect(await reopened.lastSeq('audit')).toBe(1);
  });

  it('runs in WAL mode with synchronous = FULL and the schema marked as ours', async () => {
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    await open();
    const calls = pragma.mock.calls.map(([source]) => source);
    expect(calls).toContain('journal_mode = WAL');
    expect(calls).toContain('synchronous = FULL');
    // The adapter's own connection answers for the per-connection setting.
    const own = pragma.mock.contexts[0] as Database.Database;
    pragma.mockRestore();
    expect(own.pragma('synchronous', { simple: true })).toBe(2);
    const other = new Database(file, { readonly: true });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(other.pragma('user_version', { simple: true })).toBe(1);
    expect(other.pragma('application_id', { simple: true })).toBe(0x59475351);
    expect(other.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all()).toEqual(['journals', 'records']);
    other.close();
  });

  it('opens the terminal layout, and keeps an existing file as it is', async () => {
    writeFileSync(file, '');
    const storage = await createSqliteStorage<TerminalLayout>({ file, names: TERMINAL_NAMES });
    expect([storage.kind, storage.durable]).toEqual(['sqlite', true]);
    expect(await storage.write([{ op: 'put', store: 'meta', key: 'terminal', value: { id: 'T01' }, expect: null }])).toEqual([{ op: 'put', rev: 1 }]);
    await storage.close();
    expect(modeOf(file)).toBe(0o644 & ~process.umask());
  });

  it('refuses a file that is not a database (STORAGE_CORRUPT), another program\'s database and a newer schema (STORAGE_FAILED)', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    await expectCode(createSqliteStorage({ file: text, names: CONTRACT_NAMES }), 'STORAGE_CORRUPT');

    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE stock (sku TEXT)');
    db.pragma('user_version = 7');
    db.close();
    expect((await expectCode(createSqliteStorage({ file: foreign, names: CONTRACT_NAMES }), 'STORAGE_FAILED')).message).toContain('another program');

    const storage = await open();
    await storage.close();
    const newer = new Database(file);
    newer.pragma('user_version = 2');
    newer.close();
    expect((await expectCode(open(), 'STORAGE_FAILED')).message).toContain('newer');
  });

  it('refuses a missing directory, an empty name and :memory: with STORAGE_FAILED', async () => {
    await expectCode(createSqliteStorage({ file: join(dir, 'missing', 'till.sqlite'), names: CONTRACT_NAMES }), 'STORAGE_FAILED');
    await expectCode(createSqliteStorage({ file: '', names: CONTRACT_NAMES }), 'STORAGE_FAILED');
    await expectCode(createSqliteStorage({ file: ':memory:', names: CONTRACT_NAMES }), 'STORAGE_FAILED');
    await expectCode(createSqliteStorage({ file, names: { stores: ['a'], journals: ['a'] } }), 'STORAGE_FAILED');
  });
});

describe('SQLite adapter: damage and failures', () => {
  it('reports a damaged record as STORAGE_CORRUPT naming its store and key, and writes nothing over it', async () => {
    const storage = await open();
    await storage.write([{ op: 'put', store: 'sales', key: 'S-1', value: { total: 1 } }, { op: 'put', store: 'outbox', key: 'O-1', value: 1 }, { op: 'append', journal: 'audit', value: 'x' }]);
    await storage.close();
    const raw = new Database(file);
    raw.prepare("UPDATE records SET json = '{\"total\":' WHERE key = 'S-1'").run();
    raw.prepare("UPDATE records SET rev = 0 WHERE key = 'O-1'").run();
    raw.prepare("UPDATE journals SET json = '' WHERE seq = 1").run();
    raw.close();

    const reopened = await open();
    const error = await expectCode(reopened.get('sales', 'S-1'), 'STORAGE_CORRUPT');
    expect(error.message).toContain('store "sales", key "S-1"');
    expect(error.messageZh).toContain('数据表“sales”，键“S-1”');
    await expectCode(reopened.list('sales'), 'STORAGE_CORRUPT');
    expect((await expectCode(reopened.read('audit'), 'STORAGE_CORRUPT')).message).toContain('journal "audit", seq 1');
    await expectCode(reopened.write([{ op: 'append', journal: 'events', value: 1 }, { op: 'put', store: 'outbox', key: 'O-1', value: 2, expect: 1 }]), 'STORAGE_CORRUPT');
    expect(await reopened.lastSeq('events')).toBe(0);
  });

  it('turns a full disk into STORAGE_QUOTA with nothing of the batch written, and numbers on without a gap', async () => {
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    const storage = await open();
    const db = pragma.mock.contexts[0] as Database.Database;
    pragma.mockRestore();
    await storage.write([{ op: 'append', journal: 'audit', value: 'first' }]);
    // A page limit on the adapter's own connection: SQLite answers SQLITE_FULL as on a full disk.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages + 8}`);
    const big = 'x'.repeat(20_000);
    let written = 0;
    let before = await dumpStorage(storage);
    for (;;) {
      try {
        await storage.write([{ op: 'put', store: 'sales', key: `S-${written}`, value: big }, { op: 'append', journal: 'audit', value: big }, { op: 'put', store: 'meta', key: 'n', value: written }]);
      } catch (error) {
        expect(isYibaoGuardError(error, 'STORAGE_QUOTA'), String(error)).toBe(true);
        break;
      }
      written++;
      before = await dumpStorage(storage);
      if (written > 100) throw new Error('never ran out of pages');
    }
    expect(await dumpStorage(storage)).toEqual(before);
    db.pragma('max_page_count = 1073741823');
    expect(await storage.write([{ op: 'append', journal: 'audit', value: 'fits' }])).toEqual([{ op: 'append', seq: written + 2 }]);
  });

  it('fails a write with STORAGE_FAILED when another connection holds the write lock too long; reads go on', async () => {
    const storage = await open({ busyTimeoutMs: 100 });
    await storage.write([{ op: 'put', store: 'sales', key: 'k', value: 1 }]);
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const error = await expectCode(storage.write([{ op: 'put', store: 'sales', key: 'k', value: 2 }, { op: 'append', journal: 'audit', value: 1 }]), 'STORAGE_FAILED');
      expect(error.message).toContain('write lock');
      expect(await storage.get('sales', 'k')).toEqual({ key: 'k', value: 1, rev: 1 });
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await storage.write([{ op: 'append', journal: 'audit', value: 1 }])).toEqual([{ op: 'append', seq: 1 }]);
  });

  it('lists keys in code point order (UTF-8 bytes): the contract\'s order below U+D800, as documented', async () => {
    const storage = await open();
    const keys = ['b', 'a', '中', '\uFFFF', '😀', '\uE000'];
    await storage.write(keys.map((key) => ({ op: 'put' as const, store: 'sales' as const, key, value: key })));
    // UTF-16 code units would put '😀' (D83D DE00) before U+E000 and U+FFFF; code points put it last.
    expect((await storage.list('sales')).map((record) => record.key)).toEqual(['a', 'b', '中', '\uE000', '\uFFFF', '😀']);
    expect((await storage.list('sales', { prefix: '😀' })).map((record) => record.key)).toEqual(['😀']);
  });
});

describe('SQLite adapter: several processes on one file', () => {
  it('never interleaves their batches, never gives a number twice, and keeps a shared counter exact', { timeout: 120_000 }, async () => {
    // The adapter as the package ships it, bundled for plain Node (better-sqlite3 stays external); inside
    // node_modules so that the child processes resolve better-sqlite3 as an app would.
    const work = join(root, 'node_modules/.cache', `yg-sqlite-processes-${process.pid}`);
    mkdirSync(work, { recursive: true });
    try {
      await build({
        entryPoints: [join(root, 'adapters/sqlite/index.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        external: ['better-sqlite3'],
        outfile: join(work, 'adapter.mjs'),
        logLevel: 'silent',
      });
      writeFileSync(
        join(work, 'writer.mjs'),
        `import { createSqliteStorage } from './adapter.mjs';
const [file, writer, batches, size] = process.argv.slice(2);
const storage = await createSqliteStorage({ file, names: { stores: ['meta'], journals: ['audit'] }, busyTimeoutMs: 30000 });
let conflicts = 0;
for (let batch = 0; batch < Number(batches); batch++) {
  for (;;) {
    const counter = await storage.get('meta', 'counter');
    const ops = Array.from({ length: Number(size) }, (_, index) => ({ op: 'append', journal: 'audit', value: { writer, batch, index } }));
    ops.splice(2, 0, { op: 'put', store: 'meta', key: 'counter', value: counter.value + 1, expect: counter.rev });
    try {
      await storage.write(ops);
      break;
    } catch (error) {
      if (error.code !== 'STORAGE_CONFLICT') throw error;
      conflicts++;
    }
  }
}
await storage.close();
console.log(JSON.stringify({ writer, conflicts }));
`,
      );
      const storage = await open();
      await storage.write([{ op: 'put', store: 'meta', key: 'counter', value: 0 }]);
      const writers = 3;
      const batches = 25;
      const size = 4;
      const run = promisify(execFile);
      await Promise.all(Array.from({ length: writers }, (_, writer) => run(process.execPath, [join(work, 'writer.mjs'), file, `w${writer}`, String(batches), String(size)])));

      const entries = await storage.read('audit');
      expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: writers * batches * size }, (_, index) => index + 1));
      for (let start = 0; start < entries.length; start += size) {
        const values = entries.slice(start, start + size).map((entry) => entry.value as { writer: string; batch: number; index: number });
        expect(values.map((value) => value.index)).toEqual([0, 1, 2, 3]);
        expect(new Set(values.map((value) => `${value.writer}/${value.batch}`)).size).toBe(1);
      }
      expect(await storage.get('meta', 'counter')).toEqual({ key: 'counter', value: writers * batches, rev: writers * batches + 1 });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
