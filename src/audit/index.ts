/**
 * yibao-guard/audit: 自查自纠: the self-audit over past sales and its problem ledger (问题台账). Plain modules, imported
 * statically: a
 * self-audit that is only shown on screen never references the CSV and HTML renderers, and an app's bundler leaves
 * them out (or in a chunk of its own, where the app splits at its own `import()`).
 *
 * @packageDocumentation
 */
import type * as Csv from './report-csv.js';
import { renderAuditCsvNow } from './report-csv.js';
import { renderAuditHtmlNow } from './report-html.js';
import { catalogFromSales as catalogOf } from './catalog-from-sales.js';
import { selfAudit as replay } from './self-audit.js';
import type { SelfAuditOptions, SelfAuditReport } from './types.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { Catalog } from '../catalog/product-catalog.js';
import type { Storage } from '../storage/contract.js';

export type { AuditCsvTable } from './report-csv.js';
export type {
  SelfAuditOptions,
  SelfAuditProgress,
  SelfAuditReport,
  LedgerEntry,
  LedgerOverride,
  LedgerSummaryRow,
  LedgerTotals,
  AuditPackUse,
  AuditNote,
  TillOutcome,
} from './types.js';

/**
 * 自查自纠: replays every sale settled in `[from, to)` through the rule engine and returns the problem ledger
 * (问题台账), with summaries by rule, month, product and operator and the fund money at stake (see `LedgerEntry`).
 *
 * Each sale is replayed under the rule pack in force when it settled (its record's `review.packVersion`, from the
 * packs installed in `storage` or given as `packs`), or under `rulePack` for every sale, to see what today's rules
 * would have caught. Sales are replayed in the order they settled, each buyer's history growing as they go (repeat
 * purchases, day and year ceilings, usual volumes and 回流药 see every earlier sale from `historyFrom` on); refunds
 * take effect at their own time. Storage is read a page at a time: memory holds the index of the period's sales
 * (key and time), the buyers' recent history and the ledger, never every sale at once.
 *
 * Adapted to what records keep: a prescription's patient is matched by person number (records hold no 身份证);
 * where a record has no person number for the patient, or shows the prescription as dispensed, the replay takes what
 * the till saw from the till's own findings, so honest sales stay clean and problems found then stay found. Warnings
 * overridden at the till that the replay cannot check again (the platform's findings; stock warnings without
 * `stockAt`) are carried into the ledger (`origin: 'till'`).
 *
 * Throws `INVALID_INPUT` (a period that is not one, a `rulePack` the engine cannot run) and `AUDIT_CANCELLED`
 * (`signal` aborted); storage errors pass through.
 *
 * @example
 * const report = await selfAudit({ storage, catalog, from: '2026-01-01', to: '2027-01-01', onProgress: (p) => bar(p) })
 * report.totals.atStakeFen   // fund money at stake, 分
 * const page = await renderAuditHtml(report)
 */
export async function selfAudit(options: SelfAuditOptions): Promise<SelfAuditReport> {
  return replay(options);
}

/**
 * A stand-in catalog built from what the sales' lines say about their products (id, 医保 code, name, the 追溯码
 * prefix most of their boxes carry), for a self-audit where the product master is not at hand. It knows nothing of
 * 处方药, daily doses, payment restrictions or key drugs, so the rules that need those facts find nothing: give the
 * real catalog whenever there is one.
 *
 * @example
 * const report = await selfAudit({ storage, catalog: await catalogFromSales(storage), from, to })
 */
export async function catalogFromSales(
  storage: Storage<TerminalLayout>,
  options: { readonly pageSize?: number } = {},
): Promise<Catalog> {
  return catalogOf(storage, options);
}

/**
 * A table of a self-audit report as CSV for Excel/WPS: UTF-8 with a byte-order mark, CRLF, quoted fields, Chinese
 * headers with the English in brackets, amounts in yuan. The ledger by default; `table` picks a summary instead.
 *
 * @example
 * await writeFile('问题台账.csv', await renderAuditCsv(report))                       // Node
 * new Blob([await renderAuditCsv(report, { table: 'rules' })], { type: 'text/csv' }) // browser download
 */
export async function renderAuditCsv(
  report: SelfAuditReport,
  options: { readonly table?: Csv.AuditCsvTable } = {},
): Promise<string> {
  return renderAuditCsvNow(report, options);
}

/**
 * A self-audit report as one self-contained HTML page: totals, notes, the rule packs used, a bar chart of fund at
 * stake by rule and a monthly trend (inline SVG), the summaries by rule, month, product and operator, and the full
 * ledger. No script and no external file; every text escaped; prints on A4 landscape.
 *
 * @example
 * await writeFile('self-audit.html', await renderAuditHtml(report, { title: '示范大药房 2026 年度自查' }))
 */
export async function renderAuditHtml(
  report: SelfAuditReport,
  options: { readonly title?: string; readonly generatedAt?: string } = {},
): Promise<string> {
  return renderAuditHtmlNow(report, options);
}
