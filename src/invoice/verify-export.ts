/*
 * Reading and verifying a chain export (the format: see export.ts). For inspectors and the CLI: a till that only
 * writes exports never loads this.
 */
import type { InvoiceExportHeader } from '../schemas/invoice.js';
import { headerSigningText } from './export.js';
import { ed25519Verifier, type Ed25519Choice } from './webcrypto.js';
import {
  verifyEntries,
  type ChainEntry,
  type ChainReport,
  type InvoiceIssue,
  type InvoiceKey,
  type VerifyChainOptions,
} from './verify.js';
import { InputError } from '../errors/areas.js';
import { InvoiceExportHeaderSchema } from '../schemas/invoice.js';
import { canonicalJson } from '../canonical-json.js';
import { fromBase64Url } from '../crypto/index.js';

import { defined } from '../defined.js';

/** What {@link verifyInvoiceExport} found: the chain report, with the header and where the keys came from. */
export interface InvoiceExportReport extends ChainReport {
  /** The header, when it could be read. */
  readonly header?: InvoiceExportHeader;
  /** `given`: checked against keys the caller trusts; `export`: against the keys the export lists itself. */
  readonly keysFrom: 'given' | 'export';
}

const problem = (zh: string, en: string) => ({ zh, en });

/**
 * Splits an export into its header and record entries, each line checked to be canonical JSON; never throws for
 * what is in `text` (what cannot be read becomes a problem of its line).
 *
 * @example
 * const { header, entries } = readInvoiceExport(text)
 */
export function readInvoiceExport(text: string): {
  header?: InvoiceExportHeader;
  headerProblem?: { zh: string; en: string };
  entries: ChainEntry[];
} {
  if (typeof text !== 'string')
    throw new InputError('INVALID_INPUT', {
      message: 'An invoice export is text',
      messageZh: '票据链导出文件应为文本',
      field: 'text',
    });
  const lines = text.split('\n');
  const terminated = lines[lines.length - 1] === '';
  if (terminated) lines.pop();
  const read = (line: string, last: boolean): { value?: unknown; problem?: { zh: string; en: string } } => {
    if (last && !terminated)
      return {
        problem: problem(
          '文件末行没有换行：文件被截断或改动',
          'the last line has no line ending: the file was cut short or changed',
        ),
      };
    if (line === '') return { problem: problem('空行', 'an empty line') };
    try {
      return { value: JSON.parse(line) as unknown };
    } catch {
      return { problem: problem('不是有效的 JSON', 'not valid JSON') };
    }
  };
  const [first = '', ...rest] = lines;
  const top = read(first, rest.length === 0);
  let header: InvoiceExportHeader | undefined;
  let headerProblem = top.problem;
  if (!headerProblem) {
    const parsed = InvoiceExportHeaderSchema.safeParse(top.value);
    if (!parsed.success)
      headerProblem = problem(
        '不是 yibao-guard 票据链导出文件头',
        `not a yibao-guard chain export header (${parsed.error.issues[0]?.path.join('.') ?? ''})`,
      );
    else if (canonicalJson(top.value) !== first)
      headerProblem = problem(
        '文件头不是规范 JSON 形式：文件被改动过',
        'the header is not in canonical JSON form: the file was changed',
      );
    else header = parsed.data;
  }
  const entries = rest.map((line, i): ChainEntry => {
    const { value, problem: p } = read(line, i === rest.length - 1);
    return p ? { problem: p } : { value, text: line };
  });
  return { ...defined({ header, headerProblem }), entries };
}

/**
 * Verifies a chain export: its header (form, signature, the head it names) and every record (see `verifyChain`).
 * Issues of the header have index -1; a record's index is its line number minus 2. Without `keys`, the keys the
 * export lists are used (`keysFrom: 'export'`): that proves the file is intact and self-consistent, not that
 * the keys are the terminal's: compare them with the platform's registry.
 *
 * @example
 * const report = await verifyInvoiceExport(readFileSync('T01.jsonl', 'utf8'), registeredKeys)
 * for (const issue of report.issues) console.log(`line ${issue.index + 2}`, issue.detail.zh)
 */
export async function verifyInvoiceExport(
  text: string,
  keys?: readonly InvoiceKey[],
  options: Ed25519Choice = {},
): Promise<InvoiceExportReport> {
  const { header, headerProblem, entries } = readInvoiceExport(text);
  const keysFrom = keys ? 'given' : 'export';
  const trusted = keys ?? header?.keys ?? [];
  const headerIssues: InvoiceIssue[] = [];
  const at = (kind: InvoiceIssue['kind'], zh: string, en: string) =>
    headerIssues.push({ kind, index: -1, seq: null, detail: { zh, en } });
  let verified = false;
  if (headerProblem) at('malformed', `导出文件头：${headerProblem.zh}`, `export header: ${headerProblem.en}`);
  else if (header && header.sig === null)
    at(
      'unsigned',
      '导出文件头未签名（导出时密钥不可用）：无法排除末尾记录被删除',
      'the export header is not signed (the key was unavailable at export): records cut off the end cannot be ruled out',
    );
  else if (header && header.sig !== null) {
    // The header's key: a trusted one, or one a rotation record in the file introduces (whose trust the chain report
    // settles).
    const rotated = entries
      .map(
        (e) =>
          (e.value as { body?: { newKey?: { keyId?: unknown; publicKey?: unknown } } } | null | undefined)?.body
            ?.newKey,
      )
      .find((k) => k?.keyId === header.keyId && typeof k.publicKey === 'string');
    const publicKey =
      trusted.find((k) => k.keyId === header.keyId)?.publicKey ?? (rotated?.publicKey as string | undefined);
    const { sig, ...unsigned } = header;
    const verifier = await ed25519Verifier(options);
    let sigBytes: Uint8Array | undefined;
    try {
      sigBytes = fromBase64Url(sig);
    } catch {
      sigBytes = undefined;
    }
    verified =
      publicKey !== undefined &&
      sigBytes !== undefined &&
      (await verifier.verify(publicKey, sigBytes, new TextEncoder().encode(headerSigningText(unsigned))));
    if (!verified)
      at(
        'bad-signature',
        `导出文件头签名校验失败（密钥 ${header.keyId ?? '无'}）：文件头被改动`,
        `the export header's signature does not verify with key ${header.keyId ?? '(none)'}: the header was changed`,
      );
  }
  const chainOptions: VerifyChainOptions = {
    ...options,
    ...(header ? { from: header.from } : {}),
    ...(header && verified && header.head ? { head: header.head } : {}),
  };
  let report: ChainReport;
  try {
    report = await verifyEntries(entries, trusted, chainOptions);
  } catch (error) {
    // Keys the export lists itself that contradict each other: a header problem, not the caller's.
    if (keys || !(error instanceof InputError)) throw error;
    at('malformed', '导出文件头列出的公钥互相矛盾', 'the export header lists contradictory keys');
    report = await verifyEntries(entries, [], chainOptions);
  }
  const issues = [...headerIssues, ...report.issues];
  return { ...report, ok: issues.length === 0, issues, ...defined({ header }), keysFrom };
}
