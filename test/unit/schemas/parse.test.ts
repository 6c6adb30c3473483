import { describe, expect, it } from 'vitest';
import { InputError, isYibaoGuardError } from '../../../src/index.js';
import { SaleLineSchema, parseInput } from '../../../src/schemas/index.js';
import { HOLDER_ID, line } from '../../fixtures/domain.js';

const subject = { en: 'Sale line', zh: '销售明细' };

describe('parseInput', () => {
  it('returns the typed value for valid input', () => {
    expect(parseInput(SaleLineSchema, line(), subject)).toEqual(line());
  });

  it('throws INVALID_INPUT listing every issue by path, naming the first as the field', () => {
    let error: unknown;
    try {
      parseInput(SaleLineSchema, { ...line(), quantity: -1, unitPriceFen: 1.5 }, subject);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(isYibaoGuardError(error, 'INVALID_INPUT')).toBe(true);
    const input = error as InputError;
    expect(input.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['quantity', 'unitPriceFen']));
    expect(input.field).toBe(input.issues[0]?.path);
    expect(input.message).toMatch(/^Sale line is invalid: /);
    expect(input.messageZh).toMatch(/^销售明细数据不正确：/);
  });

  it('never quotes the input in its messages (a wrong field may hold an ID number)', () => {
    try {
      parseInput(SaleLineSchema, { ...line(), lineId: HOLDER_ID + ' ', name: HOLDER_ID.repeat(20) }, subject);
      expect.unreachable();
    } catch (error) {
      const text = JSON.stringify({
        m: (error as InputError).message,
        z: (error as InputError).messageZh,
        i: (error as InputError).issues,
      });
      expect(text).not.toContain(HOLDER_ID);
    }
  });

  it('summarises a flood of issues instead of printing them all', () => {
    try {
      parseInput(SaleLineSchema, {}, subject);
      expect.unreachable();
    } catch (error) {
      const input = error as InputError;
      expect(input.issues.length).toBeGreaterThan(5);
      expect(input.message).toContain(`(+${input.issues.length - 5})`);
    }
  });

  it('refuses non-objects with a typed error', () => {
    for (const bad of [null, undefined, 'x', 42, [], true]) {
      expect(() => parseInput(SaleLineSchema, bad, subject)).toThrow(InputError);
    }
  });
});
