import { fenToYuan } from '../../money.js';
import { formatCstDate } from '../../platform/time.js';
import type { SaleLine } from '../../schemas/sale.js';
import type { Check } from '../compile.js';
import { cutTo, linesOf, packagesOf } from './quantity.js';

const DAY = 86_400_000;

/**
 * Refill too soon (US prospective DUR; seed 003's 重复开药): the same generic drug bought again while the earlier
 * supply should still last. Compares with the buyer's history (the local journal and what the platform returned).
 */
export const repeatPurchase: Check<'repeat-purchase'> = {
  id: 'repeat-purchase',
  line(line, product, ctx) {
    const history = ctx.input.history;
    if (!product || !history || line.payMode !== 'fund') return;
    const { tolerance, windowDays } = ctx.rule.params;
    const now = ctx.input.now;
    const earlier = history.byGeneric(product.genericName);
    for (let i = earlier.length - 1; i >= 0; i--) {
      const last = earlier[i];
      if (!last || last.at < now - windowDays * DAY) break;
      if (last.daysSupply === undefined) continue;
      const runsOutAt = last.at + last.daysSupply * DAY;
      const remainingDays = (runsOutAt - now) / DAY;
      if (remainingDays <= last.daysSupply * tolerance) return;
      const earliest = last.at + last.daysSupply * (1 - tolerance) * DAY;
      ctx.emit({
        lineId: line.lineId,
        summary: {
          zh: `重复购药：上次购买的药量还可用 ${Math.ceil(remainingDays)} 天`,
          en: `Bought again too soon: ${Math.ceil(remainingDays)} days of supply left`,
        },
        detail: {
          zh: `参保人 ${formatCstDate(last.at)} 已购“${product.genericName}” ${last.packages} 盒，可用 ${last.daysSupply} 天，预计 ${formatCstDate(runsOutAt)} 用完；最早可于 ${formatCstDate(earliest)} 再次购买。`,
          en: `The buyer bought ${last.packages} of "${product.genericName}" on ${formatCstDate(last.at)} for ${last.daysSupply} days (until ${formatCstDate(runsOutAt)}); a refill is due from ${formatCstDate(earliest)}.`,
        },
        evidence: {
          genericName: product.genericName,
          lastPurchase: formatCstDate(last.at),
          daysSupply: last.daysSupply,
          remainingDays: Math.ceil(remainingDays),
        },
        actions: [
          { kind: 'remove-line', lineId: line.lineId },
          { kind: 'switch-to-self-pay', lineId: line.lineId },
        ],
      });
      return;
    }
  },
};

function fundLines(lines: readonly SaleLine[]): SaleLine[] {
  return lines.filter((l) => l.payMode === 'fund');
}

/** Ceilings on what the fund pays at pharmacies: per sale, per day and per year (0 turns one off). */
export const amountLimit: Check<'amount-limit'> = {
  id: 'amount-limit',
  sale(ctx) {
    const lines = fundLines(ctx.input.lines);
    if (lines.length === 0) return;
    const sale = lines.reduce((sum, l) => sum + l.amountFen, 0);
    const { perSaleFen, perDayFen, perYearFen } = ctx.rule.params;
    const day = formatCstDate(ctx.input.now);
    const history = ctx.input.history;
    const checks: Array<[string, number, number, string, string]> = [
      ['sale', sale, perSaleFen, '单笔', 'per sale'],
      ['day', sale + (history?.fundOnDay(day) ?? 0), perDayFen, '当日累计', 'today in total'],
      ['year', sale + (history?.fundInYear(day.slice(0, 4)) ?? 0), perYearFen, '年度累计', 'this year in total'],
    ];
    // The largest line is the one to take out or switch to self-pay first.
    const largest = lines.reduce((a, b) => (b.amountFen > a.amountFen ? b : a));
    for (const [key, amount, limit, zh, en] of checks) {
      if (limit === 0 || amount <= limit) continue;
      ctx.emit({
        key,
        summary: {
          zh: `医保支付超限：${zh} ${fenToYuan(amount)} 元 > ${fenToYuan(limit)} 元`,
          en: `Fund ceiling exceeded ${en}: ${fenToYuan(amount)} > ${fenToYuan(limit)} yuan`,
        },
        detail: {
          zh: `药店医保结算${zh}上限 ${fenToYuan(limit)} 元，本单计入后为 ${fenToYuan(amount)} 元。`,
          en: `The pharmacy fund ceiling ${en} is ${fenToYuan(limit)} yuan; with this sale it comes to ${fenToYuan(amount)} yuan.`,
        },
        evidence: { period: key, amountFen: amount, limitFen: limit },
        actions: [
          { kind: 'switch-to-self-pay', lineId: largest.lineId },
          { kind: 'remove-line', lineId: largest.lineId },
        ],
      });
    }
  },
};

/**
 * 异地参保人员医保电子凭证套刷 (seed 003 attachment 2, 五 (四)): an out-of-area voucher buying key drugs (attachment 1)
 * above the pack's threshold, by packages of one drug (all its fund lines together; the card on the first, the cut on
 * the last) or by fund amount of all key drugs.
 */
