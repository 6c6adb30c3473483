/*
 * The basket of a sale session: scans, manual lines, quantities, pay modes and prescriptions (see
 * `createSaleSession` in session.ts). Every change goes through the state's `changed`.
 */
import { isWellFormedText } from '../canonical-json.js';
import { parseTraceCode, isValidGtin } from '../codes/index.js';
import { InputError, SaleError } from '../errors/index.js';
import { lineAmountFen } from '../money.js';
import { parseInput } from '../schemas/parse.js';
import { PrescriptionSchema, type Prescription } from '../schemas/prescription.js';
import type { PayMode, SaleLine } from '../schemas/sale.js';
import type { AddLineInput } from './session.js';
import {
  changed,
  defaultPayMode,
  indexOf,
  priceOf,
  replace,
  withFewerBoxes,
  withQuantity,
  writable,
  type SaleSessionState,
} from './session-state.js';
import { defined } from '../defined.js';

/** Adds a line for a product of the catalog (see `SaleSession.addLine`). */
export function addLine(state: SaleSessionState, input: AddLineInput): SaleLine {
  writable(state);
  const product = state.options.catalog.byId(input.productId);
  if (!product) {
    throw new SaleError('SCAN_UNKNOWN_PRODUCT', {
      message: `Product ${input.productId} is not in the catalog`,
      messageZh: `商品 ${input.productId} 不在本店目录中`,
      field: 'productId',
    });
  }
  const unitPriceFen = input.unitPriceFen ?? priceOf(product);
  const medListCode = input.medListCode ?? product.medListCode;
  // What the receipt will print: refused now, at the counter, if it cannot be signed (a lone UTF-16 surrogate in the
  // catalog's text), rather than after the platform has settled the sale and the invoice cannot be issued.
  if (![product.genericName, product.tradeName ?? '', product.specification].every(isWellFormedText)) {
    throw new InputError('INVALID_INPUT', {
      message:
        `Product ${product.productId}: its name or specification is not well-formed text ` +
        '(a lone UTF-16 surrogate); correct the catalog',
      messageZh: `商品 ${product.productId} 的名称或规格含无效字符，无法打印票据：请更正商品目录`,
      field: 'productId',
    });
  }
  const line: SaleLine = {
    lineId: `L${state.nextLine++}`,
    productId: product.productId,
    ...defined({ medListCode: medListCode || undefined }),
    name: product.tradeName ? `${product.genericName}（${product.tradeName}）` : product.genericName,
    specification: product.specification,
    quantity: input.quantity,
    split: input.split ?? false,
    unitPriceFen,
    amountFen: lineAmountFen(unitPriceFen, input.quantity),
    ...defined({ gtin: input.gtin || undefined }),
    traceCodes: [...(input.traceCodes ?? [])],
    ...defined({ rxNo: input.rxNo || undefined }),
    payMode: input.payMode ?? defaultPayMode(state.options, product),
  };
  state.lines.push(line);
  changed(state);
  return line;
}

/** A scanned 追溯码 or GTIN: a new line, or one more box on the product's whole-package line. */
export function scan(state: SaleSessionState, raw: string): SaleLine {
  writable(state);
  const { catalog } = state.options;
  const code = typeof raw === 'string' ? raw.trim() : '';
  if (/^8\d{19}$/.test(code)) {
    const trace = parseTraceCode(code);
    const product = catalog.byTracePrefix(trace.productPrefix);
    if (!product) throw unknownScan('追溯码', 'trace code');
    const index = state.lines.findIndex((l) => l.productId === product.productId && !l.split);
    if (index < 0) return addLine(state, { productId: product.productId, quantity: 1, traceCodes: [trace.code] });
    const line = state.lines[index]!;
    const traceCodes = [...line.traceCodes, trace.code];
    return replace(state, index, withQuantity({ ...line, traceCodes }, Math.max(line.quantity, traceCodes.length)));
  }
  if (isValidGtin(code)) {
    const product = catalog.byGtin(code);
    if (!product) throw unknownScan('商品条码', 'barcode');
    const index = state.lines.findIndex((l) => l.productId === product.productId && !l.split);
    if (index < 0) return addLine(state, { productId: product.productId, quantity: 1, gtin: code });
    const line = state.lines[index]!;
    return replace(state, index, withQuantity(line.gtin ? line : { ...line, gtin: code }, line.quantity + 1));
  }
  throw new SaleError('SCAN_UNKNOWN_PRODUCT', {
    message: 'The scan is neither a product barcode nor a drug trace code',
    messageZh: '扫描内容既不是商品条码也不是药品追溯码',
    field: 'code',
  });
}

function unknownScan(zh: string, en: string): SaleError {
  return new SaleError('SCAN_UNKNOWN_PRODUCT', {
    message: `The scanned ${en} is not in the catalog`,
    messageZh: `扫描的${zh}不在本店商品目录中`,
    field: 'code',
  });
}

/** Sets a line's quantity (see `SaleSession.setQuantity`). */
export function setQuantity(state: SaleSessionState, lineId: string, quantity: number): SaleLine {
  writable(state);
  const index = indexOf(state, lineId);
  return replace(state, index, withFewerBoxes(state.lines[index]!, quantity));
}

/** Sets a line's pay mode. */
export function setPayMode(state: SaleSessionState, lineId: string, payMode: PayMode): SaleLine {
  writable(state);
  const index = indexOf(state, lineId);
  return replace(state, index, { ...state.lines[index]!, payMode });
}

/** Removes a line. */
export function removeLine(state: SaleSessionState, lineId: string): void {
  writable(state);
  state.lines.splice(indexOf(state, lineId), 1);
  changed(state);
}

/** Attaches (or replaces, by 处方号) a prescription and dispenses lines against it (see `SaleSession`). */
export function attachPrescription(state: SaleSessionState, raw: unknown, lineIds?: readonly string[]): Prescription {
  writable(state);
  const { lines, prescriptions, options } = state;
  const rx = parseInput(PrescriptionSchema, raw, { en: 'Prescription', zh: '处方' });
  const existing = prescriptions.findIndex((p) => p.rxNo === rx.rxNo);
  if (existing >= 0) prescriptions[existing] = rx;
  else prescriptions.push(rx);
  const listed = new Set(rx.items.map((i) => i.medListCode));
  lines.forEach((line, index) => {
    const named = lineIds
      ? lineIds.includes(line.lineId)
      : line.medListCode !== undefined && listed.has(line.medListCode) && options.catalog.byId(line.productId)?.rx;
    if (named) lines[index] = { ...line, rxNo: rx.rxNo };
  });
  changed(state);
  return rx;
}
