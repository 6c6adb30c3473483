import { InputError } from './errors/index.js';

/**
 * Money inside yibao-guard is a safe integer count of 分 (fen, 0.01 yuan). The platform speaks yuan: JSON
 * numbers with two decimals (amounts, 16,2) or up to six (prices, 16,6). Conversions here are exact: they
 * read the decimal digits of the value and never multiply a float by 100 (0.29 * 100 is 28.999999999999996).
 */

/** Integer 分. */
export type Fen = number;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Splits a decimal literal into sign, integer digits and fraction digits, applying any exponent exactly. */
function decimalParts(text: string): { negative: boolean; int: string; frac: string } | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', intPart = '', fracPart = '', exp] = match;
  if (intPart === '' && fracPart === '') return undefined;
  let digits = intPart + fracPart;
  let point = intPart.length + (exp === undefined ? 0 : Number(exp));
  if (!Number.isSafeInteger(point) || Math.abs(point) > 400) return undefined;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  return {
    negative: sign === '-',
    int: digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0',
    frac: digits.slice(point),
  };
}

function moneyError(what: string, field: string | undefined, en: string, zh: string): InputError {
  return new InputError('INVALID_MONEY', {
    message: `${what}: ${en}`,
    messageZh: `${what === 'Amount' ? '金额' : '单价'}：${zh}`,
    ...(field === undefined ? {} : { field }),
  });
}

/** Scales a yuan value to an integer count of `10^-places` yuan, refusing anything inexact or unsafe. */
function scaleYuan(value: unknown, places: number, what: string, field?: string): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw moneyError(what, field, 'not a finite number', '不是有限数值');
    // String(n) is the shortest decimal that reads back as n, so it is the number the sender meant.
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
    if (text.length > 40) throw moneyError(what, field, 'too long', '位数过多');
  } else {
    throw moneyError(what, field, 'expected a number or a decimal string', '应为数字或数字字符串');
  }
  const parts = decimalParts(text);
  if (!parts) throw moneyError(what, field, 'not a decimal number', '不是合法的十进制数');
  const frac = parts.frac.replace(/0+$/, '');
  if (frac.length > places) {
    throw moneyError(what, field, `more than ${places} decimal places`, `小数位超过 ${places} 位`);
  }
  const scaled = Number(parts.int + frac.padEnd(places, '0'));
  if (!Number.isSafeInteger(scaled)) throw moneyError(what, field, 'out of range', '超出可表示范围');
  return parts.negative && scaled !== 0 ? -scaled : scaled;
}

/**
 * Converts a platform amount in yuan (number or decimal string, at most two decimals) to integer 分, exactly.
 * Throws `InputError` `INVALID_MONEY` for a third decimal, a non-number, or a value beyond safe integers.
 *
 * @example
 * yuanToFen(12.34) // 1234
 * yuanToFen('0.29') // 29 (not 28)
 */
export function yuanToFen(yuan: unknown, field?: string): Fen {
  return scaleYuan(yuan, 2, 'Amount', field);
}

/**
 * Formats integer 分 as the platform's yuan string with exactly two decimals.
 *
 * @example
 * fenToYuan(1234) // '12.34'
 * fenToYuan(-5) // '-0.05'
 */
export function fenToYuan(fen: Fen): string {
  if (!Number.isSafeInteger(fen)) {
    throw new InputError('INVALID_MONEY', {
      message: 'Amount in fen must be a safe integer',
      messageZh: '金额（分）必须为整数',
    });
  }
  const abs = Math.abs(fen);
  const text = `${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return fen < 0 ? `-${text}` : text;
}

/**
 * Formats integer 分 as a JSON number of yuan for the platform (the wire wants a number with two decimals;
 * a number cannot carry trailing zeros, and 12.3 reads back as 1230 分 exactly).
 *
 * @example
 * fenToYuanNumber(1230) // 12.3
 */
export function fenToYuanNumber(fen: Fen): number {
  return Number(fenToYuan(fen));
}

/**
 * Unit prices may carry up to six decimals of yuan (拆零 prices such as 0.123456). Inside they are integer
 * micro-yuan (1 分 = 10 000 micro-yuan).
 *
 * @example
 * priceToMicros('0.123456') // 123456
 */
export function priceToMicros(yuan: unknown, field?: string): number {
  return scaleYuan(yuan, 6, 'Price', field);
}

/**
 * Formats integer micro-yuan as a yuan string with the fewest decimals (at least two) that keep it exact.
 *
 * @example
 * microsToPrice(123456) // '0.123456'
 * microsToPrice(1_500_000) // '1.50'
 */
export function microsToPrice(micros: number): string {
  if (!Number.isSafeInteger(micros)) {
    throw new InputError('INVALID_MONEY', {
      message: 'Price in micro-yuan must be a safe integer',
      messageZh: '单价（微元）必须为整数',
    });
  }
  const abs = Math.abs(micros);
  let frac = String(abs % 1_000_000).padStart(6, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  const text = `${Math.trunc(abs / 1_000_000)}.${frac}`;
  return micros < 0 ? `-${text}` : text;
}

/** Quantities carry up to four decimals (the platform's 16,4); inside they are integer ten-thousandths. */
const QTY_SCALE = 10_000;

/**
 * The amount in 分 of `quantity` units at `unitPriceFen` each, rounded half up to the 分 as the platform
 * does, computed in integers (a quantity has at most four decimals).
 *
 * @example
 * lineAmountFen(1999, 3) // 5997
 * lineAmountFen(5, 0.5) // 3 (2.5 分 rounds half up)
 */
export function lineAmountFen(unitPriceFen: Fen, quantity: number): Fen {
  if (!Number.isSafeInteger(unitPriceFen) || unitPriceFen < 0) {
    throw new InputError('INVALID_MONEY', {
      message: 'Unit price must be a non-negative integer of fen',
      messageZh: '单价（分）必须为非负整数',
      field: 'unitPriceFen',
    });
  }
  const scaledQty = quantityToTenThousandths(quantity);
  const product = BigInt(unitPriceFen) * BigInt(scaledQty);
  const rounded = (product * 2n + BigInt(QTY_SCALE)) / BigInt(2 * QTY_SCALE);
  const fen = Number(rounded);
  if (!Number.isSafeInteger(fen))
    throw new InputError('INVALID_MONEY', { message: 'Line amount out of range', messageZh: '金额超出可表示范围' });
  return fen;
}

/**
 * A positive quantity with at most four decimals as integer ten-thousandths; throws `INVALID_QUANTITY`.
 *
 * @example
 * quantityToTenThousandths(1.5) // 15000
 */
export function quantityToTenThousandths(quantity: number): number {
  const bad = (en: string, zh: string) =>
    new InputError('INVALID_QUANTITY', { message: `Quantity ${en}`, messageZh: `数量${zh}`, field: 'quantity' });
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0)
    throw bad('must be a positive number', '必须为正数');
  const parts = decimalParts(String(quantity));
  if (!parts || parts.frac.replace(/0+$/, '').length > 4)
    throw bad('has more than 4 decimal places', '小数位超过 4 位');
  const scaled = Number(parts.int + parts.frac.replace(/0+$/, '').padEnd(4, '0'));
  if (!Number.isSafeInteger(scaled)) throw bad('is out of range', '超出范围');
  return scaled;
}
