import { formatCstDate } from '../../platform/time.js';
import type { Prescription } from '../../schemas/prescription.js';
import type { Check } from '../compile.js';
import { cutTo, linesOf, packagesOf, round4 } from './quantity.js';

const DAY = 86_400_000;

/**
 * 处方药 sold without a valid prescription (seed 003 attachment 2, 定点药店 (二)): none attached, already dispensed
 * or revoked, expired, written for another person, not listing this drug, or more than prescribed (all lines of the
 * drug on the prescription together) — checked in that order, one card per line. Applies to 自费 lines too: a
 * 处方药 needs its prescription whoever pays.
 */
export const rxRequired: Check<'rx-required'> = {
  id: 'rx-required',
  line(line, product, ctx) {
    if (!product?.rx) return;
    const emit = (key: string, zh: string, en: string, evidence: Record<string, string | number | null>) =>
      ctx.emit({
        lineId: line.lineId,
        key,
        summary: { zh: `处方药须凭有效处方：${zh}`, en: `Prescription drug needs a valid prescription: ${en}` },
        detail: {
          zh: `“${product.genericName}”是处方药，${zh}。请关联有效的电子处方，或移除该药品。`,
          en: `"${product.genericName}" is a prescription drug and ${en}. Attach a valid e-prescription or remove the line.`,
        },
        evidence: { productId: product.productId, ...evidence },
        actions: [
          { kind: 'attach-prescription', lineId: line.lineId },
          { kind: 'remove-line', lineId: line.lineId },
        ],
      });
    const rx = line.rxNo ? ctx.input.prescriptions.find((p) => p.rxNo === line.rxNo) : undefined;
    if (!rx) {
      emit('missing', '未关联处方', 'no prescription is attached', { rxNo: line.rxNo ?? null });
      return;
    }
    // A prescription already dispensed or revoked is reported as such even when it is also past its date: being
    // presented again is the telling fact (a reused or 变造 prescription).
    if (rx.status !== 'valid') {
      emit(
        'used',
        rx.status === 'dispensed' ? '处方已调剂使用' : '处方已作废',
        rx.status === 'dispensed' ? 'the prescription was already dispensed' : 'the prescription was revoked',
        { rxNo: rx.rxNo, status: rx.status },
      );
      return;
    }
    const validDays = rx.validDays ?? ctx.rule.params.prescriptionValidDays;
    const expiresAt = rx.issuedAt + validDays * DAY;
    if (ctx.input.now >= expiresAt) {
      emit(
        'expired',
        `处方已过期（开具于 ${formatCstDate(rx.issuedAt)}，有效 ${validDays} 天）`,
        `the prescription expired (issued ${formatCstDate(rx.issuedAt)}, valid ${validDays} days)`,
        {
          rxNo: rx.rxNo,
          issuedOn: formatCstDate(rx.issuedAt),
          validDays,
        },
      );
      return;
    }
    if (!forThisBuyer(rx, ctx.input.buyer)) {
      emit('patient', '处方不是为本人开具', 'the prescription was written for someone else', { rxNo: rx.rxNo });
      return;
    }
    const item = rx.items.find((i) => i.medListCode === product.medListCode);
    if (!item) {
      emit('drug', '处方未开具该药品', 'the prescription does not list this drug', {
        rxNo: rx.rxNo,
        medListCode: product.medListCode ?? null,
      });
      return;
    }
    // All lines dispensing this drug against this prescription count together.
    const dispensed = packagesOf(
      ctx.input.lines.filter((l) => l.rxNo === rx.rxNo && l.medListCode === product.medListCode),
    );
    if (dispensed > item.quantity) {
      emit(
        'quantity',
        `数量超过处方（处方 ${item.quantity}，本次 ${dispensed}）`,
        `more than prescribed (${item.quantity} prescribed, ${dispensed} sold)`,
        { rxNo: rx.rxNo, prescribed: item.quantity, sold: dispensed },
      );
    }
  },
};

function forThisBuyer(rx: Prescription, buyer: { psnNo: string; residentId?: string } | undefined): boolean {
  if (!buyer) return false;
  if (rx.patient.psnNo !== undefined) return rx.patient.psnNo === buyer.psnNo;
  if (rx.patient.residentId !== undefined && buyer.residentId !== undefined)
    return rx.patient.residentId.toUpperCase() === buyer.residentId.toUpperCase();
  return false;
}

