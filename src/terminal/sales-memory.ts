/*
 * What the terminal remembers of past sales for the rules: each buyer's purchases (repeat-purchase, amount
 * limits, key-drug volume) and every box sold here (trace-code-duplicate). Built once from the `sales` store
 * when the terminal opens, kept up to date by each settlement and refund.
 */
import type { Catalog } from '../catalog/product-catalog.js';
import type { PurchaseRecord, TraceCodeView } from '../rules/context.js';
import { purchasesOfSale } from '../sale/purchases.js';
import type { SaleRecord } from '../sale/record.js';

export interface SalesMemory {
  purchasesOf(psnNo: string): readonly PurchaseRecord[];
  readonly soldHere: TraceCodeView;
  add(record: SaleRecord): void;
  /** A sale refunded (wholly or in part): its returned boxes may be sold again; its purchases are recomputed. */
  replace(record: SaleRecord): void;
}

export function createSalesMemory(catalog: Catalog): SalesMemory {
  const byPerson = new Map<string, Map<string, PurchaseRecord[]>>();
  const sold = new Set<string>();
  const boxesOf = (record: SaleRecord) => {
    const returned = new Set(record.refunds.flatMap((r) => r.lines.filter((l) => l.quantity > 0).map((l) => l.lineId)));
    return record.lines.flatMap((l) => (record.status === 'refunded' || returned.has(l.lineId) ? [] : l.traceCodes));
  };
  const add = (record: SaleRecord) => {
    for (const code of boxesOf(record)) sold.add(code);
    if (!record.buyer) return;
    let sales = byPerson.get(record.buyer.psnNo);
    if (!sales) byPerson.set(record.buyer.psnNo, (sales = new Map()));
    sales.set(record.saleId, purchasesOfSale(record, catalog));
  };
  return {
    purchasesOf: (psnNo) => [...(byPerson.get(psnNo)?.values() ?? [])].flat().sort((a, b) => a.at - b.at),
    soldHere: { soldBefore: (code) => sold.has(code) },
    add,
    replace(record) {
      for (const line of record.lines) for (const code of line.traceCodes) sold.delete(code);
      add(record);
    },
  };
}
