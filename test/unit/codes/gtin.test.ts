import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { checkGtin, gtinCheckDigit, isValidGtin } from '../../../src/codes/index.js';
import { digits, expectInputError, referenceGtinCheckDigit } from './helpers.js';

const validGtin = (length: number): fc.Arbitrary<string> =>
  digits(length - 1).map((body) => `${body}${referenceGtinCheckDigit(body)}`);

const anyValidGtin = fc.constantFrom(8, 12, 13, 14).chain(validGtin);

function expectRefused(code: unknown, en: RegExp, zh: RegExp): void {
  expect(isValidGtin(code)).toBe(false);
  const error = expectInputError(() => checkGtin(code), 'INVALID_GTIN');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('gtin');
}

describe('isValidGtin: worked examples', () => {
  it('accepts an EAN-13 (GS1 example 4006381333931) and a Chinese 690 code', () => {
    expect(isValidGtin('4006381333931')).toBe(true);
    expect(isValidGtin('6901234567892')).toBe(true);
  });

  it('accepts an EAN-8, a UPC-A (GTIN-12) and a GTIN-14', () => {
    expect(isValidGtin('96385074')).toBe(true);
    expect(isValidGtin('036000291452')).toBe(true);
    expect(isValidGtin('10614141000415')).toBe(true);
  });

  it('rejects the examples with a wrong check digit, naming both digits', () => {
    expectRefused('4006381333932', /check digit is 2 but the other digits give 1/, /校验位为 2.*应为 1/);
    expectRefused('96385070', /check digit is 0 but the other digits give 4/, /校验位/);
  });
});

describe('isValidGtin: shape', () => {
  it('rejects lengths other than 8, 12, 13 and 14, naming the length', () => {
    for (const length of [1, 7, 9, 10, 11, 15, 18, 20]) {
      expectRefused('1'.repeat(length), new RegExp(`has ${length} characters`), new RegExp(`实际为 ${length} 位`));
    }
  });

  it('rejects the empty string as empty', () => {
    expectRefused('', /empty/, /为空/);
  });

  it('rejects numbers, null and undefined as not a string', () => {
    expectRefused(6901234567892, /string, got number/, /字符串/);
    expectRefused(null, /string, got null/, /字符串/);
    expectRefused(undefined, /string, got undefined/, /字符串/);
  });

  it('rejects letters and full-width digits, naming the position', () => {
    expectRefused('690123456789A', /character 13 is not a digit/, /第 13 位/);
    expectRefused('６901234567892', /character 1 is a full-width digit/, /全角/);
  });

  it('does not trim whitespace', () => {
    expectRefused('6901234567892\n', /character 14 is a space or line break/, /第 14 位是空格或换行/);
    expectRefused('6901234567892\r\n', /15 characters/, /15 位/);
    expectRefused(' 901234567892', /character 1 is a space/, /空格/);
  });

  it('refuses a megabyte of digits by its length', () => {
    expectRefused('6'.repeat(1 << 20), /1048576 characters/, /1048576 位/);
  });
});

describe('gtinCheckDigit', () => {
  it('computes the check digit of bodies of 7, 11, 12 and 13 digits', () => {
    expect(gtinCheckDigit('9638507')).toBe(4);
    expect(gtinCheckDigit('03600029145')).toBe(2);
    expect(gtinCheckDigit('400638133393')).toBe(1);
    expect(gtinCheckDigit('690123456789')).toBe(2);
    expect(gtinCheckDigit('1061414100041')).toBe(5);
  });

  it('throws INVALID_GTIN for bodies that cannot belong to a GTIN', () => {
    for (const body of ['', '123456', '12345678', '12345678901234', '69012345678A', '６９０１２３４５６７８９']) {
      const error = expectInputError(() => gtinCheckDigit(body), 'INVALID_GTIN');
      expect(error.message).toMatch(/7, 11, 12 or 13 digits/);
    }
    expectInputError(() => gtinCheckDigit(690123456789 as unknown as string), 'INVALID_GTIN');
  });
});

describe('checkGtin', () => {
  it('returns the code unchanged when it is valid', () => {
    expect(checkGtin('6901234567892')).toBe('6901234567892');
  });
});

describe('GTIN properties', () => {
  for (const length of [8, 12, 13, 14]) {
    it(`accepts every generated GTIN-${length}, and gtinCheckDigit agrees with the reference`, () => {
      fc.assert(
        fc.property(validGtin(length), (code) => {
          expect(isValidGtin(code)).toBe(true);
          expect(checkGtin(code)).toBe(code);
          expect(gtinCheckDigit(code.slice(0, -1))).toBe(Number(code.slice(-1)));
        }),
        { numRuns: 500 },
      );
    });
  }

  it('rejects every single-digit change of a valid GTIN', () => {
    const changed = anyValidGtin
      .chain((code) =>
        fc.tuple(fc.constant(code), fc.integer({ min: 0, max: code.length - 1 }), fc.constantFrom(...'0123456789')),
      )
      .filter(([code, position, c]) => code.charAt(position) !== c)
      .map(([code, position, c]) => `${code.slice(0, position)}${c}${code.slice(position + 1)}`);
    fc.assert(
      fc.property(changed, (code) => {
        expect(isValidGtin(code)).toBe(false);
        expectInputError(() => checkGtin(code), 'INVALID_GTIN');
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with checkGtin on arbitrary input', () => {
    const candidate = fc.oneof(fc.anything(), fc.string(), digits(13), digits(8), anyValidGtin);
    fc.assert(
      fc.property(candidate, (code) => {
        let threw = false;
        try {
          checkGtin(code);
        } catch {
          threw = true;
        }
        expect(threw).toBe(!isValidGtin(code));
      }),
    );
  });
});
