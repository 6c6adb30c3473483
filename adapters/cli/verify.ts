import { existsSync, readFileSync } from 'node:fs';
import { fenToYuan } from '../../src/index.js';
import { formatCstTime } from '../../src/platform/index.js';
import {
  invoiceHash,
  parseInvoiceQr,
  verifyInvoiceExport,
  verifyInvoiceQr,
  type InvoiceExportReport,
  type InvoiceIssue,
  type InvoiceKey,
  type InvoiceQr,
} from '../../src/invoice/index.js';
import { parseCommand, usageError, type CliIo } from './args.js';
import { CliUsageError } from './usage-error.js';
import { defined } from '../../src/defined.js';

/*
 * `yibao-guard verify`: the inspector's command. Reads a chain export (JSONL) or a receipt's QR text, verifies it,
 * and prints a verdict in Chinese and English: one line per problem, with the invoice number and, for an export,
 * the line of the file. Exit 0 only when nothing is wrong; 1 when something is; 2 for a usage error.
 */

export const VERIFY_USAGE = `用法 / usage:
  yibao-guard verify <export.jsonl> [--key [KEYID=]PUBKEY]...          核验票据链导出文件 / verify a chain export
  yibao-guard verify '<QR text>' (--key [KEYID=]PUBKEY | --export <export.jsonl>)   核验票据二维码 / verify a receipt QR
选项 / options:
  --key     登记的终端公钥（base64url），可多次给出 / a registered terminal public key (base64url), repeatable
  --export  票据链导出文件：提供公钥，并核对该票据在链中 / a chain export: its keys, and the receipt must be in it
  --json    输出 JSON 报告 / print the report as JSON`;

const QR_KIND: Record<InvoiceQr['kind'], string> = {
  sale: '销售 sale',
  refund: '退费 refund',
  void: '作废 void',
  'key-rotation': '密钥更换 key rotation',
  'catch-up': '补签 catch-up',
};

interface Options {
  readonly target: string;
  readonly keys: readonly { readonly keyId?: string; readonly publicKey: string }[];
  readonly exportPath?: string;
  readonly json: boolean;
}

/** The usage error for a `--key` that is no base64url public key. */
function badKey(): CliUsageError {
  const zh = '--key 须为 base64url 公钥（43 个字符），可加“密钥编号=”前缀';
  return new CliUsageError(
    'USAGE_BAD_VALUE',
    zh,
    '--key takes a base64url public key (43 characters), optionally KEYID=',
  );
}

/** The options, or a usage error already printed (`--help`: the usage, exit 0). */
function parseOptions(args: readonly string[], io: CliIo): Options | { code: 0 | 2 } {
  const parsed = parseCommand(args, io, {
    usage: VERIFY_USAGE,
    options: {
      key: { type: 'string', multiple: true, default: [] },
      export: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    positionals: true,
  });
  if ('code' in parsed) return parsed;
  const { values, positionals } = parsed;
  const refuse = (error: CliUsageError) => usageError(io, VERIFY_USAGE, error);
  const keys: { keyId?: string; publicKey: string }[] = [];
  for (const text of values.key) {
    const match = /^(?:([A-Za-z0-9][A-Za-z0-9._:-]{0,63})=)?([\w-]{43})$/.exec(text);
    if (!match) return refuse(badKey());
    keys.push({ ...defined({ keyId: match[1] || undefined }), publicKey: match[2] as string });
  }
  if (values.export === '')
    return refuse(new CliUsageError('USAGE_MISSING_VALUE', '--export 须给出文件', '--export takes a file'));
  const [target, ...more] = positionals;
  if (target === undefined)
    return refuse(
      new CliUsageError('USAGE_MISSING_ARGUMENT', '请给出导出文件或二维码内容', 'give an export file or a QR text'),
    );
  if (more.length > 0) {
    return refuse(
      new CliUsageError(
        'USAGE_UNEXPECTED_ARGUMENT',
        '只能核验一个文件或一个二维码',
        'verify one file or one QR text at a time',
      ),
    );
  }
  return { target, keys, json: values.json, ...(values.export === undefined ? {} : { exportPath: values.export }) };
}

/** Keys given as `--key`: a bare public key takes the key id the export or QR gives it. */
function resolveKeys(
  given: Options['keys'],
  named: readonly InvoiceKey[],
  fallbackKeyId: string | undefined,
): InvoiceKey[] | undefined {
  if (given.length === 0) return undefined;
  return given.map((k) => ({
    keyId: k.keyId ?? named.find((n) => n.publicKey === k.publicKey)?.keyId ?? fallbackKeyId ?? 'KEY',
    publicKey: k.publicKey,
  }));
}

function issueLine(issue: InvoiceIssue, file: boolean): string {
  const where = [
    issue.seq === null ? null : `第 ${issue.seq} 号 seq ${issue.seq}`,
    file ? (issue.index < 0 ? '文件头 header (line 1)' : `第 ${issue.index + 2} 行 line ${issue.index + 2}`) : null,
  ]
    .filter(Boolean)
    .join(' · ');
  return `  ✗ ${where}${where ? ' · ' : ''}[${issue.kind}] ${issue.detail.zh} / ${issue.detail.en}`;
}

function verdict(ok: boolean, count: number): string {
  return ok
    ? '结论 / verdict: 通过 PASS — 未发现问题 / nothing wrong found'
    : `结论 / verdict: 不通过 FAIL — ${count} 个问题 / ${count} problem${count === 1 ? '' : 's'}:`;
}

function readText(path: string): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(readFileSync(path));
}

