/**
 * yibao-guard/codes: the codes a pharmacy till reads: resident ID numbers, GTIN barcodes, drug traceability codes,
 * 医保区划 codes and 医保目录编码; the masks that keep personal data out of logs, errors and screens; money as
 * integer 分 and its exact conversions.
 *
 * @packageDocumentation
 */
export {
  isValidResidentId,
  checkResidentId,
  residentIdCheckChar,
  residentIdInfo,
  type ResidentIdOptions,
} from './resident-id.js';
export { isValidGtin, gtinCheckDigit, checkGtin } from './gtin.js';
export { parseTraceCode, isValidTraceCode, type TraceCode } from './trace-code.js';
export { isValidAreaCode, checkAreaCode, AREA_PROVINCES } from './area-code.js';
export { isValidMedListCode, checkMedListCode, medListKind, type MedListKind } from './med-list-code.js';
export { maskResidentId, maskName, maskPhone, maskPersonalData } from './mask.js';
export { isCalendarDate } from './calendar.js';
export {
  yuanToFen,
  fenToYuan,
  fenToYuanNumber,
  priceToMicros,
  microsToPrice,
  lineAmountFen,
  quantityToTenThousandths,
  type Fen,
} from '../money.js';
