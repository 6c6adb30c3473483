import type { SuggestedAction } from '../../schemas/finding.js';
import type { SaleLine } from '../../schemas/sale.js';

/*
 * Quantities of one product over several lines. A sale may carry a product on more than one line (a whole-box line
 * and a 拆零 line, or lines added by hand); a limit on packages or days applies to them together, or splitting the
 * basket would slip past it.
 */

/** Rounds to the 4 decimals a quantity may carry, so that 0.1 + 0.2 compares as 0.3. */
export function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** The lines of a product (fund lines only, unless `allPayModes`), in sale order. */
export function linesOf(lines: readonly SaleLine[], productId: string, allPayModes = false): SaleLine[] {
  return lines.filter((l) => l.productId === productId && (allPayModes || l.payMode === 'fund'));
}

/** Total packages of some lines. */
export function packagesOf(lines: readonly SaleLine[]): number {
  return round4(lines.reduce((sum, l) => sum + l.quantity, 0));
}

/**
 * The one-call fix that brings the lines of a product down to `allowed` packages in all: the last line (the most
 * recently added) is cut to what is left for it — whole packages on a whole-box line, to 1/10000 on a 拆零 line — or
 * removed when the other lines already use up the allowance.
 */
export function cutTo(lines: readonly SaleLine[], allowed: number): SuggestedAction {
  const last = lines[lines.length - 1]!;
  const left = round4(allowed - (packagesOf(lines) - last.quantity));
  const keep = last.split ? Math.floor(left * 10_000 + 1e-6) / 10_000 : Math.floor(left + 1e-6);
  return keep > 0
    ? { kind: 'reduce-quantity', lineId: last.lineId, quantity: keep }
    : { kind: 'remove-line', lineId: last.lineId };
}
