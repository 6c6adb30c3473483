import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isValidTraceCode, parseTraceCode } from '../../../src/codes/index.js';
import { digits, expectInputError } from './helpers.js';

const validTraceCode = digits(19).map((rest) => `8${rest}`);

function expectRefused(code: unknown, en: RegExp, zh: RegExp): void {
  expect(isValidTraceCode(code)).toBe(false);
  const error = expectInputError(() => parseTraceCode(code), 'INVALID_TRACE_CODE');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('traceCode');
  if (typeof code === 'string' && code.trim().length > 0) {
    expect(error.message).not.toContain(code.trim());
    expect(error.messageZh).not.toContain(code.trim());
  }
}

describe('parseTraceCode', () => {
  it('splits a code into the 7-digit product prefix and the 13-digit serial', () => {
    expect(parseTraceCode('81234567890123456789')).toEqual({
      code: '81234567890123456789',
      productPrefix: '8123456',
      serial: '7890123456789',
    });
  });

  it('trims the CR/LF a keyboard-wedge scanner appends, and surrounding spaces and tabs', () => {
    for (const input of [
      '81234567890123456789\r\n',
      '81234567890123456789\n',
      ' 81234567890123456789 ',
      '\t81234567890123456789\r',
    ]) {
      expect(parseTraceCode(input).code).toBe('81234567890123456789');
      expect(isValidTraceCode(input)).toBe(true);
    }
  });

  it('rejects 19 and 21 digits, naming the count', () => {
    expectRefused('8123456789012345678', /has 19 digits; it must have 20/, /应为 20 位数字，实际为 19 位/);
    expectRefused('812345678901234567890', /has 21 digits; it must have 20/, /实际为 21 位/);
  });

  it('hints that a 13-digit scan is probably the product barcode', () => {
    expectRefused('6901234567892', /product barcode/, /商品条码/);
  });

  it('rejects letters and inner spaces, naming the position', () => {
    expectRefused('8123456789012345678A', /character 20 is not a digit/, /第 20 位不是数字/);
    expectRefused('8123456789 0123456789', /character 11 is a space/, /第 11 位是空格/);
  });

  it('rejects full-width digits, saying to switch to half-width', () => {
    expectRefused('８1234567890123456789', /full-width/, /全角/);
  });

  it('rejects a code that begins with any digit other than 8', () => {
    for (const first of '012345679') {
      expectRefused(`${first}1234567890123456789`, /begin with the digit 8/, /首位必须是 8/);
    }
  });

  it('rejects empty and whitespace-only input as empty', () => {
    expectRefused('', /empty/, /为空/);
    expectRefused(' \r\n', /empty/, /为空/);
  });

  it('rejects non-strings, including a number that looks like a code', () => {
    expectRefused(81234567890123456789, /string, got number/, /字符串/);
    expectRefused(null, /string, got null/, /字符串/);
    expectRefused(undefined, /string, got undefined/, /字符串/);
  });

  it('refuses a 1 MB string quickly with a typed error that does not echo it', () => {
    const huge = `8${'1'.repeat(1024 * 1024 - 1)}`;
    const started = performance.now();
    const error = expectInputError(() => parseTraceCode(huge), 'INVALID_TRACE_CODE');
    // Linear work on 1 MB takes milliseconds; a backtracking or quadratic check would take minutes. The bound is far
    // above the first and far below the second, so a loaded machine does not trip it.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toMatch(/1048576 characters/);
    expect(error.message.length).toBeLessThan(200);
    expect(error.messageZh.length).toBeLessThan(200);
    expect(error.message).not.toContain('1'.repeat(20));
    expect(error.messageZh).not.toContain('1'.repeat(20));
    expect(isValidTraceCode(huge)).toBe(false);
  });
});

describe('trace code properties', () => {
  it('accepts every 20-digit code beginning with 8, and prefix + serial rebuild it', () => {
    fc.assert(
      fc.property(validTraceCode, fc.constantFrom('', '\r\n', '\n', ' '), (code, suffix) => {
        const parsed = parseTraceCode(`${code}${suffix}`);
        expect(parsed.code).toBe(code);
        expect(parsed.productPrefix).toHaveLength(7);
        expect(parsed.serial).toHaveLength(13);
        expect(`${parsed.productPrefix}${parsed.serial}`).toBe(code);
      }),
    );
  });

  it('has no checksum: changing any digit after the first keeps a code valid', () => {
    fc.assert(
      fc.property(validTraceCode, fc.integer({ min: 1, max: 19 }), fc.constantFrom(...'0123456789'), (code, i, c) => {
        expect(isValidTraceCode(`${code.slice(0, i)}${c}${code.slice(i + 1)}`)).toBe(true);
      }),
    );
  });

  it('isValidTraceCode agrees with parseTraceCode on arbitrary input', () => {
    const candidate = fc.oneof(fc.anything(), fc.string(), validTraceCode, digits(20), digits(19));
    fc.assert(
      fc.property(candidate, (code) => {
        let threw = false;
        try {
          parseTraceCode(code);
        } catch {
          threw = true;
        }
        expect(threw).toBe(!isValidTraceCode(code));
      }),
    );
  });
});
