import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { checkResidentId, isValidResidentId, residentIdCheckChar, residentIdInfo } from '../../../src/codes/index.js';
import { expectInputError, referenceIdCheckChar, validResidentId } from './helpers.js';

/** A valid-looking ID built from parts, with the right check character, so only the part under test is wrong. */
function idWith(region: string, date: string, sequence = '001'): string {
  const body = `${region}${date}${sequence}`;
  return `${body}${referenceIdCheckChar(body)}`;
}

/** Expects `id` to be refused with an error whose messages mention `en` / `zh` and never the ID. */
function expectRefused(id: unknown, en: RegExp, zh: RegExp, options?: { now: number }): void {
  expect(isValidResidentId(id, options)).toBe(false);
  const error = expectInputError(() => checkResidentId(id, options), 'INVALID_RESIDENT_ID');
  expect(error.message).toMatch(en);
  expect(error.messageZh).toMatch(zh);
  expect(error.field).toBe('residentId');
  if (typeof id === 'string' && id.length > 0) {
    expect(error.message).not.toContain(id);
    expect(error.messageZh).not.toContain(id);
  }
  const viaInfo = expectInputError(() => residentIdInfo(id as string, options), 'INVALID_RESIDENT_ID');
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

  /** Epoch ms of a CST wall-clock time. */
  const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
  const IN_2026 = { now: cst(2026, 11, 23, 10) };

  it('accepts birth years 1800 to the current year and rejects 1799 and next year', () => {
    expect(isValidResidentId(idWith('110105', '18000101'), IN_2026)).toBe(true);
    expect(isValidResidentId(idWith('110105', '20261231'), IN_2026)).toBe(true);
    expectRefused(
      idWith('110105', '17991231'),
      /birth year \(digits 7–10\) is not between 1800 and 2026/,
      /出生年份（第 7–10 位）不在 1800–2026 年之间/,
      IN_2026,
    );
    expectRefused(idWith('110105', '20270101'), /birth year/, /出生年份/, IN_2026);
    expectRefused(idWith('110105', '20991231'), /birth year/, /出生年份/, IN_2026);
  });

  it('accepts the GB 11643-1999 example 440524188001010014, born in 1880', () => {
    expect(isValidResidentId('440524188001010014')).toBe(true);
    expect(residentIdInfo('440524188001010014')).toEqual({
      birthDate: '1880-01-01',
      sex: 'male',
      regionCode: '440524',
    });
    // The Gregorian rule holds back to 1800: 1880 was a leap year, 1800 (a century) was not.
    expect(isValidResidentId(idWith('440524', '18800229'))).toBe(true);
    expectRefused(idWith('440524', '18000229'), /birth day/, /出生日/);
  });

  it('takes the current year in China Standard Time: the new year begins at 16:00 UTC', () => {
    const born2027 = idWith('110105', '20270101');
    expect(isValidResidentId(born2027, { now: cst(2026, 12, 31, 23, 59) })).toBe(false);
    expect(isValidResidentId(born2027, { now: cst(2027, 1, 1, 0, 0) })).toBe(true);
    expect(isValidResidentId(born2027, { now: Date.UTC(2026, 11, 31, 16, 0) })).toBe(true);
    expect(isValidResidentId(born2027, { now: Date.UTC(2026, 11, 31, 15, 59) })).toBe(false);
  });

  it('checkResidentId and residentIdInfo judge by the same clock', () => {
    const born2030 = idWith('110105', '20300615');
    expect(() => checkResidentId(born2030, { now: cst(2030, 6, 1) })).not.toThrow();
    expect(residentIdInfo(born2030, { now: cst(2030, 6, 1) }).birthDate).toBe('2030-06-15');
    expectRefused(born2030, /birth year/, /出生年份/, { now: cst(2029, 12, 31) });
  });

  it('without a clock, uses the system clock', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(cst(2031, 3, 1));
      expect(isValidResidentId(idWith('110105', '20310101'))).toBe(true);
      expect(isValidResidentId(idWith('110105', '20320101'))).toBe(false);
      vi.setSystemTime(cst(2026, 3, 1));
      expect(isValidResidentId(idWith('110105', '20310101'))).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores a second argument that is not options (as Array.prototype.filter passes an index)', () => {
    expect(
      [idWith('110105', '19491231'), 'x'].filter(isValidResidentId as (id: unknown, index: number) => boolean),
    ).toHaveLength(1);
    expect(isValidResidentId(idWith('110105', '18000101'), { now: Number.NaN })).toBe(true);
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
    for (const bad of [
      '1101051949123100',
      '110105194912310021',
      '1101051949123100A',
      '１１０１０５１９４９１２３１００２',
      '',
    ]) {
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
      .map(([{ id }, position, c]) => ({
        original: id,
        mutated: `${id.slice(0, position)}${c}${id.slice(position + 1)}`,
      }));
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
