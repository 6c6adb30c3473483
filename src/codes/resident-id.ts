import { InputError } from '../errors/index.js';
import { hasProvincePrefix } from './area-code.js';
import { daysInMonth } from './calendar.js';
import { describeCharacter, failure, firstNonDigit, kindOf, type Failure } from './internal.js';

/** ISO 7064 MOD 11-2 weights (2^(17−i) mod 11) for the first 17 digits, as GB 11643-1999 lists them. */
const WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character for each value of the weighted sum mod 11. */
const CHECK_CHARS = '10X98765432';

const LABEL: Failure = { en: 'Resident ID number', zh: '居民身份证号码' };

/** Assumes 17 ASCII digits; callers check that first. */
function checkCharOf(first17: string): string {
  let sum = 0;
  WEIGHTS.forEach((weight, i) => {
    sum += weight * (first17.charCodeAt(i) - 48);
  });
  return CHECK_CHARS.charAt(sum % 11);
}

/** Options of the resident ID checks. */
export interface ResidentIdOptions {
  /** The time (epoch ms) whose year, in China Standard Time, is the latest birth year accepted. @default Date.now() */
  readonly now?: number;
}

/** The first birth year accepted: the GB 11643-1999 example 440524188001010014 was born in 1880. */
const FIRST_YEAR = 1800;
const HOUR = 3_600_000;

/** The CST year last computed and the epoch-ms span it covers, so that a scan loop reads no calendar. */
let known = { year: 0, from: 0, until: -1 };

/** The year in China Standard Time (UTC+8, no daylight saving) at `options.now`, or at the system clock. */
function currentYear(options: unknown): number {
  const given = typeof options === 'object' && options !== null ? (options as ResidentIdOptions).now : undefined;
  const now = typeof given === 'number' && Number.isFinite(given) ? given : Date.now();
  if (now < known.from || now >= known.until) {
    const year = new Date(now + 8 * HOUR).getUTCFullYear();
    known = { year, from: Date.UTC(year, 0, 1) - 8 * HOUR, until: Date.UTC(year + 1, 0, 1) - 8 * HOUR };
  }
  return known.year;
}

/**
 * The one place that decides whether an ID number is valid; every export below asks it. The reasons
 * name the part at fault but never quote it: a birth date or region is personal data too.
 */
function residentIdFailure(id: unknown, options: unknown): Failure | undefined {
  if (typeof id !== 'string') {
    return failure(LABEL, { en: `must be a string, got ${kindOf(id)}`, zh: `必须是字符串，实际为 ${kindOf(id)}` });
  }
  if (id.length === 0) return failure(LABEL, { en: 'is empty', zh: '为空' });
  if (id.length !== 18) {
    // Old 15-digit IDs were replaced in 2013; saying so spares staff a hunt for the "missing" digits.
    const old = id.length === 15 && firstNonDigit(id) === -1;
    return failure(LABEL, {
      en: `has ${id.length} characters; it must have 18${old ? ' (15-digit first-generation numbers are not accepted)' : ''}`,
      zh: `应为 18 位，实际为 ${id.length} 位${old ? '（不支持 15 位的第一代身份证号码）' : ''}`,
    });
  }
  const bad = firstNonDigit(id, 0, 17);
  if (bad !== -1) return failure(LABEL, describeCharacter(id, bad, { en: 'a digit 0–9', zh: '数字 0–9' }));
  const last = id.charAt(17);
  if (last !== 'X' && last !== 'x' && firstNonDigit(last) !== -1) {
    return failure(LABEL, describeCharacter(id, 17, { en: 'a digit 0–9 or X', zh: '数字 0–9 或 X' }));
  }
  if (!hasProvincePrefix(id)) {
    return failure(LABEL, {
      en: 'the region code (digits 1–6) does not begin with a province-level code',
      zh: '地址码（第 1–6 位）的前两位不是有效的省级行政区划代码',
    });
  }
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  // Up to the current year only: no one alive was born later. By year, not day, so that a till clock a few days
  // behind does not refuse a newborn's number; the clock is the caller's (`now`) where it has one.
  const latest = currentYear(options);
  if (year < FIRST_YEAR || year > latest) {
    return failure(LABEL, {
      en: `the birth year (digits 7–10) is not between ${FIRST_YEAR} and ${latest}`,
      zh: `出生年份（第 7–10 位）不在 ${FIRST_YEAR}–${latest} 年之间`,
    });
  }
  if (month < 1 || month > 12) {
    return failure(LABEL, {
      en: 'the birth month (digits 11–12) is not 01–12',
      zh: '出生月份（第 11–12 位）不在 01–12 之间',
    });
  }
  if (day < 1 || day > daysInMonth(year, month)) {
    return failure(LABEL, {
      en: 'the birth day (digits 13–14) does not exist in that month',
      zh: '出生日（第 13–14 位）在该月不存在',
    });
  }
  if (checkCharOf(id) !== last.toUpperCase()) {
    return failure(LABEL, {
      en: 'the check character (character 18) does not match digits 1–17; the number was probably mistyped',
      zh: '校验码（第 18 位）与前 17 位不符，号码可能输入有误',
    });
  }
  return undefined;
}

