/*
 * What a settled sale adds to its buyer's purchase history, as the rules read it (repeat purchases, fund ceilings,
 * usual volumes). One definition for the till (its live history) and the self-audit (its replay), so the two judge
 * a buyer's past alike.
 */
import type { Catalog } from '../catalog/product-catalog.js';
import type { PurchaseRecord } from '../rules/context.js';
import type { SaleLine } from '../schemas/sale.js';
import type { SaleRecord } from './record.js';
import { defined } from '../defined.js';

/**
 * The purchase one fund line stands for: packages, the fund-billed amount (what the amount-limit rule counts for the
 * sale being reviewed), and days of supply from the catalog's daily dose or, failing that, the prescription's days.
 *
 * @example
 * history.push(linePurchase(record, line, catalog))
 */
export function linePurchase(record: SaleRecord, line: SaleLine, catalog: Catalog): PurchaseRecord {
  const product = catalog.byId(line.productId);
  let daysSupply: number | undefined;
  if (product?.dailyDoseUnits) daysSupply = (line.quantity * product.packageSize) / product.dailyDoseUnits;
  else if (line.rxNo)
    daysSupply = record.prescriptions
      .find((rx) => rx.rxNo === line.rxNo)
      ?.items.find((i) => i.medListCode === line.medListCode)?.days;
  return {
    at: record.settledAt,
    productId: line.productId,
    genericName: product?.genericName ?? line.name,
    packages: line.quantity,
    ...defined({ daysSupply }),
    fundFen: line.amountFen,
    keyDrug: product?.keyDrug ?? false,
  };
}

/**
 * The purchases a settled sale stands for now: its fund lines (自费 purchases are the buyer's own business), each
 * reduced by what refunds returned of it; a line returned whole is gone.
 *
 * @example
 * const history = indexHistory(sales.flatMap((s) => purchasesOfSale(s, catalog)))
 */
export function purchasesOfSale(record: SaleRecord, catalog: Catalog): PurchaseRecord[] {
  const returned = new Map<string, number>();
  for (const refund of record.refunds)
    for (const l of refund.lines) returned.set(l.lineId, (returned.get(l.lineId) ?? 0) + l.quantity);
  const out: PurchaseRecord[] = [];
  for (const line of record.lines) {
    if (line.payMode !== 'fund') continue;
    const p = linePurchase(record, line, catalog);
    const left = 1 - Math.min(line.quantity, returned.get(line.lineId) ?? 0) / line.quantity;
    if (left <= 0) continue;
    out.push(
      left === 1
        ? p
        : {
            ...p,
            packages: p.packages * left,
            fundFen: Math.round(p.fundFen * left),
            ...(p.daysSupply !== undefined ? { daysSupply: p.daysSupply * left } : {}),
          },
    );
  }
  return out;
}
