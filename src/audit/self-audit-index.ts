/*
 * What a self-audit reads before it replays (see `selfAudit` in self-audit.ts): which sales there are, in the
 * order they settled, and the overrides the audit trail holds for the period's sales.
 */
import type { OverrideAuditEvent } from '../schemas/audit.js';
import { isSaleRecord } from './record-shape.js';
import { checkAbort, note, progress, type AuditRun } from './self-audit-run.js';
import { defined } from '../defined.js';

/** The sales to replay, key and time only, from `historyFrom` to the end of the period. */
export interface SaleIndex {
  /** In settlement order (then key order). */
  readonly sales: readonly { key: string; at: number }[];
  /** The keys of the period's sales (the others only feed the history). */
  readonly inPeriod: ReadonlySet<string>;
  readonly periodSaleIds: ReadonlySet<string>;
  /** Whether key order is settlement order, so the replay can stream the store again. */
  readonly chronological: boolean;
  /** Lines of the period's sales. */
  readonly periodLines: number;
}

/** Pass 1: which sales there are, in key order, a page at a time: key and time only. */
export async function indexSales(run: AuditRun, historyFrom: number): Promise<SaleIndex> {
  const { storage } = run.options;
  const sales: { key: string; at: number }[] = [];
  const inPeriod = new Set<string>();
  const periodSaleIds = new Set<string>();
  let chronological = true;
  let lastAt = -Infinity;
  let read = 0;
  let periodLines = 0;
  for (let after: string | undefined; ;) {
    checkAbort(run);
    const page = await storage.list('sales', { ...defined({ after }), limit: run.pageSize });
    for (const { key, value } of page) {
      read++;
      if (!isSaleRecord(value)) {
        note(
          run,
          'record-unreadable',
          '部分销售记录格式不正确，未能复核',
          'Some sale records are not readable and were not replayed',
        );
        continue;
      }
      if (value.settledAt < historyFrom || value.settledAt >= run.to) continue;
      if (value.settledAt < lastAt) chronological = false;
      lastAt = value.settledAt;
      sales.push({ key, at: value.settledAt });
      if (value.settledAt >= run.from) {
        inPeriod.add(key);
        periodSaleIds.add(value.saleId);
        periodLines += value.lines.length;
      }
    }
    const linesTotal = periodLines;
    progress(run, { phase: 'indexing', salesDone: read, salesTotal: 0, linesDone: 0, linesTotal, findings: 0 });
    if (page.length < run.pageSize) break;
    after = page[page.length - 1]?.key;
  }
  sales.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { sales, inPeriod, periodSaleIds, chronological, periodLines };
}

/**
 * Overrides from the audit trail, for sales of the period, by sale and finding: the record's own review says the
 * same, but a record written before the override reached it (or by an older till) still gets its reason.
 */
export async function readJournalOverrides(
  run: AuditRun,
  periodSaleIds: ReadonlySet<string>,
): Promise<Map<string, Map<string, OverrideAuditEvent>>> {
  const journalOverrides = new Map<string, Map<string, OverrideAuditEvent>>();
  for (let after = 0; ;) {
    checkAbort(run);
    const page = await run.options.storage.read('audit', { after, limit: run.pageSize });
    for (const { value } of page) {
      if (value.kind !== 'finding-override' || !periodSaleIds.has(value.saleId)) continue;
      let bySale = journalOverrides.get(value.saleId);
      if (!bySale) journalOverrides.set(value.saleId, (bySale = new Map()));
      bySale.set(value.finding.findingId, value);
    }
    if (page.length < run.pageSize) break;
    after = page[page.length - 1]?.seq ?? after;
  }
  return journalOverrides;
}
