import { formatCstDate } from '../platform/time.js';
import { readJournalOverrides, indexSales } from './self-audit-index.js';
import { loadPacks, longestWindowDays, packsInUse, type AuditPacks } from './self-audit-packs.js';
import { replayProgress, replaySales, type ReplayState } from './self-audit-replay.js';
import { cstDayStart, DAY, note, startRun, type AuditRun } from './self-audit-run.js';
import type { SelfAuditOptions, SelfAuditReport } from './types.js';
import { defined } from '../defined.js';

/** The self-audit (see `selfAudit` in index.ts, the public entry). */
export async function selfAudit(options: SelfAuditOptions): Promise<SelfAuditReport> {
  const run = startRun(options);
  const packs = await loadPacks(run);

  // History reaches back to the start of the year (yearly ceilings) or the longest window of any rule in use.
  const windowDays = longestWindowDays(packs);
  const yearStart = cstDayStart(`${formatCstDate(run.from).slice(0, 4)}-01-01`) as number;
  const historyFrom = Math.min(run.from, options.historyFrom ?? Math.min(yearStart, run.from - windowDays * DAY));

  const index = await indexSales(run, historyFrom);
  const journalOverrides = await readJournalOverrides(run, index.periodSaleIds);
  const state = await replaySales(run, packs, index, historyFrom, windowDays, journalOverrides);
  closingNotes(run, state);
  const result = report(run, packs, state);
  replayProgress(run, index, state, 'done');
  return result;
}

/** What the report must say of the replay as a whole: products it could not find, stock it could not replay. */
function closingNotes(run: AuditRun, state: ReplayState): void {
  if (state.missingProducts.size > 0) {
    note(
      run,
      'products-missing',
      '部分销售明细的商品不在所给商品目录中：按医保结算的此类明细记为串换风险，处方药、限定支付、用药天数等规则无法核查',
      'Some products sold are not in the catalog given: their fund lines count as substitution risks, ' +
        'and the rules that need catalog facts could not check them',
      state.missingProducts.size,
    );
  }
  if (!run.options.stockAt) {
    note(
      run,
      'stock-not-replayed',
      '未提供当时的库存账，库存不足规则未复核（收银时已忽略的库存提示仍列入台账）',
      'No stock ledger as it stood was given: the stock-shortfall rule was not replayed ' +
        '(its warnings overridden at the till are still listed)',
      0,
    );
  }
}

/** The report of a finished replay. */
function report(run: AuditRun, packs: AuditPacks, state: ReplayState): SelfAuditReport {
  const { from, to } = run;
  const { entries, summaries } = state;
  const all = summaries.all.row();
  return {
    format: 'yibao-guard.self-audit/1',
    period: { from, to, fromDate: formatCstDate(from), lastDate: formatCstDate(to - 1) },
    mode: packs.given ? 'given' : 'in-force',
    pharmacyCodes: [...state.pharmacies].sort(),
    terminalIds: [...state.terminals].sort(),
    packs: packsInUse(packs)
      .filter((p) => p.use.sales > 0 || p.use.source !== 'defaults')
      .map((p) => ({
        version: p.use.version,
        ...defined({ packId: p.use.packId }),
        source: p.use.source,
        verified: p.use.verified,
        sales: p.use.sales,
      }))
      .filter((p, i, list) => list.findIndex((q) => q.version === p.version && q.source === p.source) === i),
    entries,
    byRule: summaries.byRule(),
    byMonth: summaries.byMonth(),
    byProduct: summaries.byProduct(),
    byOperator: summaries.byOperator(),
    totals: {
      sales: state.sales,
      lines: state.linesDone,
      insuredFen: state.insuredFen,
      findings: all.findings,
      block: all.block,
      warning: all.warning,
      info: all.info,
      overridden: all.overridden,
      notShown: entries.filter((e) => e.tillOutcome === 'not-shown').length,
      salesWithFindings: all.sales,
      linesAtStake: all.lines,
      atStakeFen: all.atStakeFen,
    },
    notes: [...run.notes.values()],
  };
}
