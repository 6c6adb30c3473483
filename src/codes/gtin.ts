import { InputError } from '../errors/index.js';
import { describeCharacter, failure, firstNonDigit, kindOf, type Failure } from './internal.js';

const LABEL: Failure = { en: 'GTIN barcode', zh: '商品条码' };
const LENGTHS: readonly number[] = [8, 12, 13, 14];

/** GS1 mod-10 over ASCII digits; weights run from the right so one routine serves every length. */
function checkDigitOf(body: string): number {
  let sum = 0;
  let weight = 3;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += weight * (body.charCodeAt(i) - 48);
    weight = 4 - weight;
  }
  return (10 - (sum % 10)) % 10;
}

function gtinFailure(code: unknown): Failure | undefined {
  if (typeof code !== 'string') {
    return failure(LABEL, { en: `must be a string, got ${kindOf(code)}`, zh: `必须是字符串，实际为 ${kindOf(code)}` });
  }
  if (code.length === 0) return failure(LABEL, { en: 'is empty', zh: '为空' });
  if (!LENGTHS.includes(code.length)) {
    // Length first: it refuses a huge input without scanning it, and it is what a wrong scan usually gets wrong.
    return failure(LABEL, {
      en: `has ${code.length} characters; it must have 8, 12, 13 or 14 digits`,
      zh: `应为 8、12、13 或 14 位数字，实际为 ${code.length} 位`,
    });
  }
  const bad = firstNonDigit(code);
  if (bad !== -1) return failure(LABEL, describeCharacter(code, bad, { en: 'a digit 0–9', zh: '数字 0–9' }));
  const expected = checkDigitOf(code.slice(0, -1));
  const actual = code.charCodeAt(code.length - 1) - 48;
  if (expected !== actual) {
    return failure(LABEL, {
      en: `the check digit is ${actual} but the other digits give ${expected}; the code was probably misread or mistyped`,
      zh: `校验位为 ${actual}，但按前面各位计算应为 ${expected}，条码可能识读或输入有误`,
    });
  }
  return undefined;
}

/**
 * Whether `code` is a GTIN-8, -12 (UPC-A), -13 (EAN-13) or -14: ASCII digits only, with a matching GS1
 * mod-10 check digit. Nothing is trimmed, so that this agrees with {@link checkGtin}, which returns its
 * input unchanged.
 *
 * @example
 * isValidGtin('6901234567892') // true
 * isValidGtin('6901234567891') // false: check digit
 */
export function isValidGtin(code: unknown): boolean {
  return gtinFailure(code) === undefined;
}

/**
 * The GS1 mod-10 check digit for a GTIN body, i.e. the code without its last digit (7, 11, 12 or 13
 * digits). Throws an `InputError` with code `INVALID_GTIN` for any other body, since a check digit
 * computed for a body that cannot be a GTIN would only make a wrong code look right.
 *
 * @example
 * gtinCheckDigit('690123456789') // 2
 */
export function gtinCheckDigit(body: string): number {
  if (typeof body !== 'string' || !LENGTHS.includes(body.length + 1) || firstNonDigit(body) !== -1) {
    throw new InputError('INVALID_GTIN', {
      message: 'GTIN barcode: the check digit needs a body of 7, 11, 12 or 13 digits 0–9',
      messageZh: '商品条码：计算校验位需要 7、11、12 或 13 位数字 0–9',
      field: 'gtin',
    });
  }
  return checkDigitOf(body);
}

/**
 * Returns `code` unchanged if it is a valid GTIN (see {@link isValidGtin}); otherwise throws an
 * `InputError` with code `INVALID_GTIN` saying what is wrong (type, length, a non-digit and where, or
 * the check digit), without repeating the input.
 *
 * @example
 * const gtin = checkGtin(scan) // '6901234567892'
 */
export function checkGtin(code: unknown): string {
  const reason = gtinFailure(code);
  if (reason !== undefined) {
    throw new InputError('INVALID_GTIN', { message: reason.en, messageZh: reason.zh, field: 'gtin' });
  }
  return code as string;
}
