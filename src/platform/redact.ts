import { maskName, maskPersonalData, maskResidentId } from '../codes/index.js';

/*
 * The platform's `err_msg` often echoes the request ("参保人张三（<身份证号>）不存在"). Pattern masks
 * catch ID and phone numbers, but not a name or an e-voucher token; the request itself tells us which strings
 * are personal, so those are masked wherever they appear in the text, before it reaches an error or a log.
 */

/** Input fields that hold a person's name. */
const NAME_FIELDS = new Set(['psn_name', 'prsc_dr_name', 'phar_name', 'bilg_dr_name']);
/** Input fields that hold a person's number, certificate or token. */
const NUMBER_FIELDS = new Set([
  'certno',
  'mdtrt_cert_no',
  'card_sn',
  'psn_no',
  'prsc_dr_certno',
  'phar_certno',
  'phar_prac_cert_no',
  'patn_id',
]);

/**
 * The personal strings in a wire input (names, certificate numbers, tokens, person numbers), each with its
 * masked form.
 *
 * @example
 * personalStrings({ data: { psn_name: '张三丰', certno: residentId } })
 * // Map { '张三丰' => '张**', residentId => '1101**********002X' }
 */
export function personalStrings(input: unknown): ReadonlyMap<string, string> {
  const found = new Map<string, string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 8 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string' && field.trim().length >= 2) {
        if (NAME_FIELDS.has(key)) found.set(field.trim(), maskName(field));
        else if (NUMBER_FIELDS.has(key)) found.set(field.trim(), maskResidentId(field.trim()));
      } else {
        walk(field, depth + 1);
      }
    }
  };
  walk(input, 0);
  return found;
}

/**
 * Masks free text from the platform: every personal string of the request, then every ID-like and phone-like
 * number ({@link maskPersonalData}).
 *
 * @example
 * redact('参保人张三丰不存在', personalStrings(prepared.input)) // '参保人张**不存在'
 */
export function redact(text: string, personal: ReadonlyMap<string, string>): string {
  let out = typeof text === 'string' ? text : '';
  // Longest first, so a name inside a longer token is not half-replaced.
  for (const [plain, masked] of [...personal].sort((a, b) => b[0].length - a[0].length))
    out = out.split(plain).join(masked);
  return maskPersonalData(out);
}
