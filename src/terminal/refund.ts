/*
 * Refunds: the lines given back (a fund settlement only whole, cancelled with 2103 first), the refund invoice, the
 * updated sale record, the sale-return movements and their 3506 reports, in one atomic write (commit.ts).
 */
import { isYibaoGuardError } from '../errors/index.js';
import type { PreparedCall } from '../platform/client.js';
import type { SaleRecord } from '../sale/record.js';
import type { PaymentSplit, SaleLine } from '../schemas/sale.js';
import type { StockMovement } from '../schemas/stock.js';
import { commitSale } from './commit.js';
import { saleError, sum, type TillParts } from './parts.js';
import { auditEntry, auditOps, clockEvents, emitClock, invoiceEntries } from './trail.js';
import type { RefundReceipt, Till } from './types.js';
import { defined } from '../defined.js';

type RefundOptions = NonNullable<Parameters<Till['refund']>[1]>;
type RefundLine = { readonly line: SaleLine; readonly quantity: number; readonly amountFen: number };

export async function refund(parts: TillParts, saleId: string, options: RefundOptions = {}): Promise<RefundReceipt> {
  const { ctx } = parts;
  const stored = await ctx.storage.get('sales', saleId);
  if (!stored)
    throw saleError('SALE_NOT_FOUND', `No settled sale ${saleId} on this terminal`, `本终端没有已结算的销售 ${saleId}`);
  const sale = stored.value;
  const lines = refundLines(sale, options);
  const pendingKey = `refund.pending/${saleId}`;
  if (sale.settlement && sale.buyer) await cancelWithPlatform(parts, sale, pendingKey);
  const totalFen = sum(lines.map((l) => l.amountFen));
  const split: PaymentSplit = sale.settlement ? sale.split : { totalFen, fundFen: 0, accountFen: 0, cashFen: totalFen };
  const at = ctx.clock.now();
  const refundId = parts.newId('R');
  const movements = returnMovements(parts, sale, lines, refundId, at);
  const { issued, sale: final } = await commitSale(parts, {
    invoice: {
      kind: 'refund',
      reverses: sale.invoice.seq,
      lines: lines.map(({ line, quantity, amountFen }) => ({
        ...defined({ medListCode: line.medListCode || undefined }),
        name: line.name,
        quantity,
        unitPriceFen: line.unitPriceFen,
        amountFen,
        traceCodes: movements.find((m) => m.kind === 'sale-return' && m.lineId === line.lineId)!.traceCodes,
      })),
      split,
    },
    movements,
    context: { operatorName: ctx.operator.name, ...(sale.buyer ? { buyer: { psnNo: sale.buyer.psnNo } } : {}) },
    facts: (invoice) => {
      const refunds = [
        ...sale.refunds,
        {
          refundId,
          at,
          invoiceSeq: invoice.seq,
          lines: lines.map(({ line, quantity, amountFen }) => ({ lineId: line.lineId, quantity, amountFen })),
          split,
        },
      ];
      const all = sale.lines.every(
        (l) =>
          sum(refunds.flatMap((r) => r.lines.filter((x) => x.lineId === l.lineId).map((x) => x.quantity))) >=
          l.quantity,
      );
      const written: SaleRecord = { ...sale, refunds, status: all ? 'refunded' : 'partly-refunded' };
      const behind = clockEvents(ctx, invoice, saleId);
      return {
        sale: written,
        ops: [
          ...auditOps(behind),
          { op: 'put', store: 'sales', key: saleId, value: written, expect: stored.rev },
          ...(sale.settlement ? [{ op: 'delete' as const, store: 'meta' as const, key: pendingKey }] : []),
        ],
        entries: [
          ...invoiceEntries(ctx, invoice),
          ...(behind.length > 0 ? [auditEntry(ctx, saleId, behind, sale.settlement?.setlId)] : []),
        ],
      };
    },
  });
  parts.memory.replace(final);
  parts.worker.notify();
  emitClock(ctx, clockEvents(ctx, issued, saleId));
  const receipt: RefundReceipt = { saleId, refundId, invoice: issued, split, sale: final };
  ctx.emit({ type: 'sale:refunded', refund: receipt });
  return receipt;
}

