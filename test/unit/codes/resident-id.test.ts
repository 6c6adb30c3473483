import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  checkResidentId,
  isValidResidentId,
  residentIdCheckChar,
  residentIdInfo,
} from '../../../src/codes/index.js';
import { expectInputError, referenceIdCheckChar, validResidentId } from './helpers.js';

/** A valid-looking ID built from parts, with the right check character, so only the part under test is wrong. */
function idWith(region: string, date: string, sequence = '001'): string {
  const body = `${region}${date}${sequence}`;
  return `${body}${referenceIdCheckChar(body)}`;
}

/** Expects `id` to be refused with an error whose messages mention `en` / `zh` and never the ID. */
function expectRefused(id: unknown, en: RegExp, zh: RegExp): void {
  expect(isValidResidentId(id)).toBe(false);
  const error = expectInputError(() => checkResidentId(id), 'INVALID_RESIDENT_ID');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('residentId');
  if (typeof id === 'string' && id.length > 0) {
    expect(error.message).not.toContain(id);
    expect(error.messageZh).not.toContain(id);
  }
  const viaInfo = expectInputError(() => residentIdInfo(id as string), 'INVALID_RESIDENT_ID');
  expect(viaInfo.message).toBe(error.message);
  expect(viaInfo.messageZh).toBe(error.messageZh);
}

describe('isValidResidentId: worked examples', () => {
  it("accepts the GB 11643-1999 standard's own example 11010519491231002X", () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
  });

  it('accepts an X check character in either case', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('11010519491231002x')).toBe(true);
  });

  it('accepts hand-computed numbers with digit check characters', () => {
    expect(isValidResidentId('320106199003071234')).toBe(true);
    expect(isValidResidentId('650102198001010071')).toBe(true);
    expect(isValidResidentId('440306200011200415')).toBe(true);
  });

  it('rejects the example with any other check character', () => {
    for (const c of '0123456789') expect(isValidResidentId(`11010519491231002${c}`)).toBe(false);
  });

  it('rejects an X check character where the sum calls for a digit', () => {
    expect(isValidResidentId('32010619900307123X')).toBe(false);
  });
});

describe('isValidResidentId: birth date', () => {
  it('accepts 29 February in the leap years 2000 and 2024', () => {
    expect(isValidResidentId(idWith('220102', '20000229'))).toBe(true);
    expect(isValidResidentId(idWith('220102', '20240229'))).toBe(true);
  });

  it('rejects 29 February in 1900 (a century, not leap) and 2023', () => {
    expectRefused(idWith('220102', '19000229'), /birth day/, /出生日/);
    expectRefused(idWith('220102', '20230229'), /birth day/, /出生日/);
  });

  it('rejects month 13 and month 00', () => {
    expectRefused(idWith('220102', '19901301'), /birth month/, /出生月份/);
    expectRefused(idWith('220102', '19900001'), /birth month/, /出生月份/);
  });

  it('rejects day 32, day 00 and 31 April', () => {
    expectRefused(idWith('220102', '19900132'), /birth day/, /出生日/);
    expectRefused(idWith('220102', '19900100'), /birth day/, /出生日/);
    expectRefused(idWith('220102', '19900431'), /birth day/, /出生日/);
  });

  it('accepts birth years 1900 to 2099 and rejects 1899 and 2100', () => {
    expect(isValidResidentId(idWith('110105', '19000101'))).toBe(true);
    expect(isValidResidentId(idWith('110105', '20991231'))).toBe(true);
    expectRefused(idWith('110105', '18991231'), /birth year/, /出生年份/);
    expectRefused(idWith('110105', '21000101'), /birth year/, /出生年份/);
  });

  it('rejects a well-known example born in 1880 as outside the accepted years', () => {
    expectRefused('440524188001010014', /birth year/, /出生年份/);
  });
});

describe('isValidResidentId: shape', () => {
  it('rejects 17 and 19 characters, naming the length', () => {
    expectRefused('11010519491231002', /17 characters.*18/, /18 位.*17 位/);
    expectRefused('11010519491231002X1', /19 characters.*18/, /18 位.*19 位/);
  });

  it('explains that a 15-digit first-generation number is not accepted', () => {
    expectRefused('110105491231002', /15-digit first-generation/, /15 位的第一代/);
  });

  it('rejects the empty string as empty', () => {
    expectRefused('', /empty/, /为空/);
  });

  it('rejects null, undefined, numbers and objects as not a string', () => {
    expectRefused(null, /string, got null/, /字符串/);
    expectRefused(undefined, /string, got undefined/, /字符串/);
    expectRefused(110105194912310021, /string, got number/, /字符串/);
    expectRefused(['11010519491231002X'], /string, got array/, /字符串/);
    expectRefused({}, /string, got object/, /字符串/);
  });

  it('rejects full-width digits and says to switch to half-width', () => {
    expectRefused('１１０１０５１９４９１２３１００２Ｘ', /character 1 is a full-width digit/, /第 1 位是全角数字/);
  });

  it('rejects a letter among the first 17 characters, naming its position', () => {
    expectRefused('1101051949123100XX', /character 17 is not a digit/, /第 17 位不是数字/);
    expectRefused('A1010519491231002X', /character 1 is not a digit/, /第 1 位/);
  });

  it('rejects a last character other than a digit or X', () => {
    expectRefused('11010519491231002Y', /character 18 is not a digit 0–9 or X/, /第 18 位不是数字 0–9 或 X/);
  });

  it('does not trim: surrounding whitespace makes the length wrong', () => {
    expectRefused(' 11010519491231002X', /19 characters/, /19 位/);
    expectRefused(' 1010519491231002X', /character 1 is a space/, /第 1 位是空格/);
  });

  it('rejects a region code whose first two digits are not a province', () => {
    expectRefused(idWith('990105', '19491231'), /region code/, /地址码/);
    expectRefused(idWith('100000', '19491231'), /region code/, /地址码/);
    expectRefused(idWith('000000', '19491231'), /region code/, /地址码/);
  });

  it('rejects a wrong check character, saying so', () => {
    expectRefused('110105194912310021', /check character/, /校验码/);
  });
});

