/*
 * Settling a sale: the last review must allow it; the fund lines are settled with the platform (settlement.ts);
 * then the signed invoice, the sale record, its stock movements, its 3505 reports, the invoice upload and the
 * audit trail are written in one atomic batch (commit.ts).
 */
import { SaleError } from '../errors/index.js';
import type { BuyerFacts } from '../rules/context.js';
import type { SaleRecord, SaleRecordPrescription } from '../sale/record.js';
import type { SaleSession } from '../sale/session.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { Prescription } from '../schemas/prescription.js';
import type { PaymentSplit, SaleLine } from '../schemas/sale.js';
import type { SaleMovement } from '../schemas/stock.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { commitSale } from './commit.js';
import { saleError, sum, type TillParts } from './parts.js';
import { settleWithPlatform } from './settlement.js';
import { auditEntry, auditOps, clockEvents, emitClock, invoiceEntries } from './trail.js';
import type { Receipt, SettleOptions } from './types.js';
import { defined } from '../defined.js';

/** A sale open at the till, as settling it reads it. */
export interface OpenSale {
  readonly saleId: string;
  readonly startedAt: number;
  readonly session: SaleSession;
  /** The verified buyer now (a renewed voucher replaces the first). */
  readonly buyer: VerifiedBuyer | undefined;
  readonly facts: BuyerFacts | undefined;
  /** The sale's audit events so far (reviews, overrides, actions), for its YG06 trail. */
  readonly events: readonly AuditEvent[];
}

type Settlement = { readonly setlId: string; readonly mdtrtId: string; readonly msgid: string };

export async function settleSale(parts: TillParts, sale: OpenSale, options: SettleOptions): Promise<Receipt> {
  const { ctx } = parts;
  const { saleId, session } = sale;
  const lines = settleableLines(parts, session);
  const fundLines = lines.filter((l) => l.payMode === 'fund');
  const selfPayFen = sum(lines.filter((l) => l.payMode !== 'fund').map((l) => l.amountFen));
  let settlement: Settlement | undefined;
  let split: PaymentSplit = { totalFen: selfPayFen, fundFen: 0, accountFen: 0, cashFen: selfPayFen };
  if (fundLines.length > 0) {
    const buyer = sale.buyer;
    if (!buyer)
      throw new SaleError('RULE_BLOCKED', {
        message: 'A line billed to the fund needs a verified buyer',
        messageZh: '医保支付的明细须先核验购药人医保凭证',
      });
    const circulating = (rxNo: string) => session.prescriptions.find((rx) => rx.rxNo === rxNo)?.circulating === true;
    const out = await settleWithPlatform(
      parts,
      { saleId, startedAt: sale.startedAt, circulating },
      buyer,
      fundLines,
      options,
    );
    const s = out.setlinfo;
    settlement = { setlId: s.setl_id ?? '', mdtrtId: s.mdtrt_id, msgid: out.msgid };
    split = {
      totalFen: s.medfee_sumamt + selfPayFen,
      fundFen: s.fund_pay_sumamt,
      accountFen: s.acct_pay,
      cashFen: s.psn_cash_pay + selfPayFen,
    };
  }
  const at = ctx.clock.now();
  const record = saleRecord(parts, sale, { lines, at, split, settlement });
  const movements = saleMovements(parts, saleId, lines, at, settlement);
  const buyer = sale.buyer;
  const identity = buyer?.identity;
  const { issued, sale: final } = await commitSale(parts, {
    invoice: {
      lines: lines.map(({ medListCode, name, specification, quantity, unitPriceFen, amountFen, traceCodes }) => ({
        ...defined({ medListCode: medListCode || undefined }),
        name,
        ...defined({ specification: specification || undefined }),
        quantity,
        unitPriceFen,
        amountFen,
        traceCodes,
      })),
      split,
      ...(settlement?.setlId ? { setlId: settlement.setlId } : {}),
    },
    movements,
    context: {
      operatorName: ctx.operator.name,
      ...(buyer
        ? {
            buyer: {
              psnNo: buyer.psnNo,
              ...(identity?.residentId ? { residentId: identity.residentId } : {}),
              ...(identity?.name ? { name: identity.name } : {}),
            },
          }
        : {}),
      ...defined({ pharmacist: options.pharmacist }),
    },
    facts: (invoice) => {
      const written: SaleRecord = {
        ...record,
        invoice: { seq: invoice.seq, hash: invoice.hash, signed: invoice.signed },
      };
      const behind = clockEvents(ctx, invoice, saleId);
      return {
        sale: written,
        ops: [
          ...auditOps(behind),
          { op: 'put', store: 'sales', key: saleId, value: written, expect: null },
          ...(settlement ? [{ op: 'delete' as const, store: 'settlements' as const, key: saleId }] : []),
        ],
        entries: [
          ...invoiceEntries(ctx, invoice),
          auditEntry(ctx, saleId, [...sale.events, ...behind], settlement?.setlId),
        ],
      };
    },
  });
  session.close();
  emitClock(ctx, clockEvents(ctx, issued, saleId));
  parts.memory.add(final);
  parts.worker.notify();
  const receipt: Receipt = {
    saleId,
    invoice: issued,
    split,
    lines,
    ...(settlement ? { setlId: settlement.setlId } : {}),
    sale: final,
  };
  ctx.emit({ type: 'sale:settled', receipt });
  return receipt;
}

