/*
 * The problem ledger as CSV for Excel and WPS: UTF-8 with a byte-order mark (without it Excel on a Chinese Windows
 * reads the file as GBK and shows mojibake), CRLF line ends, RFC 4180 quoting, Chinese headers with the English in
 * brackets. Imports nothing from the core at run time.
 */
import { OUTCOME_TEXT, SEVERITY_TEXT, yuan } from './format.js';
import type { LedgerEntry, LedgerSummaryRow, SelfAuditReport } from './types.js';

/** Which table of the report a CSV holds. */
export type AuditCsvTable = 'ledger' | 'rules' | 'months' | 'products' | 'operators';

const BOM = '\uFEFF';

/**
 * One CSV field: quoted when it holds a comma, quote, CR or LF; a text that a spreadsheet would take for a formula
 * (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with an apostrophe, so a note typed at the till cannot
 * run as one (CSV injection).
 */
function field(value: string | number | null | undefined, text = true): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
  numeric: ReadonlySet<number>,
): string {
  const lines = [header.map((h) => field(h)).join(',')];
  for (const row of rows) lines.push(row.map((v, i) => field(v, !numeric.has(i))).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

const LEDGER_HEADER = [
  '序号 (No.)',
  '销售单号 (Sale ID)',
  '结算日期 (Date, CST)',
  '药店编码 (Pharmacy)',
  '终端 (Terminal)',
  '收银员 (Operator)',
  '明细号 (Line)',
  '商品编码 (Product ID)',
  '商品名称 (Product)',
  '医保编码 (Insurance code)',
  '规则编号 (Rule ID)',
  '问题类型 (Rule)',
  '严重程度 (Severity)',
  '问题描述 (Finding)',
  '明细金额（元） (Amount, yuan)',
  '医保支付（元） (Insured, yuan)',
  '已退回（元） (Refunded, yuan)',
  '涉及基金金额（元） (Fund at stake, yuan)',
  '收银时处理 (At the till)',
  '忽略原因 (Override reason)',
  '忽略说明 (Override note)',
  '忽略人 (Overridden by)',
  '规则包版本 (Rule pack)',
  '来源 (Origin)',
];
const LEDGER_NUMERIC = new Set([0, 14, 15, 16, 17, 22]);

function ledgerRow(e: LedgerEntry, i: number): (string | number | null | undefined)[] {
  return [
    i + 1,
    e.saleId,
    e.date,
    e.pharmacyCode,
    e.terminalId,
    e.operatorId,
    e.lineId ?? '整单 (whole sale)',
    e.productId,
    e.productName,
    e.medListCode,
    e.ruleId,
    e.ruleTitle.zh,
    `${SEVERITY_TEXT[e.severity].zh} (${SEVERITY_TEXT[e.severity].en})`,
    e.summary.zh,
    yuan(e.amountFen),
    yuan(e.insuredFen),
    yuan(e.refundedFen),
    yuan(e.atStakeFen),
    `${OUTCOME_TEXT[e.tillOutcome].zh} (${OUTCOME_TEXT[e.tillOutcome].en})`,
    e.override
      ? e.override.reasonLabel
        ? `${e.override.reasonLabel.zh} (${e.override.reasonCode})`
        : e.override.reasonCode
      : '',
    e.override?.note,
    e.override?.operatorId,
    e.packVersion,
    e.origin === 'replay' ? '复核 (replay)' : '收银记录 (till)',
  ];
}

const SUMMARY_KEY: Readonly<Record<Exclude<AuditCsvTable, 'ledger'>, string>> = {
  rules: '规则 (Rule)',
  months: '月份 (Month)',
  products: '商品编码 (Product ID)',
  operators: '收银员 (Operator)',
};

function summaryCsv(table: Exclude<AuditCsvTable, 'ledger'>, rows: readonly LedgerSummaryRow[]): string {
  const header = [
    SUMMARY_KEY[table],
    '名称 (Name)',
    '问题数 (Findings)',
    '禁止 (Block)',
    '警告 (Warning)',
    '提示 (Info)',
    '收银时已忽略 (Overridden)',
    '涉及单数 (Sales)',
    '涉及明细数 (Lines)',
    '涉及基金金额（元） (Fund at stake, yuan)',
  ];
  return csv(
    header,
    rows.map((r) => [
      r.key,
      r.label?.zh,
      r.findings,
      r.block,
      r.warning,
      r.info,
      r.overridden,
      r.sales,
      r.lines,
      yuan(r.atStakeFen),
    ]),
    new Set([2, 3, 4, 5, 6, 7, 8, 9]),
  );
}

/**
 * A table of a self-audit report as CSV text (BOM first, CRLF): the ledger by default, or a summary.
 *
 * @example
 * writeFileSync('问题台账.csv', renderAuditCsvNow(report))
 */
export function renderAuditCsvNow(report: SelfAuditReport, options: { readonly table?: AuditCsvTable } = {}): string {
  const table = options.table ?? 'ledger';
  switch (table) {
    case 'ledger':
      return csv(LEDGER_HEADER, report.entries.map(ledgerRow), LEDGER_NUMERIC);
    case 'rules':
      return summaryCsv(table, report.byRule);
    case 'months':
      return summaryCsv(table, report.byMonth);
    case 'products':
      return summaryCsv(table, report.byProduct);
    case 'operators':
      return summaryCsv(table, report.byOperator);
  }
}
