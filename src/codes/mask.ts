/**
 * Masking of personal data. Every ID number, name and phone number that reaches a log, an error or the
 * screen passes through one of these functions; keeping them in one place keeps the rules the same
 * everywhere (first 4 + last 4 of an ID, as the spec requires).
 *
 * Characters are counted by code point, so a rare surname outside the BMP (𠮷) counts as one character
 * and is never split into half a surrogate pair.
 */

const HAN = /\p{Script=Han}/u;
/** Separators people type in phone numbers; removed before the number is recognised. */
const PHONE_SEPARATORS = /[\s\-().]/g;
const MAINLAND_MOBILE = /^(?:\+?86)?(1[3-9][0-9]{9})$/;

/**
 * Masks a resident ID number to its first 4 and last 4 characters with `*` between, keeping the length
 * (`2201**********123X`). A string of 8 characters or fewer is all `*`: keeping 4 + 4 of it would show
 * all of it. Anything not a string gives `''`, so a wrong field never leaks through a template.
 *
 * @example
 * maskResidentId(residentId) // e.g. '1101**********002X': first 4 and last 4 kept
 */
export function maskResidentId(id: string): string {
  if (typeof id !== 'string') return '';
  const chars = Array.from(id);
  if (chars.length <= 8) return '*'.repeat(chars.length);
  return `${chars.slice(0, 4).join('')}${'*'.repeat(chars.length - 8)}${chars.slice(-4).join('')}`;
}

/**
 * Masks a person's name for display: a Chinese name keeps its first character (the surname, which
 * staff use to address the customer) and every other character becomes `*` (`欧阳娜娜` → `欧***`); a
 * Latin name keeps the first letter of each word (`John Smith` → `J*** S****`); a name of one character
 * is `*`. The input is trimmed, and words of a Latin name are joined by single spaces.
 *
 * @example
 * maskName(' 张三 ') // '张*'
 */
export function maskName(name: string): string {
  if (typeof name !== 'string') return '';
  const trimmed = name.trim();
  const chars = Array.from(trimmed);
  if (chars.length <= 1) return '*'.repeat(chars.length);
  if (HAN.test(trimmed)) return `${chars[0] ?? ''}${'*'.repeat(chars.length - 1)}`;
  return trimmed
    .split(/\s+/)
    .map((word) => {
      const letters = Array.from(word);
      return `${letters[0] ?? ''}${'*'.repeat(letters.length - 1)}`;
    })
    .join(' ');
}

/**
 * Masks a phone number: a mainland mobile number (11 digits, optionally after `+86`/`86`, with spaces
 * or dashes) shows its first 3 and last 4 digits (`138****5678`), the usual form on Chinese receipts;
 * any other number shows `****` and its last 4 digits, so its length is not revealed either; a number
 * of 4 digits or fewer, or anything that is not a phone number at all, is `****`. Non-strings and
 * blank strings give `''`.
 *
 * @example
 * maskPhone('+86 138-1234-5678') // '138****5678'
 * maskPhone('0431-85551234') // '****1234'
 */
export function maskPhone(phone: string): string {
  if (typeof phone !== 'string') return '';
  const compact = phone.replace(PHONE_SEPARATORS, '');
  if (compact.length === 0) return '';
  const mobile = MAINLAND_MOBILE.exec(compact)?.[1];
  if (mobile !== undefined) return `${mobile.slice(0, 3)}****${mobile.slice(7)}`;
  const digits = compact.startsWith('+') ? compact.slice(1) : compact;
  if (digits.length <= 4 || !/^[0-9]+$/.test(digits)) return '****';
  return `****${digits.slice(-4)}`;
}

/**
 * An ID-shaped run: 17 digits then a digit or X, not preceded by a digit, and (when it ends in a digit)
 * not followed by one. Invalid IDs are masked too: a mistyped ID is still someone's ID. A mobile: an
 * optional +86/86, then 1[3-9] and 9 digits, plain or split 3-4-4 by one space or dash, not touching
 * other digits. Longer digit runs (trace codes, GTINs) therefore stay as they are.
 */
const PERSONAL_DATA =
  /(?<![0-9])([0-9]{17}(?:[0-9](?![0-9])|[Xx]))|(?<![0-9])((?:\+?86[ -]?)?1[3-9][0-9])([ -]?)[0-9]{4}\3([0-9]{4})(?![0-9])/g;

/**
 * Masks every resident ID number and mainland mobile number embedded in free text: the last line of
 * defence for log lines and error details built from input. IDs become first 4 + last 4
 * ({@link maskResidentId}), mobiles `138****5678` (separators and a country code are kept as typed,
 * minus the hidden digits). Other numbers, such as 20-digit trace codes, barcodes and amounts, are left
 * alone.
 *
 * @example
 * maskPersonalData(`患者 ${residentId}，电话 ${mobile}，追溯码 81234567890123456789`)
 * // '患者 1101**********002X，电话 138****5678，追溯码 81234567890123456789'
 */
export function maskPersonalData(text: string): string {
  if (typeof text !== 'string') return '';
  return text.replace(
    PERSONAL_DATA,
    (_match: string, id: string | undefined, head: string, separator: string, tail: string) =>
      id === undefined ? `${head}${separator}****${separator}${tail}` : maskResidentId(id),
  );
}