describe('residentIdInfo', () => {
  it('reads birth date, sex and region from the standard example', () => {
    expect(residentIdInfo('11010519491231002X')).toEqual({
      birthDate: '1949-12-31',
      sex: 'female',
      regionCode: '110105',
    });
  });

  it('reads an odd 17th digit as male', () => {
    expect(residentIdInfo('320106199003071234').sex).toBe('male');
  });

  it('reads a lower-case x number like an upper-case one', () => {
    expect(residentIdInfo('11010519491231002x')).toEqual(residentIdInfo('11010519491231002X'));
  });
});

describe('residentIdCheckChar', () => {
  it('computes X for the standard example and digits for others', () => {
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
    expect(residentIdCheckChar('32010619900307123')).toBe('4');
    expect(residentIdCheckChar('65010219800101007')).toBe('1');
  });

  it('does not check region or date, so generators can use it for any 17 digits', () => {
    expect(residentIdCheckChar('00000000000000000')).toBe('1');
  });

  it('throws INVALID_RESIDENT_ID for anything but 17 ASCII digits', () => {
    for (const bad of ['1101051949123100', '110105194912310021', '1101051949123100A', '１１０１０５１９４９１２３１００２', '']) {
      const error = expectInputError(() => residentIdCheckChar(bad), 'INVALID_RESIDENT_ID');
      if (bad !== '') expect(error.message).not.toContain(bad);
    }
    expectInputError(() => residentIdCheckChar(null as unknown as string), 'INVALID_RESIDENT_ID');
  });
});

describe('checkResidentId', () => {
  it('returns quietly for a valid number', () => {
    expect(() => checkResidentId('11010519491231002X')).not.toThrow();
  });
});

describe('resident ID properties', () => {
  it('accepts every generated valid ID', () => {
    fc.assert(
      fc.property(validResidentId, ({ id }) => {
        expect(isValidResidentId(id)).toBe(true);
        expect(() => checkResidentId(id)).not.toThrow();
        expect(residentIdCheckChar(id.slice(0, 17))).toBe(id.charAt(17));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips birth date, sex and region through residentIdInfo', () => {
    fc.assert(
      fc.property(validResidentId, ({ id, birthDate, sex, regionCode }) => {
        expect(residentIdInfo(id)).toEqual({ birthDate, sex, regionCode });
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every single-character change, with a message that does not contain the ID', () => {
    const changed = fc
      .tuple(validResidentId, fc.integer({ min: 0, max: 17 }), fc.constantFrom(...'0123456789X'))
      .filter(([{ id }, position, c]) => id.charAt(position).toUpperCase() !== c)
      .map(([{ id }, position, c]) => ({ original: id, mutated: `${id.slice(0, position)}${c}${id.slice(position + 1)}` }));
    fc.assert(
      fc.property(changed, ({ original, mutated }) => {
        expect(isValidResidentId(mutated)).toBe(false);
        const error = expectInputError(() => checkResidentId(mutated), 'INVALID_RESIDENT_ID');
        for (const text of [error.message, error.messageZh, String(error), JSON.stringify(error)]) {
          expect(text).not.toContain(mutated);
          expect(text).not.toContain(original);
          expect(text).not.toContain(mutated.slice(4, 14));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws from isValidResidentId, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof isValidResidentId(value)).toBe('boolean');
      }),
    );
  });

  it('agrees with checkResidentId on arbitrary 18-character strings', () => {
    const candidate = fc.oneof(
      fc.string({ minLength: 18, maxLength: 18 }),
      fc.array(fc.constantFrom(...'0123456789Xx'), { minLength: 18, maxLength: 18 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(candidate, (id) => {
        let threw = false;
        try {
          checkResidentId(id);
        } catch {
          threw = true;
        }
        expect(threw).toBe(!isValidResidentId(id));
      }),
    );
  });
});
