/*
 * Pass 2 of the self-audit (see `selfAudit` in self-audit.ts): every sale replayed through the rules in the order
 * the sales settled, each buyer's history growing as it goes, and the period's findings written to the ledger.
 */
// The rule engine is not part of the root entry's static graph (see src/engine.ts): import it directly.
import { reviewSale } from '../rules/review.js';
import type { CompiledPack } from '../rules/compile.js';
import type { BuyerFacts } from '../rules/context.js';
import type { SaleRecord, SaleRecordPrescription } from '../sale/record.js';
import type { OverrideAuditEvent } from '../schemas/audit.js';
import type { Finding } from '../schemas/finding.js';
import type { Prescription } from '../schemas/prescription.js';
import { formatCstDate } from '../platform/time.js';
import { maskPersonalData } from '../codes/index.js';
import { ReplayHistory } from './replay-purchases.js';
import { RULE_TITLES } from './labels.js';
import { isSaleRecord } from './record-shape.js';
import { lineStakes } from './apportion.js';
import { LedgerSummaries, type LineFacts } from './summary.js';
import { packFor, reasonsOf, type AuditPacks, type PackEntry } from './self-audit-packs.js';
import type { SaleIndex } from './self-audit-index.js';
import { checkAbort, DAY, progress, type AuditRun } from './self-audit-run.js';
import type { LedgerEntry, LedgerOverride, TillOutcome } from './types.js';
import { defined } from '../defined.js';

const PROGRESS_EVERY = 250;

/** What the replay has found and counted so far. */
export interface ReplayState {
  readonly history: ReplayHistory;
  readonly summaries: LedgerSummaries;
  readonly entries: LedgerEntry[];
  readonly pharmacies: Set<string>;
  readonly terminals: Set<string>;
  readonly missingProducts: Set<string>;
  /** Sales replayed, history sales before the period included. */
  done: number;
  /** Lines of the period's sales checked. */
  linesDone: number;
  /** The period's sales replayed. */
  sales: number;
  insuredFen: number;
}

/** What the replay reads: the run, its packs, the index of the sales and the audit trail's overrides. */
interface ReplayContext {
  readonly run: AuditRun;
  readonly packs: AuditPacks;
  readonly index: SaleIndex;
  readonly historyFrom: number;
  readonly journalOverrides: ReadonlyMap<string, ReadonlyMap<string, OverrideAuditEvent>>;
  readonly state: ReplayState;
}

/** Tells the caller how far the replay is. */
export function replayProgress(run: AuditRun, index: SaleIndex, state: ReplayState, phase: 'replaying' | 'done'): void {
  progress(run, {
    phase,
    salesDone: state.done,
    salesTotal: index.sales.length,
    linesDone: state.linesDone,
    linesTotal: index.periodLines,
    findings: state.entries.length,
  });
}

/** Pass 2: the replay, in the order the sales settled. */
export async function replaySales(
  run: AuditRun,
  packs: AuditPacks,
  index: SaleIndex,
  historyFrom: number,
  windowDays: number,
  journalOverrides: ReadonlyMap<string, ReadonlyMap<string, OverrideAuditEvent>>,
): Promise<ReplayState> {
  const state: ReplayState = {
    history: new ReplayHistory(run.options.catalog, windowDays * DAY),
    summaries: new LedgerSummaries(),
    entries: [],
    pharmacies: new Set(),
    terminals: new Set(),
    missingProducts: new Set(),
    done: 0,
    linesDone: 0,
    sales: 0,
    insuredFen: 0,
  };
  const context: ReplayContext = { run, packs, index, historyFrom, journalOverrides, state };
  if (index.chronological) await replayInKeyOrder(context);
  else await replayBySale(context);
  replayProgress(run, index, state, 'replaying');
  return state;
}

/** Keys already in settlement order (time-prefixed sale ids): stream the store again, a page at a time. */
async function replayInKeyOrder(context: ReplayContext): Promise<void> {
  const { run, historyFrom } = context;
  for (let after: string | undefined; ;) {
    checkAbort(run);
    const page = await run.options.storage.list('sales', {
      ...defined({ after }),
      limit: run.pageSize,
    });
    for (const { key, value } of page) {
      if (!isSaleRecord(value) || value.settledAt < historyFrom || value.settledAt >= run.to) continue;
      replayRecord(context, value, key);
    }
    if (page.length < run.pageSize) break;
    after = page[page.length - 1]?.key;
  }
}

