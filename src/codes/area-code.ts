import { InputError } from '../errors/index.js';
import { describeCharacter, failure, firstNonDigit, kindOf, type Failure } from './internal.js';

/**
 * The two-digit province-level codes of GB/T 2260 (provinces, autonomous regions, municipalities,
 * Taiwan, Hong Kong, Macao). Resident ID numbers and 医保区划 codes both begin with one of these, so a
 * code outside the list is a typo or a different kind of number.
 */
export const AREA_PROVINCES: readonly string[] = Object.freeze([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

const PROVINCES: ReadonlySet<string> = new Set(AREA_PROVINCES);

/** True if the first two characters of `code` are a province-level code; shared with resident-id.ts. */
export function hasProvincePrefix(code: string): boolean {
  return PROVINCES.has(code.slice(0, 2));
}

const LABEL: Failure = { en: 'Insurance area code', zh: '医保区划代码' };

function areaCodeFailure(code: unknown): Failure | undefined {
  if (typeof code !== 'string') {
    return failure(LABEL, { en: `must be a string, got ${kindOf(code)}`, zh: `必须是字符串，实际为 ${kindOf(code)}` });
  }
  if (code.length === 0) return failure(LABEL, { en: 'is empty', zh: '为空' });
  // Length before characters so that a huge input is refused without being scanned.
  if (code.length !== 6) {
    return failure(LABEL, {
      en: `has ${code.length} characters; it must have 6 digits`,
      zh: `应为 6 位数字，实际为 ${code.length} 位`,
    });
  }
  const bad = firstNonDigit(code);
  if (bad !== -1) return failure(LABEL, describeCharacter(code, bad, { en: 'a digit 0–9', zh: '数字 0–9' }));
  if (!hasProvincePrefix(code)) {
    return failure(LABEL, {
      en: 'the first two digits are not a province-level code',
      zh: '前两位不是有效的省级行政区划代码',
    });
  }
  return undefined;
}

/**
 * Whether `code` is a 医保区划 code: six ASCII digits, province(2) + city(2) + county(2), the province
 * being one of {@link AREA_PROVINCES}. City and county are not checked against a list because the
 * platform's list changes with every administrative reform; the province part is what catches typos
 * and numbers of the wrong kind.
 *
 * @example
 * isValidAreaCode('220100') // true (长春市)
 * isValidAreaCode('990100') // false: 99 is no province
 */
export function isValidAreaCode(code: unknown): boolean {
  return areaCodeFailure(code) === undefined;
}

/**
 * Returns `code` unchanged if it is a valid 医保区划 code (see {@link isValidAreaCode}), and otherwise
 * throws an `InputError` with code `INVALID_AREA_CODE` whose messages say what is wrong, so that a
 * bad configuration fails where it is read rather than at the platform.
 *
 * @example
 * const area = checkAreaCode(config.areaCode) // '220000'
 */
export function checkAreaCode(code: unknown): string {
  const reason = areaCodeFailure(code);
  if (reason !== undefined) {
    throw new InputError('INVALID_AREA_CODE', { message: reason.en, messageZh: reason.zh, field: 'areaCode' });
  }
  return code as string;
}
