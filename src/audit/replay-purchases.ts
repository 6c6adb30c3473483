import type { Catalog } from '../catalog/product-catalog.js';
import type { HistoryIndex, PurchaseRecord, TraceCodeView } from '../rules/context.js';
import type { SaleRecord } from '../sale/record.js';
import { linePurchase } from '../sale/purchases.js';
import { formatCstDate } from '../platform/time.js';

/** A purchase as the replay keeps it: changed in place when a refund returns part of it. */
interface Purchase {
  at: number;
  productId: string;
  genericName: string;
  packages: number;
  daysSupply?: number;
  fundFen: number;
  keyDrug: boolean;
}

/** A purchase with what it was before any refund, so that several refunds of one line add up exactly. */
interface Kept {
  readonly purchase: Purchase;
  readonly packages: number;
  readonly daysSupply: number | undefined;
  readonly fundFen: number;
  readonly quantity: number;
  returned: number;
}

/** One buyer's history, grown in time order as the replay goes. */
class BuyerHistory implements HistoryIndex {
  private readonly generic = new Map<string, Purchase[]>();
  private readonly days = new Map<string, number>();
  private readonly years = new Map<string, number>();

  byGeneric = (name: string): readonly PurchaseRecord[] => this.generic.get(name) ?? [];
  fundOnDay = (day: string): number => this.days.get(day) ?? 0;
  fundInYear = (year: string): number => this.years.get(year) ?? 0;

  add(p: Purchase, keepMs: number): void {
    const list = this.generic.get(p.genericName);
    if (list) {
      list.push(p);
      // Purchases older than every rule's window are never looked at again: drop them so memory stays bounded.
      while (list.length > 1 && (list[0] as Purchase).at < p.at - keepMs) list.shift();
    } else this.generic.set(p.genericName, [p]);
    const day = formatCstDate(p.at);
    this.bump(day, p.fundFen);
    // Only the current day and year are ever asked for (the replay goes forward in time): keep nothing older.
    if (this.days.size > 2) for (const d of this.days.keys()) if (d < day) this.days.delete(d);
    if (this.years.size > 2) for (const y of this.years.keys()) if (y < day.slice(0, 4)) this.years.delete(y);
  }

  /** A refund returns `quantity` more packages of a purchase: less supply, less fund billed on its day and year. */
  refund(kept: Kept, quantity: number): void {
    const p = kept.purchase;
    kept.returned = Math.min(kept.quantity, kept.returned + quantity);
    const left = kept.quantity > 0 ? 1 - kept.returned / kept.quantity : 0;
    const fundFen = Math.round(kept.fundFen * left);
    this.bump(formatCstDate(p.at), fundFen - p.fundFen);
    p.fundFen = fundFen;
    p.packages = kept.packages * left;
    if (kept.daysSupply !== undefined) p.daysSupply = kept.daysSupply * left;
    if (left <= 0) {
      const list = this.generic.get(p.genericName);
      const index = list ? list.indexOf(p) : -1;
      if (list && index >= 0) list.splice(index, 1);
    }
  }

  private bump(day: string, fen: number): void {
    if (this.days.has(day) || fen > 0) this.days.set(day, (this.days.get(day) ?? 0) + fen);
    const year = day.slice(0, 4);
    if (this.years.has(year) || fen > 0) this.years.set(year, (this.years.get(year) ?? 0) + fen);
  }
}

interface RefundEvent {
  readonly at: number;
  readonly apply: () => void;
}

/**
 * What the replay knows of the past as it goes forward in time: each buyer's purchases (for repeat purchases,
 * ceilings and usual volumes) and every trace code sold (回流药). Refunds take effect at their own time: a
 * returned box may be sold again, a returned supply no longer counts.
 */
export class ReplayHistory {
  private readonly buyers = new Map<string, BuyerHistory>();
  private readonly sold = new Set<string>();
  private readonly pending: RefundEvent[] = [];
  readonly soldTraceCodes: TraceCodeView = { soldBefore: (code) => this.sold.has(code) };

  constructor(
    private readonly catalog: Catalog,
    /** How long a purchase stays in a buyer's history: the longest window of any rule. */
    private readonly keepMs: number,
  ) {}

  /** Applies the refunds that happened up to `at`. Call before replaying a sale settled at `at`. */
  advanceTo(at: number): void {
    while (this.pending.length > 0 && (this.pending[0] as RefundEvent).at <= at)
      (this.pending.shift() as RefundEvent).apply();
  }

  /** The history of a buyer before the sale now being replayed. */
  of(psnNo: string): HistoryIndex {
    let history = this.buyers.get(psnNo);
    if (!history) this.buyers.set(psnNo, (history = new BuyerHistory()));
    return history;
  }

  /** Adds a replayed sale: its trace codes, its fund purchases, and its refunds (queued for their own time). */
  record(record: SaleRecord): void {
    const byLine = new Map<string, Kept>();
    const history = record.buyer ? (this.of(record.buyer.psnNo) as BuyerHistory) : undefined;
    for (const line of record.lines) {
      for (const code of line.traceCodes) this.sold.add(code);
      if (history && line.payMode === 'fund') {
        const purchase: Purchase = { ...linePurchase(record, line, this.catalog) };
        history.add(purchase, this.keepMs);
        if (record.refunds.length > 0)
          byLine.set(line.lineId, {
            purchase,
            packages: purchase.packages,
            daysSupply: purchase.daysSupply,
            fundFen: purchase.fundFen,
            quantity: line.quantity,
            returned: 0,
          });
      }
    }
    for (const refund of record.refunds) {
      this.queue({
        at: refund.at,
        apply: () => {
          for (const returned of refund.lines) {
            const line = record.lines.find((l) => l.lineId === returned.lineId);
            if (!line) continue;
            // Which boxes came back is not recorded: every box of the line may be sold again (no false 回流药).
            for (const code of line.traceCodes) this.sold.delete(code);
            const kept = byLine.get(line.lineId);
            if (history && kept) history.refund(kept, returned.quantity);
          }
        },
      });
    }
  }

  private queue(event: RefundEvent): void {
    let i = this.pending.length;
    while (i > 0 && (this.pending[i - 1] as RefundEvent).at > event.at) i--;
    this.pending.splice(i, 0, event);
  }
}