/** The lines to settle, once the last review allows it and the pack it ran is still in force. */
function settleableLines(parts: TillParts, session: SaleSession): readonly SaleLine[] {
  session.assertSettleable();
  const lines = session.lines;
  if (lines.length === 0) throw saleError('SALE_EMPTY', 'The sale has no lines', '该笔销售没有商品明细');
  const pack = parts.packs.current;
  // The pack left force after the review: that review no longer allows a fund settlement.
  if (
    lines.some((l) => l.payMode === 'fund') &&
    pack &&
    !parts.packs.inForce() &&
    !session.lastReview!.findings.some((f) => f.ruleId === 'rule-pack-expired')
  ) {
    throw new SaleError('SALE_NOT_REVIEWED', {
      message: `The rule pack ${pack.packId} v${pack.version} left force after the review: review the sale again`,
      messageZh: `审核后规则包 ${pack.packId} 第 ${pack.version} 版已过有效期：请重新审核`,
    });
  }
  return lines;
}

/** The sale record as settled, before its invoice is issued (`invoice` is filled in by the write). */
function saleRecord(
  parts: TillParts,
  sale: OpenSale,
  settled: {
    readonly lines: readonly SaleLine[];
    readonly at: number;
    readonly split: PaymentSplit;
    readonly settlement: Settlement | undefined;
  },
): SaleRecord {
  const { ctx } = parts;
  const { buyer, facts } = sale;
  const { settlement } = settled;
  const inForce = parts.packs.inForce();
  return {
    saleId: sale.saleId,
    pharmacyCode: ctx.pharmacy.code,
    terminalId: ctx.terminalId,
    operatorId: ctx.operator.id,
    startedAt: sale.startedAt,
    settledAt: settled.at,
    ...(buyer && facts
      ? {
          buyer: {
            psnNo: buyer.psnNo,
            insutype: buyer.insurance.insutype,
            insuplcAdmdvs: buyer.insurance.insuplcAdmdvs,
            voucherKind: buyer.voucherKind,
            facts: {
              psnNo: facts.psnNo,
              sex: facts.sex,
              ...defined({ age: facts.age }),
              chronic: facts.chronic,
              identities: facts.identities,
              outOfArea: facts.outOfArea,
              status: facts.status,
            },
          },
        }
      : {}),
    lines: settled.lines,
    prescriptions: sale.session.prescriptions.map(recordPrescription),
    ...defined({ settlement }),
    split: settled.split,
    invoice: { seq: 0, hash: '', signed: false },
    review: {
      ...(inForce ? { packVersion: inForce.version } : {}),
      findings: sale.session.lastReview!.findings.map((f) => ({
        findingId: f.findingId,
        ruleId: f.ruleId,
        ...defined({ lineId: f.lineId || undefined }),
        severity: f.severity,
        source: f.source,
        outcome: f.outcome,
        ...(f.override
          ? { override: { reasonCode: f.override.reasonCode, note: f.override.note, by: f.override.by.operatorId } }
          : {}),
      })),
    },
    status: 'settled',
    refunds: [],
  };
}

/** A prescription as a sale record keeps it: the patient by person number only. */
function recordPrescription(rx: Prescription): SaleRecordPrescription {
  const { patient, ...rest } = rx;
  return { ...rest, patient: patient.psnNo ? { psnNo: patient.psnNo } : {} };
}

/** The stock movement of each line, booked to the batch its boxes came in with. */
function saleMovements(
  parts: TillParts,
  saleId: string,
  lines: readonly SaleLine[],
  at: number,
  settlement: Settlement | undefined,
): SaleMovement[] {
  return lines.map((line) => ({
    kind: 'sale',
    movementId: `${saleId}-${line.lineId}`,
    at,
    productId: line.productId,
    ...defined({ medListCode: line.medListCode || undefined }),
    productName: parts.catalog.byId(line.productId)?.genericName ?? line.name,
    batchNo: line.batchNo ?? parts.boxes.batchOf(line.productId, line.traceCodes),
    traceCodes: line.traceCodes,
    operatorId: parts.ctx.operator.id,
    quantity: line.quantity,
    split: line.split,
    saleId,
    lineId: line.lineId,
    unitPriceFen: line.unitPriceFen,
    payMode: line.payMode,
    ...(settlement && line.payMode === 'fund' ? { setlId: settlement.setlId } : {}),
    ...defined({ rxNo: line.rxNo || undefined }),
  }));
}