/**
 * Runs `yibao-guard verify` and resolves with the exit code. `io` receives what a user reads.
 *
 * @example
 * process.exitCode = await runVerify(['T01.jsonl', '--key', pubkey], io)
 */
export async function runVerify(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(args, io);
  if ('code' in options) return options.code;
  const looksLikeQr = options.target.trim().startsWith('YG1*');
  if (!looksLikeQr && !existsSync(options.target)) {
    io.err(`找不到文件，也不是票据二维码 / no such file, and not a receipt QR text: ${options.target}`);
    return 2;
  }
  try {
    return looksLikeQr ? await verifyQr(options, io) : await verifyExport(options.target, options, io);
  } catch (error) {
    io.err(`核验失败 / verification failed: ${String(error)}`);
    return 2;
  }
}

async function verifyExport(path: string, options: Options, io: CliIo): Promise<number> {
  const text = readText(path);
  const end = text.indexOf('\n');
  const firstLine = end < 0 ? text : text.slice(0, end);
  let header: { keys?: InvoiceKey[] } = {};
  try {
    header = JSON.parse(firstLine) as { keys?: InvoiceKey[] };
  } catch {
    header = {};
  }
  const keys = resolveKeys(options.keys, Array.isArray(header.keys) ? header.keys : [], header.keys?.[0]?.keyId);
  const report = await verifyInvoiceExport(text, keys);
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  printExport(path, report, io);
  return report.ok ? 0 : 1;
}

function printExport(path: string, report: InvoiceExportReport, io: CliIo): void {
  const h = report.header;
  io.out(
    `票据链核验 / invoice chain verification: ${h ? `${h.pharmacyCode} / ${h.terminalId}` : '(文件头无法读取 / header unreadable)'}`,
  );
  io.out(`  文件 / file: ${path}`);
  io.out(
    `  记录 / records: ${report.count}${report.first === undefined ? '' : `（第 ${report.first}–${report.last} 号 / seq ${report.first}–${report.last}）`}` +
      `；已签名 / signed ${report.signed}；未签名 / unsigned ${report.unsigned}（已补签 / covered by catch-up ${report.unsignedCovered}）`,
  );
  if (h) io.out(`  导出时间 / exported: ${formatCstTime(h.exportedAt)} (CST)`);
  if (report.head) io.out(`  链尾 / head: 第 ${report.head.seq} 号 / seq ${report.head.seq}, hash ${report.head.hash}`);
  for (const key of report.keys)
    io.out(
      `  公钥 / key: ${key.keyId} ${key.publicKey} (${key.source === 'given' ? (report.keysFrom === 'given' ? '命令行给出 / given' : '导出文件头 / export header') : '由密钥更换记录引入 / introduced by a key rotation'})`,
    );
  if (report.keysFrom === 'export') {
    io.out(
      '  ⚠ 公钥取自导出文件本身：只能证明文件完整自洽；请用 --key 给出医保平台登记的公钥 / keys taken from the export itself: this proves the file intact and self-consistent only; pass the platform-registered key with --key',
    );
  }
  // Not a fault of the chain (it verifies), but worth a question to the pharmacy: the till's clock was set back.
  for (const c of report.clockBehind ?? []) {
    io.out(
      `  ⚠ 第 ${c.seq} 号开具时终端时钟比票据链慢 ${Math.round(c.behindMs / 60_000)} 分钟（时钟被调回）/ seq ${c.seq} was issued with the till's clock ${Math.round(c.behindMs / 60_000)} min behind the chain (clock set back)`,
    );
  }
  io.out(verdict(report.ok, report.issues.length));
  for (const issue of report.issues) io.out(issueLine(issue, true));
}

