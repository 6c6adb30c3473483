import { InputError } from '../errors/index.js';
import { describeCharacter, failure, firstNonDigit, kindOf, type Failure } from './internal.js';

const LABEL: Failure = { en: 'Drug traceability code', zh: '药品追溯码' };
const LENGTH = 20;
const PREFIX_LENGTH = 7;
/**
 * Inputs longer than this are refused before they are trimmed or scanned: no scan with a little
 * surrounding whitespace comes near it, and a pasted blob should cost nothing.
 */
const MAX_RAW_LENGTH = 64;
/** Only ASCII whitespace is trimmed: what a keyboard-wedge scanner or a copied line adds. */
const SURROUNDING_SPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;

/** A drug traceability code split into its parts. */
export interface TraceCode {
  /** The 20 digits, without surrounding whitespace. */
  readonly code: string;
  /** The first 7 digits: the 药品标识码, one product in one package. */
  readonly productPrefix: string;
  /** The last 13 digits: this box. */
  readonly serial: string;
}

type Parsed = { readonly ok: true; readonly value: TraceCode } | { readonly ok: false; readonly reason: Failure };

function parse(input: unknown): Parsed {
  const refuse = (reason: Failure): Parsed => ({ ok: false, reason: failure(LABEL, reason) });
  if (typeof input !== 'string') {
    return refuse({ en: `must be a string, got ${kindOf(input)}`, zh: `必须是字符串，实际为 ${kindOf(input)}` });
  }
  if (input.length > MAX_RAW_LENGTH) {
    return refuse({
      en: `is ${input.length} characters long; a trace code has ${LENGTH} digits`,
      zh: `长度为 ${input.length} 个字符，追溯码应为 ${LENGTH} 位数字`,
    });
  }
  const code = input.replace(SURROUNDING_SPACE, '');
  if (code.length === 0) return refuse({ en: 'is empty', zh: '为空' });
  const bad = firstNonDigit(code);
  if (bad !== -1) return refuse(describeCharacter(code, bad, { en: 'a digit 0–9', zh: '数字 0–9' }));
  if (code.length !== LENGTH) {
    // The product barcode sits next to the trace code on the box, and is the usual wrong scan.
    const gtin = code.length === 8 || (code.length >= 12 && code.length <= 14);
    return refuse({
      en: `has ${code.length} digits; it must have ${LENGTH}${gtin ? ' (this looks like the product barcode, not the trace code)' : ''}`,
      zh: `应为 ${LENGTH} 位数字，实际为 ${code.length} 位${gtin ? '（扫描的可能是商品条码而不是追溯码）' : ''}`,
    });
  }
  if (code.charAt(0) !== '8') {
    return refuse({ en: 'must begin with the digit 8', zh: '首位必须是 8' });
  }
  return {
    ok: true,
    value: { code, productPrefix: code.slice(0, PREFIX_LENGTH), serial: code.slice(PREFIX_LENGTH) },
  };
}

/**
 * Parses a scanned 药品追溯码: 20 ASCII digits beginning with `8`, of which the first 7 are the product
 * identifier and the other 13 the box. Surrounding spaces, tabs, CR and LF are dropped (keyboard-wedge
 * scanners end a scan with Enter); anything else is refused with an `InputError` of code
 * `INVALID_TRACE_CODE` saying what is wrong, without repeating the input. There is no checksum to test:
 * the specification defines none.
 *
 * @example
 * parseTraceCode('81234567890123456789\r\n')
 * // { code: '81234567890123456789', productPrefix: '8123456', serial: '7890123456789' }
 */
export function parseTraceCode(code: unknown): TraceCode {
  const parsed = parse(code);
  if (!parsed.ok) {
    throw new InputError('INVALID_TRACE_CODE', {
      message: parsed.reason.en,
      messageZh: parsed.reason.zh,
      field: 'traceCode',
    });
  }
  return parsed.value;
}

/**
 * Whether {@link parseTraceCode} would accept `code`, surrounding whitespace included, so that a check
 * before parsing never disagrees with the parse.
 *
 * @example
 * isValidTraceCode('81234567890123456789\n') // true
 * isValidTraceCode('6901234567892') // false: a product barcode
 */
export function isValidTraceCode(code: unknown): boolean {
  return parse(code).ok;
}