/** Keys in another order: fetch each sale in settlement order. */
async function replayBySale(context: ReplayContext): Promise<void> {
  const { run, index } = context;
  for (let i = 0; i < index.sales.length; i++) {
    if (i % run.pageSize === 0) checkAbort(run);
    const { key } = index.sales[i] as { key: string };
    const stored = await run.options.storage.get('sales', key);
    if (!stored || !isSaleRecord(stored.value)) continue;
    replayRecord(context, stored.value, key);
  }
}

/** One sale: replayed and counted when it is of the period, then added to the history either way. */
function replayRecord(context: ReplayContext, record: SaleRecord, key: string): void {
  const { run, packs, state } = context;
  const { catalog } = run.options;
  state.history.advanceTo(record.settledAt);
  if (context.index.inPeriod.has(key)) {
    const pack = packFor(run, packs, record);
    pack.use.sales++;
    state.sales++;
    state.linesDone += record.lines.length;
    state.pharmacies.add(record.pharmacyCode);
    state.terminals.add(record.terminalId);
    const stakes = lineStakes(record);
    const refundedFen = record.refunds.reduce((sum, r) => sum + r.split.fundFen + r.split.accountFen, 0);
    state.insuredFen += Math.max(0, record.split.fundFen + record.split.accountFen - refundedFen);
    for (const line of record.lines) if (!catalog.byId(line.productId)) state.missingProducts.add(line.productId);
    const lineFacts = new Map<string, LineFacts>(
      record.lines.map((l) => {
        const stake = stakes.get(l.lineId);
        const atStakeFen = stake ? stake.insuredFen - stake.refundedFen : 0;
        return [l.lineId, { productId: l.productId, productName: l.name, atStakeFen }];
      }),
    );
    const journal = context.journalOverrides.get(record.saleId);
    for (const entry of replaySale(run, record, pack, state.history, stakes, reasonsOf(packs, record), journal)) {
      state.entries.push(entry);
      state.summaries.add(entry, lineFacts);
    }
  }
  state.history.record(record);
  state.done++;
  if (state.done % PROGRESS_EVERY === 0) replayProgress(run, context.index, state, 'replaying');
}

/** Prescriptions as the rules need them, from what the record keeps (see `selfAudit` for the adaptation). */
function prescriptionsOf(record: SaleRecord, psnNo: string | undefined): Prescription[] {
  const tillSaid = (rx: SaleRecordPrescription, key: string) =>
    record.review.findings.some(
      (f) =>
        f.ruleId === 'rx-required' &&
        f.findingId.endsWith(`:${key}`) &&
        record.lines.some((l) => l.rxNo === rx.rxNo && f.lineId === l.lineId),
    );
  return record.prescriptions.map((rx) => {
    const patientPsn =
      rx.patient.psnNo ?? (psnNo !== undefined && !tillSaid(rx, 'patient') ? psnNo : '(another person)');
    const status = rx.status === 'dispensed' && !tillSaid(rx, 'used') ? 'valid' : rx.status;
    const { patient: _patient, status: _status, ...rest } = rx;
    return { ...rest, status, patient: { psnNo: patientPsn } } as Prescription;
  });
}

/** The findings of one sale replayed, plus those overridden at the till that the replay cannot check again. */
function saleFindings(run: AuditRun, record: SaleRecord, pack: PackEntry, history: ReplayHistory): Finding[] {
  const { options } = run;
  const buyer: BuyerFacts | undefined = record.buyer ? { ...record.buyer.facts } : undefined;
  const stock = options.stockAt?.(record);
  const findings: Finding[] = reviewSale(pack.compiled, options.catalog, {
    lines: record.lines,
    prescriptions: prescriptionsOf(record, buyer?.psnNo),
    ...(buyer ? { buyer, history: history.of(buyer.psnNo) } : {}),
    pharmacy: { agreement: options.agreementAt?.(record.settledAt) ?? 'active' },
    now: record.settledAt,
    soldTraceCodes: history.soldTraceCodes,
    ...defined({ stock }),
  });
  const seen = new Set(findings.map((f) => f.findingId));
  // Overridden at the till but not re-checkable here: the platform's findings, and stock warnings without a stock view.
  for (const f of record.review.findings) {
    if (seen.has(f.findingId) || f.outcome !== 'overridden') continue;
    if (f.source !== 'platform' && !(f.ruleId === 'stock-shortfall' && !options.stockAt)) continue;
    seen.add(f.findingId);
    findings.push({
      findingId: f.findingId,
      ruleId: f.ruleId,
      ...defined({ lineId: f.lineId }),
      severity: f.severity,
      summary: RULE_TITLES[f.ruleId],
      detail: RULE_TITLES[f.ruleId],
      evidence: {},
      actions: [],
      source: 'platform',
    });
  }
  return findings;
}

