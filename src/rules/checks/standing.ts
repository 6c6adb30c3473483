import type { Check } from '../compile.js';
import { cutTo, linesOf, packagesOf } from './quantity.js';

/**
 * 中止医保协议期间的定点零售药店进行医保费用结算 (seed 003 attachment 2, 定点药店 (六)): while the agreement is
 * suspended or ended, no line may be billed to the fund.
 */
export const pharmacySuspended: Check<'pharmacy-suspended'> = {
  id: 'pharmacy-suspended',
  sale(ctx) {
    const agreement = ctx.input.pharmacy.agreement;
    if (agreement === 'active') return;
    const fund = ctx.input.lines.filter((l) => l.payMode === 'fund');
    if (fund.length === 0) return;
    ctx.emit({
      summary: {
        zh: '本店医保协议已中止，不能医保结算',
        en: 'The pharmacy’s insurance agreement is suspended: no fund settlement',
      },
      detail: {
        zh: `本店定点医保协议${agreement === 'ended' ? '已终止' : '已中止'}，期间不得进行医保结算。请将全部明细改为自费。`,
        en: `The pharmacy's agreement is ${agreement}; nothing may be billed to the fund meanwhile. Switch every line to self-pay.`,
      },
      evidence: { agreement, fundLines: fund.length },
      actions: fund.map((l) => ({ kind: 'switch-to-self-pay' as const, lineId: l.lineId })),
    });
  },
};

const STATUS_TEXT = {
  deceased: {
    zh: '参保人已死亡（冒用死亡人员医保凭证）',
    en: 'the holder is deceased (a dead person’s voucher in use)',
  },
  'insurance-suspended': { zh: '参保人已暂停参保', en: 'the insurance is suspended' },
  'settlement-suspended': {
    zh: '参保人联网结算已暂停（医保失信等）',
    en: 'networked settlement is suspended for the person',
  },
  'not-insured': { zh: '参保人未参保或已终止参保', en: 'the person is not insured' },
} as const;

/** The buyer's standing, carried from verification or from the HIS: anyone not active draws nothing from the fund. */
export const buyerStatus: Check<'buyer-status'> = {
  id: 'buyer-status',
  sale(ctx) {
    const fund = ctx.input.lines.filter((l) => l.payMode === 'fund');
    if (fund.length === 0) return;
    const refused = ctx.input.buyer?.benefitRefused;
    if (refused !== undefined) {
      // The platform's own benefit check (2001) for this sale: its reason, before 2101 would refuse it.
      ctx.emit({
        key: 'benefit',
        confirmedByPlatform: true,
        summary: { zh: '医保待遇检查未通过，不能医保结算', en: 'Benefit check refused: no fund settlement' },
        detail: {
          zh: `医保平台待遇检查（2001）：${refused}。本单不得使用医保基金结算，请改为自费。`,
          en: `The platform's benefit check (2001) refused the buyer the fund: ${refused}. Switch every line to self-pay.`,
        },
        evidence: { benefit: 'refused', reason: refused.slice(0, 300) },
        actions: fund.map((l) => ({ kind: 'switch-to-self-pay' as const, lineId: l.lineId })),
      });
    }
    const status = ctx.input.buyer?.status;
    if (!status || status === 'active') return;
    const text = STATUS_TEXT[status];
    ctx.emit({
      summary: { zh: `不能医保结算：${text.zh}`, en: `No fund settlement: ${text.en}` },
      detail: {
        zh: `${text.zh}，本单不得使用医保基金结算。`,
        en: `Because ${text.en}, this sale must not be billed to the fund.`,
      },
      evidence: { status },
      actions: fund.map((l) => ({ kind: 'switch-to-self-pay' as const, lineId: l.lineId })),
    });
  },
};

/**
 * Selling more than the stock ledger has on hand: goods never bought in (空刷). All lines of a product count
 * together (whoever pays); one card per product on its first line, whose action brings the total down to what is on
 * hand. Products the ledger does not track are passed over.
 */
export const stockShortfall: Check<'stock-shortfall'> = {
  id: 'stock-shortfall',
  sale(ctx) {
    const stock = ctx.input.stock;
    if (!stock) return;
    const seen = new Set<string>();
    for (const line of ctx.input.lines) {
      if (seen.has(line.productId)) continue;
      seen.add(line.productId); // one finding per product, on its first line
      const onHand = stock.onHand(line.productId);
      if (onHand === undefined) continue;
      const group = linesOf(ctx.input.lines, line.productId, true);
      const total = packagesOf(group);
      if (total <= onHand) continue;
      const product = ctx.catalog.byId(line.productId);
      ctx.emit({
        lineId: line.lineId,
        summary: {
          zh: `库存不足：账面 ${onHand}，本次售出 ${total}`,
          en: `Stock shortfall: ${onHand} on record, ${total} sold`,
        },
        detail: {
          zh: `“${product?.genericName ?? line.name}”进销存账面库存 ${onHand}，本次售出 ${total}。账外销售或未入库的药品不得医保结算，请核对入库记录或盘点。`,
          en: `"${product?.genericName ?? line.name}" has ${onHand} on the stock ledger, this sale takes ${total}. Goods not booked in must not be billed; check the purchase records or count the shelf.`,
        },
        evidence: { productId: line.productId, onHand, sold: total },
        actions: [cutTo(group, Math.max(0, onHand))],
      });
    }
  },
};
