import { InputError } from '../errors/index.js';
import { describeCharacter, failure, kindOf, type Failure } from './internal.js';

const LABEL: Failure = { en: 'Medical insurance item code', zh: '医保目录编码' };
const MIN_LENGTH = 10;
const MAX_LENGTH = 30;

/** The kind of item a 医保目录编码 names, read from its first character. */
export type MedListKind = 'western' | 'patent' | 'herbal' | 'consumable';

const KINDS: Readonly<Record<string, MedListKind>> = { X: 'western', Z: 'patent', T: 'herbal', C: 'consumable' };

function isAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function medListCodeFailure(code: unknown): Failure | undefined {
  if (typeof code !== 'string') {
    return failure(LABEL, { en: `must be a string, got ${kindOf(code)}`, zh: `必须是字符串，实际为 ${kindOf(code)}` });
  }
  if (code.length === 0) return failure(LABEL, { en: 'is empty', zh: '为空' });
  if (code.length > MAX_LENGTH) {
    return failure(LABEL, {
      en: `has ${code.length} characters; it must have at most ${MAX_LENGTH}`,
      zh: `最多 ${MAX_LENGTH} 个字符，实际为 ${code.length} 个`,
    });
  }
  const first = code.charAt(0);
  if (!Object.hasOwn(KINDS, first)) {
    // The codes are case-sensitive; a lower-case initial usually means a form upper-cased nothing.
    const lower = Object.hasOwn(KINDS, first.toUpperCase());
    return failure(LABEL, {
      en: lower
        ? 'must begin with an upper-case X, Z, T or C (codes are case-sensitive)'
        : 'must begin with X (western drug), Z (Chinese patent medicine), T (herbal pieces) or C (consumable)',
      zh: lower
        ? '首字母必须是大写的 X、Z、T 或 C（编码区分大小写）'
        : '必须以 X（西药）、Z（中成药）、T（中药饮片）或 C（医用耗材）开头',
    });
  }
  for (let i = 1; i < code.length; i++) {
    if (!isAlphanumeric(code.charCodeAt(i))) {
      return failure(LABEL, describeCharacter(code, i, { en: 'a letter A–Z, a–z or a digit 0–9', zh: '字母或数字' }));
    }
  }
  if (code.length < MIN_LENGTH) {
    return failure(LABEL, {
      en: `has ${code.length} characters; it must have at least ${MIN_LENGTH}`,
      zh: `至少 ${MIN_LENGTH} 个字符，实际为 ${code.length} 个`,
    });
  }
  return undefined;
}

/**
 * Whether `code` looks like a 医保目录编码 (`med_list_codg`) of a drug or consumable: `X`, `Z`, `T` or
 * `C`, then 9–29 ASCII letters or digits. Only the pattern is checked; whether the item exists is the
 * platform's catalogue's business, and the code is otherwise opaque and case-sensitive.
 *
 * @example
 * isValidMedListCode('XA01ABD075A002010100483') // true
 * isValidMedListCode('xa01abd075a002010100483') // false: lower-case initial
 */
export function isValidMedListCode(code: unknown): boolean {
  return medListCodeFailure(code) === undefined;
}

/**
 * Returns `code` unchanged if it is a valid 医保目录编码 (see {@link isValidMedListCode}); otherwise
 * throws an `InputError` with code `INVALID_MED_LIST_CODE` saying what is wrong, without repeating it.
 *
 * @example
 * const item = checkMedListCode(line.medListCode)
 */
export function checkMedListCode(code: unknown): string {
  const reason = medListCodeFailure(code);
  if (reason !== undefined) {
    throw new InputError('INVALID_MED_LIST_CODE', { message: reason.en, messageZh: reason.zh, field: 'medListCode' });
  }
  return code as string;
}

/**
 * The kind of item a valid 医保目录编码 names: `western` (X, 西药), `patent` (Z, 中成药), `herbal` (T,
 * 中药饮片) or `consumable` (C, 医用耗材). The code is validated first, so an invalid one throws the
 * `INVALID_MED_LIST_CODE` error of {@link checkMedListCode} instead of getting a guessed kind.
 *
 * @example
 * medListKind('ZA04BAA0223010101443') // 'patent'
 */
export function medListKind(code: string): MedListKind {
  checkMedListCode(code);
  return KINDS[code.charAt(0)] as MedListKind;
}
