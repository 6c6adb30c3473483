/*
 * Settlement with the platform: 2101 pre-settlement and 2102 settlement, the 2102 remembered (the `settlements`
 * store) before it leaves; a lost answer is asked again with the same msgid, and what stays unknown is reversed
 * (2601), now or at the next start (recovery.ts).
 */
import { isYibaoGuardError } from '../errors/index.js';
import type { TransactionInput, TransactionOutput } from '../platform/transactions.js';
import type { PendingSettlement } from '../sale/record.js';
import type { SaleLine } from '../schemas/sale.js';
import type { VerifiedBuyer } from '../voucher/buyer.js';
import { saleError, sum, type TillParts } from './parts.js';
import type { SettleOptions, TillContext } from './types.js';
import { defined } from '../defined.js';

/** The sale a settlement is for. */
export interface SettlementSale {
  readonly saleId: string;
  readonly startedAt: number;
  /** Its prescriptions' numbers that circulate (外配处方: `rx_circ_flag`). */
  readonly circulating: (rxNo: string) => boolean;
}

/** 2101 then 2102, with the 2102 remembered before it leaves; a lost answer is asked again or reversed. */
export async function settleWithPlatform(
  parts: TillParts,
  sale: SettlementSale,
  buyer: VerifiedBuyer,
  fundLines: readonly SaleLine[],
  options: SettleOptions,
): Promise<TransactionOutput<'2102'> & { readonly msgid: string }> {
  const { platform, storage, clock } = parts.ctx;
  const { saleId } = sale;
  const area = { insuplcAdmdvs: buyer.insurance.insuplcAdmdvs };
  const pending = (await storage.get('settlements', saleId))?.value;
  let prepared = pending?.prepared;
  if (!prepared) {
    const input = preSettlement(sale, buyer, fundLines, options);
    await platform.preSettle(input, area);
    prepared = platform.prepare('2102', { ...input, druginfo: { ...input.druginfo, invono: saleId } }, area);
    const remember: PendingSettlement = {
      saleId,
      at: clock.now(),
      prepared,
      psnNo: buyer.psnNo,
      insuplcAdmdvs: area.insuplcAdmdvs,
      state: 'sent',
    };
    await storage.write([{ op: 'put', store: 'settlements', key: saleId, value: remember, expect: null }]);
  }
  const sent = prepared;
  const forget = () => storage.write([{ op: 'delete', store: 'settlements', key: saleId }]);
  try {
    const out = pending ? await platform.resolve(sent) : await platform.send(sent);
    return { ...out, msgid: sent.msgid };
  } catch (error) {
    if (!isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) {
      // Refused, or never reached the platform: nothing was charged.
      await forget();
      throw error;
    }
    if (!pending) {
      try {
        return { ...(await platform.resolve(sent)), msgid: sent.msgid };
      } catch (again) {
        if (
          !isYibaoGuardError(again, 'PLATFORM_OUTCOME_UNKNOWN') &&
          !isYibaoGuardError(again, 'PLATFORM_UNAVAILABLE')
        ) {
          await forget();
          throw again;
        }
      }
    }
    const record: PendingSettlement = {
      saleId,
      at: clock.now(),
      prepared: sent,
      psnNo: buyer.psnNo,
      insuplcAdmdvs: area.insuplcAdmdvs,
      state: 'sent',
    };
    if (await reverse(parts.ctx, record)) {
      throw saleError(
        'SETTLEMENT_REVERSED',
        `The settlement's answer was lost, so it was reversed (2601, msgid ${sent.msgid}): nothing was charged; have the buyer refresh the voucher (renewVoucher) and settle again`,
        `结算应答丢失，已冲正（2601，msgid ${sent.msgid}），未扣费；请购药人刷新医保码后重新结算`,
        error,
      );
    }
    parts.ctx.emit({ type: 'settlement:unknown', saleId, msgid: sent.msgid });
    throw saleError(
      'SETTLEMENT_OUTCOME_UNKNOWN',
      `The outcome of settlement ${sent.msgid} is unknown and the platform cannot be reached: take no money; settle again to ask, or it is reversed when the platform is back`,
      `结算（msgid ${sent.msgid}）结果未知且无法连接医保平台：请勿收费；可再次结算以查询结果，平台恢复后未完成的结算将自动冲正`,
      error,
    );
  }
}

/** The 2101 input of a sale's fund lines (2102 sends the same with the invoice number). */
function preSettlement(
  sale: SettlementSale,
  buyer: VerifiedBuyer,
  fundLines: readonly SaleLine[],
  options: SettleOptions,
): TransactionInput<'2101'> {
  const identity = buyer.identity;
  return {
    druginfo: {
      psn_no: buyer.psnNo,
      mdtrt_cert_type: buyer.certType,
      mdtrt_cert_no: identity?.certNo ?? '',
      ...(identity?.cardSn ? { card_sn: identity.cardSn } : {}),
      begntime: sale.startedAt,
      medfee_sumamt: sum(fundLines.map((l) => l.amountFen)),
      insutype: buyer.insurance.insutype,
      acct_used_flag: options.useAccount === false ? '0' : '1',
      med_type: '41',
    },
    drugdetail: fundLines.map((l) => ({
      feedetl_sn: `${sale.saleId}-${l.lineId}`,
      ...defined({ rxno: l.rxNo || undefined }),
      rx_circ_flag: l.rxNo && sale.circulating(l.rxNo) ? ('1' as const) : ('0' as const),
      fee_ocur_time: sale.startedAt,
      med_list_codg: l.medListCode!,
      medins_list_codg: l.productId,
      det_item_fee_sumamt: l.amountFen,
      cnt: l.quantity,
      pric: l.unitPriceFen * 10_000,
    })),
  };
}

/**
 * Undoes a settlement whose outcome is unknown. A 2601 refused because nothing stands under the msgid proves
 * nothing while the 2102 may still be on its way (held in a queue, a slow gateway): it could commit after the
 * refusal. So the msgid's outcome is pinned first, by asking again with it (the platform answers its first answer,
 * or settles it now; either way nothing can commit under it later): refused for good means nothing was charged;
 * settled means 2601 reverses it. True when the platform confirms nothing stands.
 */
export async function reverse(ctx: TillContext, pending: PendingSettlement): Promise<boolean> {
  const { platform, storage } = ctx;
  const done = async () => {
    await storage.write([{ op: 'delete', store: 'settlements', key: pending.saleId }]);
    ctx.emit({ type: 'settlement:reversed', saleId: pending.saleId, msgid: pending.prepared.msgid });
    return true;
  };
  try {
    await platform.resolve(pending.prepared);
  } catch (error) {
    if (isYibaoGuardError(error, 'PLATFORM_REJECTED')) return done();
    // Still unknown (or a platform that does not answer a repeated msgid): the reversal alone decides.
  }
  try {
    await platform.reverse(
      { psn_no: pending.psnNo, omsgid: pending.prepared.msgid, oinfno: '2102' },
      { insuplcAdmdvs: pending.insuplcAdmdvs },
    );
  } catch (error) {
    if (!isYibaoGuardError(error, 'PLATFORM_REJECTED')) return false;
  }
  return done();
}
