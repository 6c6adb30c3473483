import { formatCstDate } from '../platform/time.js';
import type { HistoryIndex, PurchaseRecord } from './context.js';

/**
 * Indexes a buyer's purchases for the rules (by generic name, and fund totals per CST day and year).
 *
 * @example
 * const history = indexHistory(purchasesOf(buyer.psnNo))
 */
export function indexHistory(purchases: Iterable<PurchaseRecord>): HistoryIndex {
  const byGeneric = new Map<string, PurchaseRecord[]>();
  const days = new Map<string, number>();
  const years = new Map<string, number>();
  const sorted = [...purchases].sort((a, b) => a.at - b.at);
  for (const p of sorted) {
    const list = byGeneric.get(p.genericName);
    if (list) list.push(p);
    else byGeneric.set(p.genericName, [p]);
    const day = formatCstDate(p.at);
    days.set(day, (days.get(day) ?? 0) + p.fundFen);
    years.set(day.slice(0, 4), (years.get(day.slice(0, 4)) ?? 0) + p.fundFen);
  }
  return {
    byGeneric: (name) => byGeneric.get(name) ?? [],
    fundOnDay: (day) => days.get(day) ?? 0,
    fundInYear: (year) => years.get(year) ?? 0,
  };
}

/** An empty history, for a buyer the till knows nothing about. */
export const NO_HISTORY: HistoryIndex = indexHistory([]);
