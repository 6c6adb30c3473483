import type { SaleRecord } from '../sale/record.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';

function isSplit(v: unknown): boolean {
  return (
    isObject(v) &&
    isNumber(v['fundFen']) &&
    isNumber(v['accountFen']) &&
    isNumber(v['totalFen']) &&
    isNumber(v['cashFen'])
  );
}

function isLine(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v['lineId']) &&
    isString(v['productId']) &&
    isString(v['name']) &&
    isNumber(v['quantity']) &&
    isNumber(v['amountFen']) &&
    (v['payMode'] === 'fund' || v['payMode'] === 'self-pay') &&
    Array.isArray(v['traceCodes'])
  );
}

/**
 * Whether a stored value has the shape of a `SaleRecord` in every field the self-audit reads. Storage is outside
 * the trust boundary: a record that is not is reported (`record-unreadable`) and passed over, never half-read.
 * The rules themselves read the lines, which are checked field by field here rather than parsed with the schema:
 * a year of sales is checked in milliseconds.
 */
export function isSaleRecord(v: unknown): v is SaleRecord {
  if (!isObject(v)) return false;
  const review = v['review'];
  const buyer = v['buyer'];
  return (
    isString(v['saleId']) &&
    isString(v['pharmacyCode']) &&
    isString(v['terminalId']) &&
    isString(v['operatorId']) &&
    isNumber(v['settledAt']) &&
    Array.isArray(v['lines']) &&
    v['lines'].every(isLine) &&
    Array.isArray(v['prescriptions']) &&
    v['prescriptions'].every(
      (rx) => isObject(rx) && isString(rx['rxNo']) && isObject(rx['patient']) && Array.isArray(rx['items']),
    ) &&
    isSplit(v['split']) &&
    Array.isArray(v['refunds']) &&
    v['refunds'].every((r) => isObject(r) && isNumber(r['at']) && Array.isArray(r['lines']) && isSplit(r['split'])) &&
    isObject(review) &&
    Array.isArray(review['findings']) &&
    review['findings'].every((f) => isObject(f) && isString(f['findingId']) && isString(f['ruleId'])) &&
    (buyer === undefined ||
      (isObject(buyer) && isString(buyer['psnNo']) && isObject(buyer['facts']) && isString(buyer['facts']['psnNo'])))
  );
}
