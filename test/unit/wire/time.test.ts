import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatCstCompact,
  formatCstDate,
  formatCstStamp,
  formatCstTime,
  parseCstTime,
} from '../../../src/platform/index.js';

describe('CST time on the wire', () => {
  it('writes China Standard Time whatever the machine zone', () => {
    const t = Date.UTC(2026, 10, 23, 2, 5, 9, 7);
    expect(formatCstTime(t)).toBe('2026-11-23 10:05:09');
    expect(formatCstCompact(t)).toBe('20261123100509');
    expect(formatCstStamp(t)).toBe('20261123100509007');
    expect(formatCstDate(Date.UTC(2026, 10, 22, 16, 0))).toBe('2026-11-23'); // midnight in Beijing
    expect(formatCstDate(Date.UTC(2026, 10, 22, 15, 59, 59))).toBe('2026-11-22');
    expect(formatCstTime(Date.UTC(2024, 1, 28, 16, 0))).toBe('2024-02-29 00:00:00');
  });

  it('reads back what it writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800 }), (seconds) => {
        expect(parseCstTime(formatCstTime(seconds * 1000))).toBe(seconds * 1000);
      }),
    );
  });

  it('refuses times that do not exist or are not in the wire form', () => {
    for (const bad of [
      '2026-02-30 10:00:00',
      '2026-11-23 24:00:00',
      '2026-11-23 10:60:00',
      '2026-11-23',
      '2026/11/23 10:00:00',
      '',
      '2026-11-23 10:00:00Z',
    ]) {
      expect(parseCstTime(bad), bad).toBeUndefined();
    }
    expect(parseCstTime('2026-11-23T10:00:00')).toBe(Date.UTC(2026, 10, 23, 2));
  });
});
