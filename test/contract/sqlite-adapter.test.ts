/**
 * What the SQLite adapter promises beyond the shared contract, on real files: a private file (0600, and its
 * -wal and -shm), WAL with synchronous=FULL, refusing files that are not ours, damaged records reported as
 * such, a full disk typed as STORAGE_QUOTA with nothing written, a held write lock timing out cleanly, the
 * documented key order, and several processes sharing one file without interleaving or sharing numbers.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { isYibaoGuardError, type StorageErrorCode } from '../../src/errors/index.js';
import { TERMINAL_NAMES, type TerminalLayout } from '../../src/storage/terminal-layout.js';
import type { Storage } from '../../src/storage/contract.js';
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

async function expectCode(
  promise: Promise<unknown>,
  code: StorageErrorCode,
): Promise<Error & { code: string; messageZh: string }> {
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

  it("narrows a leftover -wal that others could read to the database file's mode", async () => {
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
    expect(other.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all()).toEqual([
      'journals',
      'records',
    ]);
    other.close();
  });

  it('opens the terminal layout, and keeps the mode an existing database file has', async () => {
    const storage = await createSqliteStorage<TerminalLayout>({ file, names: TERMINAL_NAMES });
    expect([storage.kind, storage.durable]).toEqual(['sqlite', true]);
    expect(
      await storage.write([{ op: 'put', store: 'meta', key: 'terminal', value: { id: 'T01' }, expect: null }]),
    ).toEqual([{ op: 'put', rev: 1 }]);
    await storage.close();
    chmodSync(file, 0o640);
    const reopened = await createSqliteStorage<TerminalLayout>({ file, names: TERMINAL_NAMES });
    expect((await reopened.get('meta', 'terminal'))?.value).toEqual({ id: 'T01' });
    await reopened.close();
    expect(modeOf(file).toString(8)).toBe('640');
  });

  it("refuses a file that is not a database and another program's database (STORAGE_CORRUPT), and a newer schema (STORAGE_FAILED)", async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    await expectCode(createSqliteStorage({ file: text, names: CONTRACT_NAMES }), 'STORAGE_CORRUPT');

    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE stock (sku TEXT)');
    db.pragma('user_version = 7');
    db.close();
    expect(
      (await expectCode(createSqliteStorage({ file: foreign, names: CONTRACT_NAMES }), 'STORAGE_CORRUPT')).message,
    ).toContain('another program');

    const storage = await open();
    await storage.close();
    const newer = new Database(file);
    newer.pragma('user_version = 2');
    newer.close();
    expect((await expectCode(open(), 'STORAGE_FAILED')).message).toContain('newer');
  });

  it('refuses a missing directory, an empty name and :memory: with STORAGE_FAILED', async () => {
    await expectCode(
      createSqliteStorage({ file: join(dir, 'missing', 'till.sqlite'), names: CONTRACT_NAMES }),
      'STORAGE_FAILED',
    );
    await expectCode(createSqliteStorage({ file: '', names: CONTRACT_NAMES }), 'STORAGE_FAILED');
    await expectCode(createSqliteStorage({ file: ':memory:', names: CONTRACT_NAMES }), 'STORAGE_FAILED');
    await expectCode(createSqliteStorage({ file, names: { stores: ['a'], journals: ['a'] } }), 'STORAGE_FAILED');
  });
});

/** A file's bytes as SHA-256, or "absent". */
const digest = (path: string): string =>
  existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent';
/** What a directory holds besides what the test put there: sidecars SQLite made, a half-created database. */
const listing = (): string[] => readdirSync(dir).sort();