export const outOfAreaKeyDrug: Check<'out-of-area-key-drug'> = {
  id: 'out-of-area-key-drug',
  sale(ctx) {
    if (!ctx.input.buyer?.outOfArea) return;
    const { maxPackages, maxAmountFen } = ctx.rule.params;
    let amount = 0;
    let largest: SaleLine | undefined;
    const seen = new Set<string>();
    for (const line of fundLines(ctx.input.lines)) {
      const product = ctx.catalog.byId(line.productId);
      if (!product || !ctx.pack.isKeyDrug(product)) continue;
      amount += line.amountFen;
      if (!largest || line.amountFen > largest.amountFen) largest = line;
      if (seen.has(product.productId)) continue;
      seen.add(product.productId);
      const group = linesOf(ctx.input.lines, product.productId);
      const packages = packagesOf(group);
      if (packages > maxPackages) {
        ctx.emit({
          lineId: line.lineId,
          summary: {
            zh: `异地凭证购买重点药品超量：${product.genericName} ${packages}${product.packageUnit}`,
            en: `Out-of-area voucher buying a key drug in bulk: ${packages} × ${product.genericName}`,
          },
          detail: {
            zh: `“${product.genericName}”属重点监控药品，异地参保人单次限 ${maxPackages}${product.packageUnit}，本次 ${packages}。请核实购药人身份与用药需求。`,
            en: `"${product.genericName}" is a monitored key drug; an out-of-area voucher may buy ${maxPackages} per sale, this sale has ${packages}. Check who is buying and why.`,
          },
          evidence: { productId: product.productId, packages, maxPackages },
          actions: [cutTo(group, maxPackages)],
        });
      }
    }
    if (largest && amount > maxAmountFen) {
      ctx.emit({
        key: 'amount',
        summary: {
          zh: `异地凭证购买重点药品金额超限：${fenToYuan(amount)} 元`,
          en: `Out-of-area voucher: key drugs worth ${fenToYuan(amount)} yuan`,
        },
        detail: {
          zh: `异地参保人单次购买重点监控药品限 ${fenToYuan(maxAmountFen)} 元，本次 ${fenToYuan(amount)} 元。`,
          en: `An out-of-area voucher may buy key drugs for ${fenToYuan(maxAmountFen)} yuan per sale; this sale has ${fenToYuan(amount)} yuan.`,
        },
        evidence: { amountFen: amount, maxAmountFen },
        actions: [{ kind: 'switch-to-self-pay', lineId: largest.lineId }],
      });
    }
  },
};

/**
 * Key drugs (attachment 1) above the buyer's usual volume: this sale's packages of the drug (all its fund lines
 * together; the card on the first, the cut on the last) against `factor` × the median of earlier purchases in the
 * window, or against `maxPackages` with fewer than `minHistory` of them.
 */
export const keyDrugVolume: Check<'key-drug-volume'> = {
  id: 'key-drug-volume',
  line(line, product, ctx) {
    if (!product || line.payMode !== 'fund' || !ctx.pack.isKeyDrug(product)) return;
    const group = linesOf(ctx.input.lines, product.productId);
    if (group[0]?.lineId !== line.lineId) return;
    const packages = packagesOf(group);
    const { factor, maxPackages, windowDays, minHistory } = ctx.rule.params;
    const since = ctx.input.now - windowDays * DAY;
    const earlier = (ctx.input.history?.byGeneric(product.genericName) ?? [])
      .filter((p) => p.at >= since)
      .map((p) => p.packages);
    let limit = maxPackages;
    let usual: number | null = null;
    if (earlier.length >= minHistory) {
      const sorted = [...earlier].sort((a, b) => a - b);
      usual = sorted[Math.floor(sorted.length / 2)] ?? 0;
      limit = usual * factor;
    }
    if (packages <= limit) return;
    ctx.emit({
      lineId: line.lineId,
      summary: {
        zh: `重点药品用量异常：${product.genericName} ${packages}${product.packageUnit}`,
        en: `Unusual volume of a key drug: ${packages} × ${product.genericName}`,
      },
      detail:
        usual === null
          ? {
              zh: `“${product.genericName}”属重点监控药品，单次超过 ${maxPackages}${product.packageUnit}。`,
              en: `"${product.genericName}" is a monitored key drug; more than ${maxPackages} in one sale.`,
            }
          : {
              zh: `“${product.genericName}”属重点监控药品，参保人通常每次购买 ${usual}${product.packageUnit}，本次 ${packages}（超过 ${factor} 倍）。`,
              en: `"${product.genericName}" is a monitored key drug; the buyer usually buys ${usual}, this sale ${packages} (over ${factor}×).`,
            },
      evidence: { productId: product.productId, packages, usual, limit },
      actions: [cutTo(group, Math.max(1, Math.floor(limit)))],
    });
  },
};
