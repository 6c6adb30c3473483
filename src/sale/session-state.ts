/*
 * The state of one sale session and the small steps every change to it goes through. `createSaleSession`
 * (session.ts) builds the session over this state; the lines (session-lines.ts) and the review
 * (session-review.ts) work on it.
 */
import { SaleError } from '../errors/index.js';
import { lineAmountFen } from '../money.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { Override } from '../schemas/finding.js';
import type { Prescription } from '../schemas/prescription.js';
import type { Product } from '../schemas/product.js';
import { FUND_ELIGIBLE_CATEGORIES } from '../schemas/product.js';
import type { PayMode, SaleLine } from '../schemas/sale.js';
import type { Review, SaleSessionOptions } from './session.js';

/** What one sale session holds: the basket, its prescriptions and overrides, and where its reviews stand. */
export interface SaleSessionState {
  readonly options: SaleSessionOptions;
  readonly lines: SaleLine[];
  readonly prescriptions: Prescription[];
  /** Overrides by finding id, each with the fingerprint of the finding it was given for. */
  readonly overrides: Map<string, { override: Override; fingerprint: string }>;
  /** The number of the next line added (`L1`, `L2`, …). */
  nextLine: number;
  /** Goes up with every change to the basket: a review stands while the version is the one it saw. */
  version: number;
  reviewed: { version: number; review: Review } | undefined;
  closed: boolean;
}

/** A new sale's state: an empty basket, nothing reviewed. */
export function createSaleSessionState(options: SaleSessionOptions): SaleSessionState {
  return {
    options,
    lines: [],
    prescriptions: [],
    overrides: new Map(),
    nextLine: 1,
    version: 0,
    reviewed: undefined,
    closed: false,
  };
}

/** Throws `SALE_CLOSED` once the sale is closed. */
export function writable(state: SaleSessionState): void {
  if (state.closed) throw new SaleError('SALE_CLOSED');
}

/** Marks the basket changed: the last review no longer stands. */
export function changed(state: SaleSessionState): void {
  state.version++;
}

/** The index of a line, or `SALE_LINE_NOT_FOUND`. */
export function indexOf(state: SaleSessionState, lineId: string): number {
  const index = state.lines.findIndex((l) => l.lineId === lineId);
  if (index < 0) {
    throw new SaleError('SALE_LINE_NOT_FOUND', {
      message: `No sale line ${lineId}`,
      messageZh: `销售明细 ${lineId} 不存在`,
      field: 'lineId',
    });
  }
  return index;
}

/** Puts `line` in place of the line at `index`, as a change. */
export function replace(state: SaleSessionState, index: number, line: SaleLine): SaleLine {
  state.lines[index] = line;
  changed(state);
  return line;
}

/** The line with another quantity, its amount recomputed. */
export function withQuantity(line: SaleLine, quantity: number): SaleLine {
  return { ...line, quantity, amountFen: lineAmountFen(line.unitPriceFen, quantity) };
}

/** A smaller quantity hands boxes back: the codes of the last-scanned boxes go, so they are not reported sold. */
export function withFewerBoxes(line: SaleLine, quantity: number): SaleLine {
  const boxes = Math.ceil(quantity);
  const kept = line.traceCodes.length > boxes ? { ...line, traceCodes: line.traceCodes.slice(0, boxes) } : line;
  return withQuantity(kept, quantity);
}

/** 医保 for an insured buyer and a fund-eligible product on the list (not class C), else 自费. */
export function defaultPayMode(options: SaleSessionOptions, product: Product): PayMode {
  const listed =
    product.medListCode && FUND_ELIGIBLE_CATEGORIES.has(product.category) && product.insuranceClass !== 'C';
  return options.buyer && listed ? 'fund' : 'self-pay';
}

/** The product's retail price, or `PRODUCT_NOT_PRICED`. */
export function priceOf(product: Product): number {
  if (product.retailPriceFen === undefined) {
    throw new SaleError('PRODUCT_NOT_PRICED', {
      message: `Product ${product.productId} has no retail price`,
      messageZh: `商品“${product.genericName}”没有零售价`,
      field: 'productId',
    });
  }
  return product.retailPriceFen;
}

/** Writes one event to the audit trail (when the terminal gave one). */
export async function audit(state: SaleSessionState, event: AuditEvent): Promise<void> {
  await state.options.audit?.([event]);
}

/** The last review, if the basket has not changed since. */
export function lastReview(state: SaleSessionState): Review | undefined {
  return state.reviewed?.version === state.version ? state.reviewed.review : undefined;
}
