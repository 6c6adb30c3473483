import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fenToYuan, isYibaoGuardError, yuanToFen } from '../../src/index.js';
import {
  fenToYuanNumber,
  lineAmountFen,
  microsToPrice,
  priceToMicros,
  quantityToTenThousandths,
} from '../../src/codes/index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isYibaoGuardError(error) ? error.code : `untyped: ${String(error)}`;
  }
  return 'no error';
};

describe('yuanToFen', () => {
  it('converts amounts whose float product would be off by one fen', () => {
    // 0.29 * 100 === 28.999999999999996 and 1.15 * 100 === 114.99999999999999 in binary floating point.
    expect(yuanToFen(0.29)).toBe(29);
    expect(yuanToFen(1.15)).toBe(115);
    expect(yuanToFen(4.35)).toBe(435);
    expect(yuanToFen('19.99')).toBe(1999);
  });

  it('reads the edges: zero, one fen, negative, whole yuan, trailing zeros, exponents', () => {
    expect(yuanToFen(0)).toBe(0);
    expect(yuanToFen('0.00')).toBe(0);
    expect(yuanToFen('-0.00')).toBe(0);
    expect(Object.is(yuanToFen('-0'), 0)).toBe(true);
    expect(yuanToFen(0.01)).toBe(1);
    expect(yuanToFen('-0.01')).toBe(-1);
    expect(yuanToFen(12)).toBe(1200);
    expect(yuanToFen('12.3')).toBe(1230);
    expect(yuanToFen('12.3000')).toBe(1230);
    expect(yuanToFen(' 8.50 ')).toBe(850);
    expect(yuanToFen('.5')).toBe(50);
    expect(yuanToFen('1e2')).toBe(10000);
    expect(yuanToFen('1.5e-1')).toBe(15);
    expect(yuanToFen(1e-2)).toBe(1);
  });

  it('reaches the largest safe amount and refuses one beyond it', () => {
    expect(yuanToFen('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
    expect(code(() => yuanToFen('90071992547409.92'))).toBe('INVALID_MONEY');
    expect(code(() => yuanToFen(1e21))).toBe('INVALID_MONEY');
  });

  it('refuses a third decimal instead of rounding money away', () => {
    expect(code(() => yuanToFen(0.001))).toBe('INVALID_MONEY');
    expect(code(() => yuanToFen('12.345'))).toBe('INVALID_MONEY');
    expect(code(() => yuanToFen(1e-7))).toBe('INVALID_MONEY');
  });

  it('refuses what is not a decimal number with a typed error', () => {
    for (const bad of [
      '',
      ' ',
      'abc',
      '1,000.00',
      '¥12',
      '12.3.4',
      '--1',
      '0x10',
      'Infinity',
      NaN,
      Infinity,
      null,
      undefined,
      {},
      [],
      true,
      '9'.repeat(41),
    ]) {
      expect(code(() => yuanToFen(bad))).toBe('INVALID_MONEY');
    }
  });

  it('round-trips every amount up to ten billion yuan through the platform number and string forms', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (fen) => {
        expect(yuanToFen(fenToYuan(fen))).toBe(fen);
        expect(yuanToFen(fenToYuanNumber(fen))).toBe(fen);
        expect(yuanToFen(fen / 100)).toBe(fen);
      }),
    );
  });
});

describe('fenToYuan', () => {
  it('always writes two decimals', () => {
    expect(fenToYuan(0)).toBe('0.00');
    expect(fenToYuan(1)).toBe('0.01');
    expect(fenToYuan(10)).toBe('0.10');
    expect(fenToYuan(123456)).toBe('1234.56');
    expect(fenToYuan(-5)).toBe('-0.05');
    expect(fenToYuan(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
  });

  it('refuses fractional or unsafe fen', () => {
    expect(code(() => fenToYuan(1.5))).toBe('INVALID_MONEY');
    expect(code(() => fenToYuan(2 ** 53))).toBe('INVALID_MONEY');
    expect(code(() => fenToYuan(NaN))).toBe('INVALID_MONEY');
  });
});

describe('unit prices with six decimals', () => {
  it('reads and writes 拆零 prices exactly', () => {
    expect(priceToMicros('0.123456')).toBe(123456);
    expect(priceToMicros(0.1)).toBe(100000);
    expect(priceToMicros('15')).toBe(15_000_000);
    expect(microsToPrice(123456)).toBe('0.123456');
    expect(microsToPrice(1_500_000)).toBe('1.50');
    expect(microsToPrice(1_230_000)).toBe('1.23');
    expect(microsToPrice(1_234_500)).toBe('1.2345');
    expect(microsToPrice(0)).toBe('0.00');
    expect(microsToPrice(-10)).toBe('-0.00001');
    expect(code(() => priceToMicros('0.1234567'))).toBe('INVALID_MONEY');
  });

  it('round-trips any price', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), (micros) => {
        expect(priceToMicros(microsToPrice(micros))).toBe(micros);
      }),
    );
  });
});

describe('lineAmountFen', () => {
  it('multiplies in integers and rounds half up to the fen', () => {
    expect(lineAmountFen(1999, 3)).toBe(5997);
    expect(lineAmountFen(5, 0.5)).toBe(3);
    expect(lineAmountFen(5, 0.1)).toBe(1); // 0.5 fen rounds up
    expect(lineAmountFen(4, 0.1)).toBe(0); // 0.4 fen rounds down
    expect(lineAmountFen(1000, 0.3333)).toBe(333);
    expect(lineAmountFen(2870, 1.25)).toBe(3588); // 3587.5 rounds up
    expect(lineAmountFen(0, 7)).toBe(0);
  });

  it('agrees with exact rational arithmetic for any price and 4-decimal quantity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (price, qty4) => {
        const quantity = qty4 / 10_000;
        const exact = BigInt(price) * BigInt(qty4); // in 1/10000 fen
        const expected = Number((exact + 5_000n) / 10_000n);
        expect(lineAmountFen(price, quantity)).toBe(expected);
      }),
    );
  });

  it('refuses bad prices and quantities with typed errors', () => {
    expect(code(() => lineAmountFen(-1, 1))).toBe('INVALID_MONEY');
    expect(code(() => lineAmountFen(1.5, 1))).toBe('INVALID_MONEY');
    expect(code(() => lineAmountFen(100, 0))).toBe('INVALID_QUANTITY');
    expect(code(() => lineAmountFen(100, -1))).toBe('INVALID_QUANTITY');
    expect(code(() => lineAmountFen(100, 0.00001))).toBe('INVALID_QUANTITY');
    expect(code(() => lineAmountFen(100, NaN))).toBe('INVALID_QUANTITY');
    expect(quantityToTenThousandths(1.0001)).toBe(10001);
  });
});
