import { describe, expect, it } from 'vitest';
import { defined } from '../../src/defined.js';

describe('defined', () => {
  it('drops the undefined properties and keeps every other value, falsy ones too, in order', () => {
    const out = defined({ a: 1, b: undefined, c: null, d: 0, e: '', f: false, g: 'x' });
    expect(out).toEqual({ a: 1, c: null, d: 0, e: '', f: false, g: 'x' });
    expect(Object.keys(out)).toEqual(['a', 'c', 'd', 'e', 'f', 'g']);
    expect('b' in out).toBe(false);
  });

  it('returns a new object and leaves its argument alone', () => {
    const fields = { a: undefined, b: 2 };
    const out = defined(fields);
    expect(out).not.toBe(fields);
    expect(Object.keys(fields)).toEqual(['a', 'b']);
  });

  it('spreads into a record as the optional fields it was given', () => {
    const note: string | undefined = undefined;
    const psnNo: string | undefined = 'P1';
    const record: { id: string; note?: string; psnNo?: string } = { id: 'S1', ...defined({ note, psnNo }) };
    expect(record).toEqual({ id: 'S1', psnNo: 'P1' });
  });
});