async function verifyQr(options: Options, io: CliIo): Promise<number> {
  let qr: InvoiceQr | undefined;
  try {
    qr = await parseInvoiceQr(options.target);
  } catch {
    qr = undefined;
  }
  let exportReport: InvoiceExportReport | undefined;
  let exportText: string | undefined;
  if (options.exportPath !== undefined) {
    if (!existsSync(options.exportPath)) {
      io.err(`找不到导出文件 / no such export file: ${options.exportPath}`);
      return 2;
    }
    exportText = readText(options.exportPath);
  }
  const exportKeys: InvoiceKey[] = [];
  if (exportText !== undefined) {
    exportReport = await verifyInvoiceExport(exportText, resolveKeys(options.keys, [], qr?.keyId));
    exportKeys.push(...exportReport.keys.map(({ keyId, publicKey }) => ({ keyId, publicKey })));
  }
  const keys = resolveKeys(options.keys, exportKeys, qr?.keyId) ?? exportKeys;
  const report = await verifyInvoiceQr(options.target, keys);
  const issues: InvoiceIssue[] = [...report.issues];
  if (report.qr && keys.length === 0) {
    issues.push({
      kind: 'key-not-valid',
      index: 0,
      seq: report.qr.seq,
      detail: { zh: '未提供公钥：请用 --key 或 --export 给出', en: 'no key to verify with: give --key or --export' },
    });
  }
  let inChain: boolean | undefined;
  if (report.qr && exportText !== undefined) {
    const line = exportText
      .split('\n')
      .slice(1)
      .find((l) => {
        try {
          return (JSON.parse(l) as { body?: { seq?: number } }).body?.seq === report.qr?.seq;
        } catch {
          return false;
        }
      });
    inChain = line !== undefined && (await invoiceHash(JSON.parse(line))) === report.qr.hash;
    if (!inChain) {
      issues.push({
        kind: line === undefined ? 'deleted' : 'altered',
        index: 0,
        seq: report.qr.seq,
        detail:
          line === undefined
            ? { zh: '导出文件中没有这张票据', en: 'the export does not contain this invoice' }
            : {
                zh: '导出文件中该号票据与二维码所示不同',
                en: 'the export holds a different invoice under this number',
              },
      });
    }
    if (exportReport && !exportReport.ok) {
      issues.push({
        kind: 'altered',
        index: 0,
        seq: null,
        detail: {
          zh: `导出文件本身有 ${exportReport.issues.length} 个问题（单独核验该文件查看）`,
          en: `the export itself has ${exportReport.issues.length} problem(s) (verify the file on its own to see them)`,
        },
      });
    }
  }
  const ok = issues.length === 0;
  if (options.json) {
    io.out(JSON.stringify({ ...report, ok, issues, ...(inChain === undefined ? {} : { inExport: inChain }) }, null, 2));
    return ok ? 0 : 1;
  }
  io.out('票据二维码核验 / receipt QR verification');
  const q = report.qr;
  if (q) {
    io.out(
      `  药店 / pharmacy ${q.pharmacyCode} · 终端 / terminal ${q.terminalId} · 第 ${q.seq} 号 / seq ${q.seq} · ${QR_KIND[q.kind]}`,
    );
    io.out(`  开具时间 / issued ${formatCstTime(q.issuedAt)} (CST) · 金额 / total ¥${fenToYuan(q.totalFen)}`);
    io.out(`  记录哈希 / record hash ${q.hash} · 密钥 / key ${q.keyId}`);
    if (inChain) io.out('  ✓ 导出文件中有这张票据 / the export contains this invoice');
  }
  io.out(verdict(ok, issues.length));
  for (const issue of issues) io.out(issueLine(issue, false));
  if (q)
    io.out(
      `  平台查验 / ask the platform (YG02): fixmedins_code=${q.pharmacyCode} terminal_id=${q.terminalId} seq=${q.seq} hash=${q.hash}`,
    );
  return ok ? 0 : 1;
}