function residentIdError(reason: Failure): InputError {
  return new InputError('INVALID_RESIDENT_ID', { message: reason.en, messageZh: reason.zh, field: 'residentId' });
}

/**
 * Whether `id` is a valid 18-character resident ID number (GB 11643-1999): a province-level region
 * code, a real birth date from 1800 to the current year (China Standard Time, by `options.now` or the
 * system clock), a sequence number and a matching ISO 7064 MOD 11-2 check character (`X` in either
 * case). Nothing is trimmed: a stray space means the field was filled wrongly.
 *
 * @example
 * isValidResidentId(scanned) // true for a number whose region, date and check character hold
 * isValidResidentId(mistyped) // false when one digit was mistyped (the check character no longer matches)
 * isValidResidentId(scanned, { now: clock.now() }) // the birth year judged by the till's clock
 */
export function isValidResidentId(id: unknown, options?: ResidentIdOptions): boolean {
  return residentIdFailure(id, options) === undefined;
}

/**
 * Throws an `InputError` with code `INVALID_RESIDENT_ID` unless `id` is valid (see
 * {@link isValidResidentId}); the messages say which part is wrong (length, characters, region, date or
 * check character) without ever repeating the number, so they are safe to show and to log.
 *
 * @example
 * checkResidentId(input.residentId) // throws: "Resident ID number: the birth month (digits 11–12) is not 01–12"
 */
export function checkResidentId(id: unknown, options?: ResidentIdOptions): asserts id is string {
  const reason = residentIdFailure(id, options);
  if (reason !== undefined) throw residentIdError(reason);
}

/**
 * The ISO 7064 MOD 11-2 check character (`0`–`9` or upper-case `X`) for the first 17 digits of an ID
 * number; only their being 17 ASCII digits is checked, so generators of test data can use it for any
 * body. Throws an `InputError` with code `INVALID_RESIDENT_ID` otherwise.
 *
 * @example
 * residentIdCheckChar('11010519491231002') // 'X'
 */
export function residentIdCheckChar(first17: string): string {
  if (typeof first17 !== 'string' || first17.length !== 17 || firstNonDigit(first17) !== -1) {
    throw residentIdError({
      en: 'Resident ID number: the check character needs exactly 17 digits 0–9',
      zh: '居民身份证号码：计算校验码需要恰好 17 位数字 0–9',
    });
  }
  return checkCharOf(first17);
}

/**
 * What a valid ID number says about its holder: birth date (`yyyy-MM-dd`), sex (odd 17th digit = male)
 * and the six-digit region code where it was issued. Throws the same `INVALID_RESIDENT_ID` error as
 * {@link checkResidentId} for an invalid number, so nothing is read from a mistyped one.
 *
 * @example
 * residentIdInfo(residentId) // e.g. { birthDate: '1949-12-31', sex: 'female', regionCode: '110105' }
 */
export function residentIdInfo(
  id: string,
  options?: ResidentIdOptions,
): { birthDate: string; sex: 'male' | 'female'; regionCode: string } {
  checkResidentId(id, options);
  return {
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: (id.charCodeAt(16) - 48) % 2 === 1 ? 'male' : 'female',
    regionCode: id.slice(0, 6),
  };
}
