import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isCalendarDate } from '../../../src/codes/index.js';

describe('isCalendarDate', () => {
  it('knows leap years by the Gregorian rule', () => {
    expect(isCalendarDate('2000-02-29')).toBe(true);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('1900-02-29')).toBe(false);
    expect(isCalendarDate('2023-02-29')).toBe(false);
  });

  it('refuses days and months that do not exist and other shapes', () => {
    for (const bad of [
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '2026-1-5',
      '20260105',
      '2026-01-05T00:00',
      '',
      '２０２６-01-05',
    ]) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
  });

  it('agrees with the JavaScript calendar for every day of four centuries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2299 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
          expect(isCalendarDate(text)).toBe(real);
        },
      ),
    );
  });
});
