import { formatCstDate } from '../platform/time.js';
import type { Infno, TransactionInput } from '../platform/transactions.js';
import type { Product } from '../schemas/product.js';
import type { StockMovement } from '../schemas/stock.js';
import type { OutboxEntry } from './outbox.js';
import { defined } from '../defined.js';

/** The sale facts 3505/3506 carry beyond the movement itself. */
export interface SaleReportContext {
  /** The operator's name as the report shows it (`sel_retn_opter_name`). */
  readonly operatorName: string;
  /** The buyer, for an insured sale: person number, and the personal fields kept apart until acknowledged. */
  readonly buyer?: { readonly psnNo: string; readonly residentId?: string; readonly name?: string };
  /** 执业药师 who checked the prescription. */
  readonly pharmacist?: { readonly name: string; readonly certNo?: string };
}

const MICROS_PER_FEN = 10_000;

/**
 * The outbox entry that reports a stock movement to the platform (3501–3506), with the national field names.
 * Money goes in as 分 (the client writes yuan); personal fields of an insured sale go in `pii`, never in the
 * journal.
 *
 * @example
 * await outbox.write([movementReport(movement, product, { operatorName: '李药师' })], facts)
 */
export function movementReport(movement: StockMovement, product: Product, context: SaleReportContext): OutboxEntry {
  const core = {
    // Goods outside the 医保 list (保健品, 日用品) have no item code: they are reported under the pharmacy's own code.
    med_list_codg: movement.medListCode ?? product.medListCode ?? product.productId,
    fixmedins_hilist_id: product.productId,
    fixmedins_hilist_name: product.genericName,
    rx_flag: product.rx ? ('1' as const) : ('0' as const),
    fixmedins_bchno: movement.batchNo,
    ...defined({
      manu_lotnum: movement.lotNo || undefined,
      manu_date: movement.manufactureDate || undefined,
      expy_end: movement.expiryDate || undefined,
    }),
    ...(movement.traceCodes.length > 0
      ? { drugtracinfo: movement.traceCodes.map((code) => ({ drug_trac_codg: code })) }
      : {}),
  };
  const entry = <N extends Infno>(infno: N, input: TransactionInput<N>, pii?: OutboxEntry['pii']): OutboxEntry =>
    ({ infno, input, kind: 'report', ref: movement.movementId, ...defined({ pii }) }) as OutboxEntry;
  switch (movement.kind) {
    case 'stock-count':
      return entry('3501', {
        invinfo: { ...core, invdate: formatCstDate(movement.at), inv_cnt: movement.countedQuantity },
      });
    case 'info-change':
      return entry('3502', {
        invinfo: {
          ...core,
          inv_chg_type: movement.changeType,
          pric: (movement.unitPriceFen ?? product.retailPriceFen ?? 0) * MICROS_PER_FEN,
          cnt: movement.quantityDelta,
          inv_chg_time: movement.at,
          inv_chg_opter_name: context.operatorName,
          trdn_flag: movement.split ? '1' : '0',
        },
      });
    case 'purchase':
    case 'purchase-return': {
      const purchase = {
        ...core,
        spler_name: movement.supplierName,
        finl_trns_pric: movement.unitCostFen * MICROS_PER_FEN,
        purc_retn_cnt: movement.quantity,
        purc_retn_stoin_time: movement.at,
        purc_retn_opter_name: context.operatorName,
        ...(movement.kind === 'purchase' && movement.purchaseInvoiceNo
          ? { purc_invo_no: movement.purchaseInvoiceNo }
          : {}),
        ...(movement.kind === 'purchase' && movement.approvalNo ? { aprvno: movement.approvalNo } : {}),
        ...(movement.kind === 'purchase' && movement.manufacturer ? { prodentp_name: movement.manufacturer } : {}),
      };
      return movement.kind === 'purchase'
        ? entry('3503', { purcinfo: purchase })
        : entry('3504', { purcinfo: { ...purchase, medins_prod_purc_no: movement.purchaseId } });
    }
    case 'sale':
    case 'sale-return': {
      const insured = movement.kind === 'sale' ? movement.payMode === 'fund' : context.buyer !== undefined;
      const sale = {
        ...core,
        trdn_flag: movement.split ? ('1' as const) : ('0' as const),
        finl_trns_pric: movement.unitPriceFen * MICROS_PER_FEN,
        rtal_docno: movement.saleId,
        sel_retn_cnt: movement.quantity,
        sel_retn_time: movement.at,
        sel_retn_opter_name: context.operatorName,
        mdtrt_setl_type: insured ? ('1' as const) : ('2' as const),
        ...(movement.kind === 'sale' && movement.setlId ? { setl_id: movement.setlId } : {}),
        ...(movement.kind === 'sale' && movement.rxNo ? { rxno: movement.rxNo } : {}),
        ...(insured && context.buyer ? { psn_no: context.buyer.psnNo } : {}),
        ...(context.pharmacist
          ? {
              phar_name: context.pharmacist.name,
              ...defined({ phar_prac_cert_no: context.pharmacist.certNo || undefined }),
            }
          : {}),
      };
      const pii =
        insured && context.buyer && (context.buyer.residentId || context.buyer.name)
          ? {
              node: 'selinfo',
              fields: {
                ...(context.buyer.residentId ? { psn_cert_type: '01', certno: context.buyer.residentId } : {}),
                ...defined({ psn_name: context.buyer.name || undefined }),
              },
            }
          : undefined;
      return movement.kind === 'sale'
        ? entry('3505', { selinfo: sale }, pii)
        : entry('3506', { selinfo: { ...sale, medins_prod_sel_no: movement.saleMovementId } }, pii);
    }
  }
}