describe('SQLite adapter: never starts over on a file that is not a yibao-guard database', () => {
  /**
   * Opening `path` must be refused with STORAGE_CORRUPT (bilingual, saying `why`), and leave it, its -wal and
   * (unless `shmMayChange`, for a file another program has open) its -shm byte for byte as they were, with no
   * file added next to them.
   */
  async function refusedUntouched(
    path: string,
    why: RegExp,
    options: { create?: 'if-missing' | 'never'; shmMayChange?: boolean } = {},
  ) {
    const watched = [path, `${path}-wal`, ...(options.shmMayChange ? [] : [`${path}-shm`])];
    const before = watched.map(digest);
    const files = listing();
    const error = await expectCode(
      createSqliteStorage({
        file: path,
        names: CONTRACT_NAMES,
        ...(options.create ? { create: options.create } : {}),
      } as Parameters<typeof createSqliteStorage>[0]),
      'STORAGE_CORRUPT',
    );
    expect(error.message).toMatch(why);
    expect(error.messageZh).toMatch(/[\u4e00-\u9fff]/);
    expect(watched.map(digest), 'the file and its sidecars are unchanged').toEqual(before);
    expect(listing(), 'no file was added').toEqual(files);
    return error;
  }

  it('a database truncated to 0 bytes is refused and stays at 0 bytes: the chain and outbox do not restart empty', async () => {
    const storage = await open();
    await storage.write([
      { op: 'put', store: 'sales', key: 'S-1', value: { total: 2870 } },
      { op: 'append', journal: 'audit', value: 'sale' },
    ]);
    await storage.close();
    truncateSync(file, 0);
    await refusedUntouched(file, /empty \(0 bytes\)/);
    expect(statSync(file).size).toBe(0);
    // An empty file put there by hand is no different: only a missing file is created.
    writeFileSync(join(dir, 'blank.sqlite'), '');
    await refusedUntouched(join(dir, 'blank.sqlite'), /empty \(0 bytes\)/);
  });

  it('a text file, and a file cut inside the SQLite header, are refused untouched', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    await refusedUntouched(text, /not a SQLite database/);
    const cut = join(dir, 'cut.sqlite');
    writeFileSync(cut, Buffer.from('SQLite format 3\u0000\u0010\u0000'));
    await refusedUntouched(cut, /not a SQLite database/);
  });

  it("another program's SQLite database without any mark (application_id 0, user_version 0) is refused, not written into", async () => {
    const foreign = join(dir, 'pos.sqlite');
    const db = new Database(foreign);
    db.exec("CREATE TABLE stock (sku TEXT); INSERT INTO stock VALUES ('6901234567892')");
    db.close();
    await refusedUntouched(foreign, /another program/);
    const check = new Database(foreign, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['stock']);
    check.close();
  });

  it("another program's WAL-mode database, open in that program with its latest rows in the WAL, is refused untouched", async () => {
    const foreign = join(dir, 'erp.sqlite');
    const db = new Database(foreign);
    try {
      db.pragma('journal_mode = WAL');
      db.exec("CREATE TABLE orders (id TEXT); INSERT INTO orders VALUES ('O-1')");
      expect(statSync(`${foreign}-wal`).size).toBeGreaterThan(0);
      await refusedUntouched(foreign, /another program/, { shmMayChange: true });
      expect(db.prepare('SELECT count(*) FROM orders').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('a missing database whose -wal is still there is refused, and no database is created over that WAL', async () => {
    const storage = await open();
    await storage.write([{ op: 'put', store: 'sales', key: 'S-1', value: { total: 2870 } }]);
    // The -wal as a crash leaves it, then the database file deleted (or moved) by hand.
    copyFileSync(`${file}-wal`, join(dir, 'kept-wal'));
    await storage.close();
    unlinkSync(file);
    copyFileSync(join(dir, 'kept-wal'), `${file}-wal`);
    unlinkSync(join(dir, 'kept-wal'));
    await refusedUntouched(file, /-wal/);
    expect(existsSync(file)).toBe(false);
  });

  it("create: 'never' refuses a missing file instead of creating one; 'if-missing' (the default) creates it", async () => {
    await refusedUntouched(file, /no database file/, { create: 'never' });
    expect(existsSync(file)).toBe(false);
    const created = await createSqliteStorage({ file, names: CONTRACT_NAMES, create: 'if-missing' });
    await created.write([{ op: 'append', journal: 'audit', value: 1 }]);
    await created.close();
    const reopened = await createSqliteStorage({ file, names: CONTRACT_NAMES, create: 'never' });
    expect(await reopened.lastSeq('audit')).toBe(1);
    await reopened.close();
  });

  it('a new database appears whole: marked as ours in the file itself, with no half-made file left beside it', async () => {
    const storage = await open();
    await storage.write([{ op: 'append', journal: 'audit', value: 1 }]);
    // Read while the connection is open, as a crash would leave it: the marks are in the database file, not only
    // in its WAL, so the file is recognised whatever happens next.
    const header = readFileSync(file).subarray(0, 100);
    expect(header.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
    expect(header.readUInt32BE(68).toString(16)).toBe((0x59475351).toString(16));
    expect(header.readUInt32BE(60)).toBe(1);
    expect(listing().filter((name) => !name.startsWith('till.sqlite'))).toEqual([]);
    expect(listing()).toEqual(['till.sqlite', 'till.sqlite-shm', 'till.sqlite-wal']);
  });

  it('a database of the previous release, killed before any checkpoint (its marks only in the WAL), opens with its data', async () => {
    // Made as the previous release made it: an empty file, WAL mode, then the tables and marks in one transaction.
    const live = join(dir, 'live.sqlite');
    writeFileSync(live, '', { mode: 0o600 });
    const old = new Database(live, { fileMustExist: true });
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE records (store TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, rev INTEGER NOT NULL, PRIMARY KEY (store, key)) WITHOUT ROWID;
      CREATE TABLE journals (journal TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (journal, seq)) WITHOUT ROWID;
      PRAGMA application_id = ${0x59475351};
      PRAGMA user_version = 1;
      INSERT INTO records VALUES ('sales', 'S-1', '{"total":2870}', 1);
      INSERT INTO journals VALUES ('audit', 1, '"sale"');
    `);
    // The files as a crash leaves them (the connection never closed, so never checkpointed).
    copyFileSync(live, file);
    copyFileSync(`${live}-wal`, `${file}-wal`);
    old.close();
    expect(readFileSync(file).readUInt32BE(68)).toBe(0);
    const storage = await open();
    expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: { total: 2870 }, rev: 1 });
    expect(await storage.read('audit')).toEqual([{ seq: 1, value: 'sale' }]);
  });
});

describe('SQLite adapter: damage and failures', () => {
  it('reports a damaged record as STORAGE_CORRUPT naming its store and key, and writes nothing over it', async () => {
    const storage = await open();
    await storage.write([
      { op: 'put', store: 'sales', key: 'S-1', value: { total: 1 } },
      { op: 'put', store: 'outbox', key: 'O-1', value: 1 },
      { op: 'append', journal: 'audit', value: 'x' },
    ]);
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
    await expectCode(
      reopened.write([
        { op: 'append', journal: 'events', value: 1 },
        { op: 'put', store: 'outbox', key: 'O-1', value: 2, expect: 1 },
      ]),
      'STORAGE_CORRUPT',
    );
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
        await storage.write([
          { op: 'put', store: 'sales', key: `S-${written}`, value: big },
          { op: 'append', journal: 'audit', value: big },
          { op: 'put', store: 'meta', key: 'n', value: written },
        ]);
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
    expect(await storage.write([{ op: 'append', journal: 'audit', value: 'fits' }])).toEqual([
      { op: 'append', seq: written + 2 },
    ]);
  });

  it('fails a write with STORAGE_FAILED when another connection holds the write lock too long; reads go on', async () => {
    const storage = await open({ busyTimeoutMs: 100 });
    await storage.write([{ op: 'put', store: 'sales', key: 'k', value: 1 }]);
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const error = await expectCode(
        storage.write([
          { op: 'put', store: 'sales', key: 'k', value: 2 },
          { op: 'append', journal: 'audit', value: 1 },
        ]),
        'STORAGE_FAILED',
      );
      expect(error.message).toContain('write lock');
      expect(await storage.get('sales', 'k')).toEqual({ key: 'k', value: 1, rev: 1 });
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(await storage.write([{ op: 'append', journal: 'audit', value: 1 }])).toEqual([{ op: 'append', seq: 1 }]);
  });

  it("lists keys in code point order (UTF-8 bytes): the contract's order below U+D800, as documented", async () => {
    const storage = await open();
    const keys = ['b', 'a', '中', '\uFFFF', '😀', '\uE000'];
    await storage.write(keys.map((key) => ({ op: 'put' as const, store: 'sales' as const, key, value: key })));
    // UTF-16 code units would put '😀' (D83D DE00) before U+E000 and U+FFFF; code points put it last.
    expect((await storage.list('sales')).map((record) => record.key)).toEqual([
      'a',
      'b',
      '中',
      '\uE000',
      '\uFFFF',
      '😀',
    ]);
    expect((await storage.list('sales', { prefix: '😀' })).map((record) => record.key)).toEqual(['😀']);
  });
});

describe('SQLite adapter: several processes on one file', () => {
  it(
    'never interleaves their batches, never gives a number twice, and keeps a shared counter exact',
    { timeout: 120_000 },
    async () => {
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
        await Promise.all(
          Array.from({ length: writers }, (_, writer) =>
            run(process.execPath, [join(work, 'writer.mjs'), file, `w${writer}`, String(batches), String(size)]),
          ),
        );

        const entries = await storage.read('audit');
        expect(entries.map((entry) => entry.seq)).toEqual(
          Array.from({ length: writers * batches * size }, (_, index) => index + 1),
        );
        for (let start = 0; start < entries.length; start += size) {
          const values = entries
            .slice(start, start + size)
            .map((entry) => entry.value as { writer: string; batch: number; index: number });
          expect(values.map((value) => value.index)).toEqual([0, 1, 2, 3]);
          expect(new Set(values.map((value) => `${value.writer}/${value.batch}`)).size).toBe(1);
        }
        expect(await storage.get('meta', 'counter')).toEqual({
          key: 'counter',
          value: writers * batches,
          rev: writers * batches + 1,
        });
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  );
});
