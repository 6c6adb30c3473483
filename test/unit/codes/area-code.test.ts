import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { AREA_PROVINCES, checkAreaCode, isValidAreaCode } from '../../../src/codes/index.js';
import { digits, expectInputError, PROVINCE_CODES } from './helpers.js';

function expectRefused(code: unknown, en: RegExp, zh: RegExp): void {
  expect(isValidAreaCode(code)).toBe(false);
  const error = expectInputError(() => checkAreaCode(code), 'INVALID_AREA_CODE');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('areaCode');
}

describe('AREA_PROVINCES', () => {
  it('lists the 34 province-level codes and cannot be changed', () => {
    expect([...AREA_PROVINCES].sort()).toEqual([...PROVINCE_CODES].sort());
    expect(Object.isFrozen(AREA_PROVINCES)).toBe(true);
  });
});

describe('isValidAreaCode', () => {
  it('accepts the spec examples 220100 (Changchun) and 220000 (Jilin), and other provinces', () => {
    for (const code of ['220100', '220000', '110000', '310115', '650102', '710000', '810000', '820000']) {
      expect(isValidAreaCode(code)).toBe(true);
      expect(checkAreaCode(code)).toBe(code);
    }
  });

  it('rejects 100000 (the whole country is no province) and unknown provinces', () => {
    for (const code of [
      '100000',
      '000000',
      '160100',
      '240100',
      '470100',
      '550100',
      '660100',
      '720000',
      '830000',
      '990100',
    ]) {
      expectRefused(code, /first two digits are not a province-level code/, /省级行政区划代码/);
    }
  });

  it('rejects 5 and 7 digits, naming the length', () => {
    expectRefused('22010', /has 5 characters; it must have 6 digits/, /实际为 5 位/);
    expectRefused('2201000', /has 7 characters/, /实际为 7 位/);
  });

  it('rejects letters, spaces and full-width digits, naming the position', () => {
    expectRefused('2201A0', /character 5 is not a digit/, /第 5 位不是数字/);
    expectRefused('22010 ', /character 6 is a space/, /第 6 位是空格/);
    expectRefused('２２０１００', /character 1 is a full-width digit/, /全角/);
  });

  it('rejects empty input and non-strings', () => {
    expectRefused('', /empty/, /为空/);
    expectRefused(220100, /string, got number/, /字符串/);
    expectRefused(null, /string, got null/, /字符串/);
  });
});

describe('area code properties', () => {
  it('accepts any province code followed by any four digits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROVINCE_CODES), digits(4), (province, rest) => {
        expect(isValidAreaCode(`${province}${rest}`)).toBe(true);
      }),
    );
  });

  it('rejects any two-digit prefix that is not a province', () => {
    const notProvince = digits(2).filter((p) => !(PROVINCE_CODES as readonly string[]).includes(p));
    fc.assert(
      fc.property(notProvince, digits(4), (prefix, rest) => {
        expectRefused(`${prefix}${rest}`, /province-level/, /省级/);
      }),
    );
  });
});