/** What is refunded: the lines asked for (or all that is left), each within what is left of it. */
function refundLines(sale: SaleRecord, options: RefundOptions): RefundLine[] {
  const { saleId } = sale;
  if (sale.status === 'refunded')
    throw saleError('REFUND_INVALID', `Sale ${saleId} is already refunded`, `销售 ${saleId} 已全部退货`);
  const returned = new Map<string, number>();
  for (const r of sale.refunds)
    for (const l of r.lines) returned.set(l.lineId, (returned.get(l.lineId) ?? 0) + l.quantity);
  const whole = options.lines === undefined;
  if (sale.settlement && (!whole || sale.refunds.length > 0)) {
    throw saleError(
      'REFUND_INVALID',
      'A sale settled with the fund is refunded whole (2103 cancels the whole settlement); settle the kept goods again as a new sale',
      '医保结算的销售只能整单退货（2103 撤销整笔结算），保留的商品请重新结算',
    );
  }
  const wanted = whole
    ? sale.lines
        .map((l) => ({ lineId: l.lineId, quantity: l.quantity - (returned.get(l.lineId) ?? 0) }))
        .filter((l) => l.quantity > 0)
    : options.lines!;
  const lines = wanted.map(({ lineId, quantity }) => {
    const line = sale.lines.find((l) => l.lineId === lineId);
    const left = line ? line.quantity - (returned.get(lineId) ?? 0) : 0;
    if (!line || !(quantity > 0) || quantity > left) {
      throw saleError(
        'REFUND_INVALID',
        `Line ${lineId} of sale ${saleId} cannot be refunded ${quantity} (${left} left)`,
        `销售 ${saleId} 的明细 ${lineId} 不能退 ${quantity}（可退 ${left}）`,
      );
    }
    return {
      line,
      quantity,
      amountFen: quantity === line.quantity ? line.amountFen : Math.round((line.amountFen * quantity) / line.quantity),
    };
  });
  if (lines.length === 0) throw saleError('REFUND_INVALID', 'Nothing to refund', '没有可退的商品');
  return lines;
}

/** The sale-return movement of each line refunded: its boxes back on the shelf, in the batch they were sold from. */
function returnMovements(
  parts: TillParts,
  sale: SaleRecord,
  lines: readonly RefundLine[],
  refundId: string,
  at: number,
): StockMovement[] {
  return lines.map(({ line, quantity }, i) => ({
    kind: 'sale-return',
    movementId: `${refundId}-${i + 1}`,
    at,
    productId: line.productId,
    ...defined({ medListCode: line.medListCode || undefined }),
    productName: parts.catalog.byId(line.productId)?.genericName ?? line.name,
    batchNo: line.batchNo ?? parts.boxes.batchOf(line.productId, line.traceCodes),
    traceCodes: quantity === line.quantity ? line.traceCodes : line.traceCodes.slice(0, Math.floor(quantity)),
    operatorId: parts.ctx.operator.id,
    quantity,
    split: line.split,
    saleMovementId: `${sale.saleId}-${line.lineId}`,
    saleId: sale.saleId,
    lineId: line.lineId,
    unitPriceFen: line.unitPriceFen,
  }));
}

/**
 * 2103 for a whole fund settlement, with its prepared call stored before it leaves (meta `refund.pending/{saleId}`,
 * deleted in the batch that records the refund). A lost answer is asked again with the same msgid, now or on the
 * next `refund()` of the sale (or at start-up), so a settlement the platform cancelled is always recorded here.
 */
async function cancelWithPlatform(parts: TillParts, sale: SaleRecord, key: string): Promise<void> {
  const { platform, storage } = parts.ctx;
  const remembered = (await storage.get('meta', key))?.value as { prepared: PreparedCall<'2103'> } | undefined;
  let prepared = remembered?.prepared;
  if (!prepared) {
    prepared = platform.prepare(
      '2103',
      { data: { setl_id: sale.settlement!.setlId, mdtrt_id: sale.settlement!.mdtrtId, psn_no: sale.buyer!.psnNo } },
      { insuplcAdmdvs: sale.buyer!.insuplcAdmdvs },
    );
    await storage.write([{ op: 'put', store: 'meta', key, value: { prepared }, expect: null }]);
  }
  const sent = prepared;
  try {
    await (remembered ? platform.resolve(sent) : platform.send(sent));
  } catch (error) {
    if (isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) {
      try {
        await platform.resolve(sent);
        return;
      } catch (again) {
        if (isYibaoGuardError(again, 'PLATFORM_OUTCOME_UNKNOWN') || isYibaoGuardError(again, 'PLATFORM_UNAVAILABLE')) {
          throw saleError(
            'REFUND_OUTCOME_UNKNOWN',
            `The outcome of the cancellation of sale ${sale.saleId} (2103, msgid ${sent.msgid}) is unknown: pay nothing back yet; refund again to ask`,
            `销售 ${sale.saleId} 的结算撤销（2103，msgid ${sent.msgid}）结果未知：暂勿退款；请稍后再次退货以查询结果`,
            again,
          );
        }
        error = again;
      }
    }
    // Refused, or never reached the platform: nothing was cancelled, and the next refund starts afresh.
    await storage.write([{ op: 'delete', store: 'meta', key }]);
    throw error;
  }
}