/** One sale being written to the ledger: what every entry of it reads. */
interface SaleReplay {
  readonly record: SaleRecord;
  readonly pack: PackEntry;
  readonly stakes: ReturnType<typeof lineStakes>;
  /** The pack whose override reasons the pharmacist chose from. */
  readonly reasons: CompiledPack;
  /** The audit trail's overrides for the sale, by finding. */
  readonly journal: ReadonlyMap<string, OverrideAuditEvent> | undefined;
  /** The CST day it settled on. */
  readonly date: string;
  /** Its fund lines: what a finding for the whole sale puts at stake. */
  readonly fundLines: readonly string[];
}

/** One sale replayed under `pack`: its ledger entries (info findings only when the run includes them). */
function replaySale(
  run: AuditRun,
  record: SaleRecord,
  pack: PackEntry,
  history: ReplayHistory,
  stakes: ReturnType<typeof lineStakes>,
  reasons: CompiledPack,
  journal: ReadonlyMap<string, OverrideAuditEvent> | undefined,
): LedgerEntry[] {
  const findings = saleFindings(run, record, pack, history);
  const date = formatCstDate(record.settledAt);
  const fundLines = record.lines.filter((l) => l.payMode === 'fund').map((l) => l.lineId);
  const sale: SaleReplay = { record, pack, stakes, reasons, journal, date, fundLines };
  const entries: LedgerEntry[] = [];
  for (const finding of findings) {
    if (finding.severity === 'info' && !run.includeInfo) continue;
    entries.push(ledgerEntry(sale, finding));
  }
  return entries;
}

/** What became of a finding at the till, and the override given for it (from the record, else the audit trail). */
function tillOutcome(
  sale: SaleReplay,
  finding: Finding,
): { outcome: TillOutcome; override: LedgerOverride | undefined } {
  const till = sale.record.review.findings.find((f) => f.findingId === finding.findingId);
  const logged = sale.journal?.get(finding.findingId);
  const fromJournal = logged
    ? { reasonCode: logged.reasonCode, note: logged.note, by: logged.by.operatorId }
    : undefined;
  const given = till?.override ?? fromJournal;
  const outcome: TillOutcome = till?.outcome === 'overridden' || logged ? 'overridden' : till ? 'shown' : 'not-shown';
  const reason = given ? sale.reasons.overrideReasons.get(given.reasonCode) : undefined;
  const override: LedgerOverride | undefined = given
    ? {
        reasonCode: given.reasonCode,
        ...(reason ? { reasonLabel: reason.label } : {}),
        note: maskPersonalData(given.note),
        operatorId: given.by,
      }
    : undefined;
  return { outcome, override };
}

/** The ledger entry of one finding: the sale, the line(s), the fund at stake and the till's outcome. */
function ledgerEntry(sale: SaleReplay, finding: Finding): LedgerEntry {
  const { record, date } = sale;
  const line = finding.lineId !== undefined ? record.lines.find((l) => l.lineId === finding.lineId) : undefined;
  const lineIds = finding.lineId !== undefined ? [finding.lineId] : sale.fundLines;
  let amountFen = 0;
  let insured = 0;
  let refunded = 0;
  for (const id of lineIds) {
    amountFen += record.lines.find((l) => l.lineId === id)?.amountFen ?? 0;
    const stake = sale.stakes.get(id);
    insured += stake?.insuredFen ?? 0;
    refunded += stake?.refundedFen ?? 0;
  }
  const { outcome, override } = tillOutcome(sale, finding);
  const lineFields = line
    ? {
        lineId: line.lineId,
        productId: line.productId,
        productName: line.name,
        ...defined({ medListCode: line.medListCode }),
      }
    : {};
  return {
    saleId: record.saleId,
    settledAt: record.settledAt,
    date,
    month: date.slice(0, 7),
    pharmacyCode: record.pharmacyCode,
    terminalId: record.terminalId,
    operatorId: record.operatorId,
    packVersion: sale.pack.use.version,
    findingId: finding.findingId,
    ruleId: finding.ruleId,
    ruleTitle: RULE_TITLES[finding.ruleId],
    severity: finding.severity,
    summary: finding.summary,
    evidence: finding.evidence,
    origin: finding.source === 'platform' ? 'till' : 'replay',
    ...lineFields,
    lineIds,
    amountFen,
    insuredFen: insured,
    refundedFen: refunded,
    atStakeFen: insured - refunded,
    tillOutcome: outcome,
    ...(override && outcome === 'overridden' ? { override } : {}),
  };
}
