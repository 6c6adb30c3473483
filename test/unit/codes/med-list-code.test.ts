import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { checkMedListCode, isValidMedListCode, medListKind } from '../../../src/codes/index.js';
import { expectInputError } from './helpers.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KIND_OF = { X: 'western', Z: 'patent', T: 'herbal', C: 'consumable' } as const;

const validMedListCode = fc
  .tuple(
    fc.constantFrom('X', 'Z', 'T', 'C'),
    fc.array(fc.constantFrom(...ALPHANUMERIC), { minLength: 9, maxLength: 29 }).map((a) => a.join('')),
  )
  .map(([first, rest]) => ({ code: `${first}${rest}`, kind: KIND_OF[first] }));

function expectRefused(code: unknown, en: RegExp, zh: RegExp): void {
  expect(isValidMedListCode(code)).toBe(false);
  const error = expectInputError(() => checkMedListCode(code), 'INVALID_MED_LIST_CODE');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('medListCode');
  if (typeof code === 'string' && code.length > 0) expect(error.message).not.toContain(code);
}

describe('isValidMedListCode', () => {
  it('accepts realistic codes of each kind', () => {
    for (const code of [
      'XA01ABD075A002010100483',
      'ZA04BAA0223010101443',
      'T000100001',
      'C01010100100100000000000000',
    ]) {
      expect(isValidMedListCode(code)).toBe(true);
      expect(checkMedListCode(code)).toBe(code);
    }
  });

  it('accepts the boundary lengths 10 and 30', () => {
    expect(isValidMedListCode(`X${'1'.repeat(9)}`)).toBe(true);
    expect(isValidMedListCode(`X${'1'.repeat(29)}`)).toBe(true);
  });

  it('rejects 9 and 31 characters, naming the length', () => {
    expectRefused(`X${'1'.repeat(8)}`, /has 9 characters; it must have at least 10/, /至少 10 个字符，实际为 9 个/);
    expectRefused(`X${'1'.repeat(30)}`, /has 31 characters; it must have at most 30/, /最多 30 个字符，实际为 31 个/);
  });

  it('is case-sensitive about the initial, and says so for a lower-case one', () => {
    expectRefused('xA01ABD075A002010100483', /upper-case X, Z, T or C/, /大写/);
    expectRefused('cA01ABD075A002010100483', /case-sensitive/, /区分大小写/);
  });

  it('rejects other initials, listing the kinds', () => {
    for (const code of ['AA01ABD075A002010100483', '001102000010000', 'YA01ABD075A0020']) {
      expectRefused(code, /must begin with X \(western drug\), Z .* T .* or C/, /必须以 X（西药）/);
    }
  });

  it('rejects dashes, spaces, Chinese and full-width characters, naming the position', () => {
    expectRefused('XA01-ABD075A002010100483', /character 5 is not a letter/, /第 5 位不是字母或数字/);
    expectRefused('XA01ABD075A00201010048 ', /character 23 is a space/, /第 23 位是空格/);
    expectRefused('XA01ABD075A00201010048药', /character 23 is not a letter/, /第 23 位/);
    expectRefused('XA01ABD075A００2010100483', /full-width/, /全角/);
  });

  it('rejects empty input and non-strings', () => {
    expectRefused('', /empty/, /为空/);
    expectRefused(null, /string, got null/, /字符串/);
    expectRefused(12345678901, /string, got number/, /字符串/);
  });
});

describe('medListKind', () => {
  it('reads the kind from the initial', () => {
    expect(medListKind('XA01ABD075A002010100483')).toBe('western');
    expect(medListKind('ZA04BAA0223010101443')).toBe('patent');
    expect(medListKind('T000100001')).toBe('herbal');
    expect(medListKind('C01010100100100000000000000')).toBe('consumable');
  });

  it('throws INVALID_MED_LIST_CODE rather than guess the kind of an invalid code', () => {
    expectInputError(() => medListKind('X1'), 'INVALID_MED_LIST_CODE');
    expectInputError(() => medListKind('zA04BAA0223010101443'), 'INVALID_MED_LIST_CODE');
  });
});

describe('med list code properties', () => {
  it('accepts every generated code and reads its kind', () => {
    fc.assert(
      fc.property(validMedListCode, ({ code, kind }) => {
        expect(isValidMedListCode(code)).toBe(true);
        expect(medListKind(code)).toBe(kind);
      }),
    );
  });

  it('agrees with checkMedListCode on arbitrary input', () => {
    const candidate = fc.oneof(
      fc.anything(),
      fc.string({ maxLength: 40 }),
      validMedListCode.map((v) => v.code),
    );
    fc.assert(
      fc.property(candidate, (code) => {
        let threw = false;
        try {
          checkMedListCode(code);
        } catch {
          threw = true;
        }
        expect(threw).toBe(!isValidMedListCode(code));
      }),
    );
  });
});
