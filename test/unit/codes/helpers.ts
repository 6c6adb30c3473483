import { expect } from 'vitest';
import fc from 'fast-check';
import { InputError, type InputErrorCode } from '../../../src/errors/index.js';

/**
 * Runs `fn`, expects it to throw an InputError with `code` and non-empty messages in both languages,
 * and returns the error for further checks.
 */
export function expectInputError(fn: () => unknown, code: InputErrorCode): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  const error = caught as InputError;
  expect(error.code).toBe(code);
  expect(error.message.trim()).not.toBe('');
  expect(error.messageZh.trim()).not.toBe('');
  return error;
}

/**
 * Province-level codes written out again here (not imported), so that the tests check the source's list
 * rather than agree with it by construction.
 */
export const PROVINCE_CODES = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
] as const;

/** ISO 7064 MOD 11-2 from its definition (weight of position i is 2^(17−i) mod 11), independent of src. */
export function referenceIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    let weight = 1;
    for (let k = 0; k < 17 - i; k++) weight = (weight * 2) % 11;
    sum += Number(first17[i]) * weight;
  }
  return '10X98765432'.charAt(sum % 11);
}

/** GS1 check digit the way GS1 tabulates it: body left-padded to 17 digits, weights 3,1,3,… from the left. */
export function referenceGtinCheckDigit(body: string): number {
  const padded = body.padStart(17, '0');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(padded[i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10;
}

export interface GeneratedId {
  readonly id: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly regionCode: string;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Valid resident IDs with what they encode; dates come from Date, not from the code under test. Birth years 1800 to
 * 2025: valid by any clock from 2025 on (the validator accepts up to the current year).
 */
export const validResidentId: fc.Arbitrary<GeneratedId> = fc
  .record({
    province: fc.constantFrom(...PROVINCE_CODES),
    cityCounty: fc.integer({ min: 0, max: 9999 }),
    date: fc.date({
      min: new Date(Date.UTC(1800, 0, 1)),
      max: new Date(Date.UTC(2025, 11, 31, 23, 59, 59, 999)),
      noInvalidDate: true,
    }),
    sequence: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ province, cityCounty, date, sequence }) => {
    const y = pad(date.getUTCFullYear(), 4);
    const m = pad(date.getUTCMonth() + 1, 2);
    const d = pad(date.getUTCDate(), 2);
    const regionCode = `${province}${pad(cityCounty, 4)}`;
    const body = `${regionCode}${y}${m}${d}${pad(sequence, 3)}`;
    return {
      id: `${body}${referenceIdCheckChar(body)}`,
      birthDate: `${y}-${m}-${d}`,
      sex: sequence % 2 === 1 ? ('male' as const) : ('female' as const),
      regionCode,
    };
  });

/** Digit strings of exactly `length` ASCII digits. */
export function digits(length: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }).map((a) => a.join(''));
}