/**
 * 超量开药: the quantity covers more days than allowed — 7 days ordinarily, 14 for the mobility-impaired, up to 30
 * when a prescription says so or for a registered chronic disease, up to 84 for a long prescription of one (pack
 * parameters), and never more than the catalog's own maximum for the product. Days = packages × package size ÷
 * daily dose.
 *
 * All fund lines of one product count together (a supply split over several lines is still one supply); the card
 * goes on the first of them, its reduce-quantity (or remove-line) action on the last. Whole packages: one package
 * is always allowed, even when it lasts longer than the limit (不足一个最小包装的按一个包装); beyond that the limit
 * holds. 拆零 lines (`split`) can be cut to the day, so for them the days are compared exactly.
 */
export const daysSupply: Check<'days-supply'> = {
  id: 'days-supply',
  line(line, product, ctx) {
    if (!product?.dailyDoseUnits || line.payMode !== 'fund') return;
    const group = linesOf(ctx.input.lines, line.productId);
    if (group[0]?.lineId !== line.lineId) return;
    const p = ctx.rule.params;
    const buyer = ctx.input.buyer;
    const chronic = qualifiesAsChronic(product.paymentRestriction?.diseaseCodes, buyer?.chronic ?? []);
    const rxNo = group.find((l) => l.rxNo !== undefined)?.rxNo;
    const rx = rxNo ? ctx.input.prescriptions.find((r) => r.rxNo === rxNo) : undefined;
    const prescribedDays = rx?.items.find((i) => i.medListCode === product.medListCode)?.days;
    let limit = p.ordinaryDays;
    let basis = { zh: '普通', en: 'ordinary' };
    if (
      buyer &&
      buyer.identities.some((i) => p.mobilityImpairedIdentities.includes(i)) &&
      p.mobilityImpairedDays > limit
    ) {
      limit = p.mobilityImpairedDays;
      basis = { zh: '行动不便', en: 'mobility-impaired' };
    }
    // A doctor may prescribe for longer than the ordinary limit (慢性病、老年病或特殊情况): up to the chronic limit.
    if (prescribedDays !== undefined && Math.min(prescribedDays, p.chronicDays) > limit) {
      limit = Math.min(prescribedDays, p.chronicDays);
      basis = { zh: '处方', en: 'prescribed' };
    }
    if (chronic && p.chronicDays > limit) {
      limit = p.chronicDays;
      basis = { zh: '慢特病', en: 'chronic disease' };
    }
    if (chronic && prescribedDays !== undefined && prescribedDays > p.chronicDays) {
      limit = Math.min(prescribedDays, p.longChronicDays);
      basis = { zh: '慢特病长处方', en: 'long chronic prescription' };
    }
    if (product.maxDaysSupply !== undefined && product.maxDaysSupply < limit) {
      limit = product.maxDaysSupply;
      basis = { zh: '目录限定', en: 'catalog maximum' };
    }
    const packages = packagesOf(group);
    const split = group.some((l) => l.split);
    const days = round4((packages * product.packageSize) / product.dailyDoseUnits);
    if (days <= limit) return;
    if (!split && packages <= 1) return;
    // Packages that cover the limit: to the 1/10000 when sold loose, else whole ones (at least one).
    const covering = (limit * product.dailyDoseUnits) / product.packageSize;
    const maxPackages = split
      ? Math.floor(covering * 10_000 + 1e-9) / 10_000
      : Math.max(1, Math.floor(covering + 1e-9));
    ctx.emit({
      lineId: line.lineId,
      summary: {
        zh: `超过最大用药天数：${Math.ceil(days)} 天 > ${limit} 天`,
        en: `Exceeds the days of supply: ${Math.ceil(days)} > ${limit} days`,
      },
      detail: {
        zh: `“${product.genericName}”本次 ${packages}${product.packageUnit}，按每日 ${product.dailyDoseUnits}${product.minUnit} 可用 ${Math.ceil(days)} 天，超过${basis.zh}上限 ${limit} 天。建议减至 ${maxPackages}${product.packageUnit}。`,
        en: `${packages} × "${product.genericName}" at ${product.dailyDoseUnits} units a day lasts ${Math.ceil(days)} days, over the ${basis.en} limit of ${limit} days. Reduce to ${maxPackages}.`,
      },
      evidence: { productId: product.productId, days: Math.ceil(days), limit, basis: basis.en, packages, maxPackages },
      actions: [cutTo(group, maxPackages)],
    });
  },
};

/**
 * A buyer counts as chronic for a drug when registered for one of the drug's diseases, or for any when it names none.
 */
function qualifiesAsChronic(drugDiseases: readonly string[] | undefined, buyerChronic: readonly string[]): boolean {
  if (buyerChronic.length === 0) return false;
  return drugDiseases === undefined || drugDiseases.some((code) => buyerChronic.includes(code));
}
