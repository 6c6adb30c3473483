import { isYibaoGuardError } from '../../src/index.js';
import {
  checkAreaCode,
  checkGtin,
  checkMedListCode,
  checkResidentId,
  maskResidentId,
  medListKind,
  parseTraceCode,
  residentIdInfo,
} from '../../src/codes/index.js';

/** What `yibao-guard check` found a scanned or typed code to be. */
export interface CodeReport {
  readonly kind: 'resident-id' | 'trace-code' | 'gtin' | 'area-code' | 'med-list-code' | 'unknown';
  readonly ok: boolean;
  /** One line for the operator, personal data masked. */
  readonly text: string;
}

/**
 * Guesses what kind of code a string is from its shape, then validates it as that kind. A guess is needed
 * because a scanner gives no type: an 18-character string is a 身份证, 20 digits from 8 a 追溯码, and so on.
 */
export function checkCode(raw: string): CodeReport {
  const code = raw.trim();
  const attempt = (kind: CodeReport['kind'], check: () => string): CodeReport => {
    try {
      return { kind, ok: true, text: check() };
    } catch (error) {
      if (!isYibaoGuardError(error)) throw error;
      return { kind, ok: false, text: `${error.messageZh} / ${error.message}` };
    }
  };
  if (/^\d{17}[\dXx]$/.test(code) || (code.length === 18 && /^\d{6}/.test(code))) {
    return attempt('resident-id', () => {
      checkResidentId(code);
      const info = residentIdInfo(code);
      return `居民身份证 ${maskResidentId(code)}: 有效 / valid (${info.sex === 'male' ? '男 male' : '女 female'}, 出生 born ${info.birthDate.slice(0, 4)}, 区划 region ${info.regionCode})`;
    });
  }
  if (/^8\d{19}$/.test(code) || (code.length === 20 && /^\d+$/.test(code))) {
    return attempt('trace-code', () => {
      const trace = parseTraceCode(code);
      return `药品追溯码 ${trace.code}: 有效 / valid (药品标识码 product prefix ${trace.productPrefix})`;
    });
  }
  if (/^\d{8}$|^\d{12,14}$/.test(code)) return attempt('gtin', () => `商品条码 GTIN ${checkGtin(code)}: 有效 / valid`);
  if (/^\d{6}$/.test(code)) return attempt('area-code', () => `医保区划 ${checkAreaCode(code)}: 有效 / valid`);
  if (/^[XZTC][A-Za-z0-9]+$/.test(code)) {
    return attempt(
      'med-list-code',
      () => `医保目录编码 ${checkMedListCode(code)}: 有效 / valid (${medListKind(code)})`,
    );
  }
  return { kind: 'unknown', ok: false, text: '无法识别的编码 / not a code yibao-guard knows' };
}
