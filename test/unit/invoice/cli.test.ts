/**
 * `yibao-guard verify`, run as an inspector runs it: the built dist/cli.js in a child process, on an export file
 * and on receipt QR texts. Exit 0 only when all is well; one line per problem, with the seq and the line.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage } from '../../build-package.js';
import { sale, till } from './helpers.js';

const root = new URL('../../../', import.meta.url).pathname;
const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'dist/cli.js'), 'verify', ...args], {
      cwd: root,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

let dir: string;
let good: string;
let publicKey: string;
let qr: string;
let lines: string[];

beforeAll(async () => {
  await buildPackage();
  dir = mkdtempSync(join(tmpdir(), 'yg-verify-'));
  const t = await till();
  for (let i = 0; i < 5; i++) {
    t.clock.advance(60_000);
    const issued = await t.book.issue(sale(1000 + i));
    if (i === 2) qr = issued.qr;
  }
  publicKey = (await t.book.keys())[0]!.publicKey;
  const text = await t.book.export();
  lines = text.split('\n');
  good = join(dir, 'T01.jsonl');
  writeFileSync(good, text);
}, 180_000);

describe('yibao-guard verify', () => {
  it('passes a whole export, in both languages, with exit code 0', async () => {
    const result = await cli(good, '--key', publicKey);
    expect(result.code).toBe(0);
    expect(result.out).toContain('票据链核验 / invoice chain verification: P22010100001 / T01');
    expect(result.out).toContain('结论 / verdict: 通过 PASS');
    expect(result.out).toMatch(/第 1–5 号 \/ seq 1–5/);
    expect(result.out).not.toContain('⚠');
  });

  it('warns when the only keys are the export’s own', async () => {
    const result = await cli(good);
    expect(result.code).toBe(0);
    expect(result.out).toContain('⚠ 公钥取自导出文件本身');
  });

  it('fails a tampered export with exit code 1 and one line per problem with its seq and line', async () => {
    const record = JSON.parse(lines[3]!);
    record.body.split.cashFen -= 100;
    record.body.split.fundFen += 100;
    const tampered = [...lines.slice(0, 3), JSON.stringify(record), ...lines.slice(5)].join('\n'); // seq 3 altered, seq 4 deleted
    const file = join(dir, 'tampered.jsonl');
    writeFileSync(file, tampered);
    const result = await cli(file, `--key=T01-K1=${publicKey}`);
    expect(result.code).toBe(1);
    expect(result.out).toContain('结论 / verdict: 不通过 FAIL — 2 个问题 / 2 problems:');
    const problems = result.out.split('\n').filter((l) => l.startsWith('  ✗'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^ {2}✗ 第 3 号 seq 3 · 第 4 行 line 4 · \[altered\] 第 3 号在开具后被改动.+ \/ invoice 3 was changed.+/,
    );
    expect(problems[1]).toMatch(/^ {2}✗ 第 4 号 seq 4 · 第 5 行 line 5 · \[deleted\] 第 4 号被删除/);
  });

  it('verifies a receipt QR with a key, or with the export, and fails a changed one', async () => {
    const withKey = await cli(qr, '--key', publicKey);
    expect(withKey.code).toBe(0);
    expect(withKey.out).toContain('第 3 号 / seq 3 · 销售 sale');
    expect(withKey.out).toContain('金额 / total ¥10.02');
    expect(withKey.out).toContain('平台查验 / ask the platform (YG02)');
    const withExport = await cli(qr, '--export', good);
    expect(withExport.code).toBe(0);
    expect(withExport.out).toContain('导出文件中有这张票据');
    const parts = qr.split('*');
    parts[6] = '1';
    const changed = await cli(parts.join('*'), '--key', publicKey);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/✗ 第 3 号 seq 3 · \[bad-signature\] 二维码签名校验失败/);
    const noKey = await cli(qr);
    expect(noKey.code).toBe(1);
    expect(noKey.out).toContain('--key');
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli('missing.jsonl')).code).toBe(2);
    expect((await cli(good, '--key', 'short')).code).toBe(2);
    expect((await cli(good, '--frobnicate')).code).toBe(2);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('yibao-guard verify <export.jsonl>');
  });

  it("passes the receipt-format vectors and says where the till's clock was set back", async () => {
    const vectors = JSON.parse(readFileSync(join(root, 'docs/yibao-receipt-format-v1.json'), 'utf8')) as {
      export: { text: string };
      keys: { keyId: string; publicKey: string }[];
    };
    const file = join(dir, 'vectors.jsonl');
    writeFileSync(file, vectors.export.text);
    const result = await cli(file, ...vectors.keys.flatMap((k) => ['--key', `${k.keyId}=${k.publicKey}`]));
    expect(result.code).toBe(0);
    expect(result.out).toContain("seq 6 was issued with the till's clock 60 min behind the chain");
    expect(result.out).toContain('第 6 号开具时终端时钟比票据链慢 60 分钟');
  });

  it('prints the report as JSON for tools', async () => {
    const result = await cli(good, '--key', publicKey, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ ok: true, count: 5, keysFrom: 'given' });
  });
});
