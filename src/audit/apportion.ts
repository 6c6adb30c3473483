import type { SaleRecord } from '../sale/record.js';

/** One line's share of its sale's 医保 payment (统筹 + 个人账户) and what refunds returned of it, in 分. */
export interface LineStake {
  readonly insuredFen: number;
  readonly refundedFen: number;
}

/**
 * Shares `total` out over `weights` in proportion, in whole 分 that add up to `total` exactly (largest remainder;
 * ties to the earlier item). All-zero weights share nothing.
 */
export function shareOut(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total <= 0 || sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map((x) => Math.floor(x));
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i] = (shares[i] ?? 0) + 1;
    left--;
  }
  return shares;
}

/**
 * The 医保 share of every fund line of a sale, and what its refunds returned of it (see `LedgerEntry` for the
 * definition). Lines paid 自费 get nothing.
 */
export function lineStakes(record: SaleRecord): Map<string, LineStake> {
  const fund = record.lines.filter((l) => l.payMode === 'fund');
  const insured = shareOut(
    record.split.fundFen + record.split.accountFen,
    fund.map((l) => l.amountFen),
  );
  const stakes = new Map<string, { insuredFen: number; refundedFen: number }>();
  fund.forEach((line, i) => stakes.set(line.lineId, { insuredFen: insured[i] ?? 0, refundedFen: 0 }));
  for (const refund of record.refunds) {
    const returned = refund.lines.filter((l) => stakes.has(l.lineId));
    const shares = shareOut(
      refund.split.fundFen + refund.split.accountFen,
      returned.map((l) => l.amountFen),
    );
    returned.forEach((l, i) => {
      const stake = stakes.get(l.lineId)!;
      stake.refundedFen = Math.min(stake.insuredFen, stake.refundedFen + (shares[i] ?? 0));
    });
  }
  return stakes;
}
