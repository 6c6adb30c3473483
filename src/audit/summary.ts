import type { Text } from '../schemas/primitives.js';
import type { LedgerEntry, LedgerSummaryRow } from './types.js';
import { defined } from '../defined.js';

/** A line of a sale as the summaries need it: whose product, and how much of it is at stake. */
export interface LineFacts {
  readonly productId: string;
  readonly productName: string;
  readonly atStakeFen: number;
}

class Group {
  findings = 0;
  block = 0;
  warning = 0;
  info = 0;
  overridden = 0;
  atStakeFen = 0;
  readonly sales = new Set<string>();
  readonly lines = new Set<string>();
  constructor(
    readonly key: string,
    public label?: Text,
  ) {}

  count(entry: LedgerEntry): void {
    this.findings++;
    this[entry.severity]++;
    if (entry.tillOutcome === 'overridden') this.overridden++;
    this.sales.add(entry.saleId);
  }

  /** Puts a line at stake in this group, once however many findings name it. */
  stake(saleId: string, lineId: string, fen: number): void {
    const key = `${saleId}\u0000${lineId}`;
    if (this.lines.has(key)) return;
    this.lines.add(key);
    this.atStakeFen += fen;
  }

  row(): LedgerSummaryRow {
    return {
      key: this.key,
      ...defined({ label: this.label }),
      findings: this.findings,
      block: this.block,
      warning: this.warning,
      info: this.info,
      overridden: this.overridden,
      sales: this.sales.size,
      lines: this.lines.size,
      atStakeFen: this.atStakeFen,
    };
  }
}

class Groups {
  private readonly map = new Map<string, Group>();
  get(key: string, label?: Text): Group {
    let group = this.map.get(key);
    if (!group) this.map.set(key, (group = new Group(key, label)));
    return group;
  }
  rows(order: (a: LedgerSummaryRow, b: LedgerSummaryRow) => number): LedgerSummaryRow[] {
    return [...this.map.values()].map((g) => g.row()).sort(order);
  }
}

const byMoney = (a: LedgerSummaryRow, b: LedgerSummaryRow) =>
  b.atStakeFen - a.atStakeFen || b.findings - a.findings || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byKey = (a: LedgerSummaryRow, b: LedgerSummaryRow) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The ledger's summaries, built as entries arrive: by rule, by month, by product, by operator, and the totals.
 * Money at stake is counted once per line within each group, so a line with two findings of one rule (or two rules
 * in one month) is not counted twice. A finding about the whole sale counts for the product of each fund line.
 */
export class LedgerSummaries {
  private readonly rules = new Groups();
  private readonly months = new Groups();
  private readonly products = new Groups();
  private readonly operators = new Groups();
  readonly all = new Group('all');

  add(entry: LedgerEntry, lines: ReadonlyMap<string, LineFacts>): void {
    const rule = this.rules.get(entry.ruleId, entry.ruleTitle);
    const month = this.months.get(entry.month);
    const operator = this.operators.get(entry.operatorId);
    for (const group of [rule, month, operator, this.all]) group.count(entry);
    const counted = new Set<string>();
    for (const lineId of entry.lineIds) {
      const line = lines.get(lineId);
      const fen = line?.atStakeFen ?? 0;
      for (const group of [rule, month, operator, this.all]) group.stake(entry.saleId, lineId, fen);
      if (!line) continue;
      const product = this.products.get(line.productId, { zh: line.productName, en: line.productName });
      if (!counted.has(line.productId)) {
        counted.add(line.productId);
        product.count(entry);
      }
      product.stake(entry.saleId, lineId, fen);
    }
  }

  byRule = () => this.rules.rows(byMoney);
  byMonth = () => this.months.rows(byKey);
  byProduct = () => this.products.rows(byMoney);
  byOperator = () => this.operators.rows(byMoney);
}
