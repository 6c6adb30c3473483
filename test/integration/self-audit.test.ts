/**
 * `yibao-guard self-audit` end to end: a till's SQLite file holding the seeded journal, the CLI run on it, the
 * HTML, CSV and JSON reports it writes read back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CATALOG } from '../../adapters/simulator/index.js';
import { createSqliteStorage } from '../../adapters/sqlite/index.js';
import { runSelfAudit, SELF_AUDIT_USAGE } from '../../adapters/cli/self-audit.js';
import { runCli } from '../../adapters/cli/run.js';
import { TERMINAL_NAMES } from '../../src/index.js';
import type { SelfAuditReport } from '../../src/audit/index.js';
import { packV2, seed, seededSales } from '../unit/audit/journal.js';

let dir: string;
let db: string;
let catalogFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yg-self-audit-'));
  db = join(dir, 'till.sqlite');
  const storage = await createSqliteStorage({ file: db, names: TERMINAL_NAMES });
  await seed(storage, seededSales());
  await storage.close();
  catalogFile = join(dir, 'products.json');
  writeFileSync(catalogFile, JSON.stringify({ products: DEMO_CATALOG }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSelfAudit(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const PERIOD = ['--from', '2026-10-01', '--to', '2026-12-01'];

describe('yibao-guard self-audit on a SQLite file', () => {
  it('writes the HTML report with its charts and prints the totals', async () => {
    const out = join(dir, 'report.html');
    const result = await cli(
      '--db',
      db,
      ...PERIOD,
      '--catalog',
      catalogFile,
      '--out',
      out,
      '--title',
      '示范大药房第四季度自查',
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('问题 / findings: 5');
    expect(result.out).toContain('涉及基金金额 / fund at stake: 1843.00 元');
    expect(result.out).toContain(`报告已写入 / report written: ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('示范大药房第四季度自查');
    expect(html).toContain('class="chart-rules"');
    expect(html).toContain('class="chart-months"');
    expect(html).toContain('重复购药');
  });

  it('writes the ledger as CSV that Excel opens with the Chinese intact', async () => {
    const out = join(dir, '问题台账.csv');
    expect((await cli('--db', db, ...PERIOD, '--catalog', catalogFile, '--out', out)).code).toBe(0);
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toContain('销售单号 (Sale ID)');
    expect(lines.slice(1, -1).map((l) => l.split(',')[1])).toEqual(['S3', 'S4', 'S5', 'S5', 'S6']);
    expect(lines.at(-1)).toBe('');
  });

  it('replays under the pack in force now with --pack current, and under a pack file', async () => {
    const json = join(dir, 'current.json');
    expect((await cli('--db', db, ...PERIOD, '--catalog', catalogFile, '--pack', 'current', '--out', json)).code).toBe(
      0,
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as SelfAuditReport;
    expect(report.mode).toBe('given');
    expect(report.entries.map((e) => e.saleId)).toEqual(['S2', 'S3', 'S4', 'S5', 'S5', 'S6']);
    const packFile = join(dir, 'pack.json');
    writeFileSync(packFile, JSON.stringify(packV2()));
    const fromFile = join(dir, 'from-file.json');
    expect(
      (await cli('--db', db, ...PERIOD, '--catalog', catalogFile, '--pack', packFile, '--out', fromFile)).code,
    ).toBe(0);
    expect((JSON.parse(readFileSync(fromFile, 'utf8')) as SelfAuditReport).totals).toEqual(report.totals);
  });

  it('without --catalog, infers one from the sales and says what that cannot check', async () => {
    const json = join(dir, 'inferred.json');
    const result = await cli('--db', db, ...PERIOD, '--out', json);
    expect(result.code).toBe(0);
    expect(result.err).toContain('no --catalog');
    const report = JSON.parse(readFileSync(json, 'utf8')) as SelfAuditReport;
    // What needs no catalog facts is still found: a refill by the prescription's days, the resold box, the missing
    // trace code, the ceiling, the overrides.
    expect(report.entries.map((e) => `${e.saleId} ${e.ruleId}`)).toEqual([
      'S3 repeat-purchase',
      'S4 trace-code-duplicate',
      'S5 trace-code-missing',
      'S5 stock-shortfall',
      'S6 amount-limit',
    ]);
  });

  it('refuses bad usage with exit code 2 and a missing file with 1', async () => {
    expect((await cli('--db', db, '--from', '2026-10-01')).code).toBe(2);
    expect((await cli('--db', db, ...PERIOD, '--out', 'report.pdf')).code).toBe(2);
    expect((await cli('--db', db, ...PERIOD, '--table', 'everything')).code).toBe(2);
    expect((await cli('--db', db, ...PERIOD, '--bogus')).code).toBe(2);
    expect((await cli('--db', join(dir, 'nope.sqlite'), ...PERIOD)).code).toBe(1);
    const bad = await cli('--db', db, '--from', '2026-02-30', '--to', '2026-03-01');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('INVALID_INPUT');
    expect((await cli('--help')).out).toBe(SELF_AUDIT_USAGE);
  });

  it('is listed in the CLI help', async () => {
    const out: string[] = [];
    expect((await runCli(['help'], { out: (l) => out.push(l), err: () => {} }, '0.0.0')).code).toBe(0);
    expect(out.join('\n')).toContain('yibao-guard self-audit --db');
  });
});
