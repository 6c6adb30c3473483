import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { maskName, maskPersonalData, maskPhone, maskResidentId } from '../../../src/codes/index.js';
import { digits, validResidentId } from './helpers.js';

describe('maskResidentId', () => {
  it('keeps the first 4 and last 4 characters and the length', () => {
    expect(maskResidentId('22010219900307123X')).toBe('2201**********123X');
    expect(maskResidentId('11010519491231002X')).toBe('1101**********002X');
  });

  it('masks an invalid or odd-length ID the same way', () => {
    expect(maskResidentId('123456789')).toBe('1234*6789');
    expect(maskResidentId('110105491231002')).toBe('1101*******1002');
  });

  it('turns strings of 8 characters or fewer into all * of the same length', () => {
    expect(maskResidentId('12345678')).toBe('********');
    expect(maskResidentId('1234')).toBe('****');
    expect(maskResidentId('')).toBe('');
  });

  it('returns an empty string for anything that is not a string', () => {
    expect(maskResidentId(null as unknown as string)).toBe('');
    expect(maskResidentId(11010519491231 as unknown as string)).toBe('');
    expect(maskResidentId(undefined as unknown as string)).toBe('');
  });

  it('keeps only the first 4 and last 4 characters of every generated ID', () => {
    fc.assert(
      fc.property(validResidentId, ({ id }) => {
        const masked = maskResidentId(id);
        expect(masked).not.toBe(id);
        expect(masked).toBe(`${id.slice(0, 4)}**********${id.slice(14)}`);
      }),
    );
  });
});

describe('maskName', () => {
  it('keeps the surname of a Chinese name and masks every other character', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName('王小明')).toBe('王**');
  });

  it('masks a one-character name entirely', () => {
    expect(maskName('李')).toBe('*');
    expect(maskName('J')).toBe('*');
  });

  it('keeps the first letter of each word of a Latin name', () => {
    expect(maskName('John Smith')).toBe('J*** S****');
    expect(maskName('Anna')).toBe('A***');
  });

  it('trims the input and joins Latin words with single spaces', () => {
    expect(maskName('  张三 ')).toBe('张*');
    expect(maskName(' John   Smith\n')).toBe('J*** S****');
  });

  it('counts a surname outside the BMP as one character', () => {
    expect(maskName('𠮷野家')).toBe('𠮷**');
  });

  it('treats a name with a middle dot as Chinese', () => {
    expect(maskName('阿依·买买提')).toBe('阿*****');
  });

  it('returns an empty string for empty, blank and non-string input', () => {
    expect(maskName('')).toBe('');
    expect(maskName('   ')).toBe('');
    expect(maskName(null as unknown as string)).toBe('');
  });

  it('never returns a Chinese name unchanged when it has two or more characters', () => {
    const han = fc.constantFrom(...'张王李赵刘陈杨黄周吴欧阳娜明华');
    fc.assert(
      fc.property(fc.array(han, { minLength: 2, maxLength: 6 }), (chars) => {
        const name = chars.join('');
        const masked = maskName(name);
        expect(masked).toBe(`${chars[0]}${'*'.repeat(chars.length - 1)}`);
      }),
    );
  });
});

describe('maskPhone', () => {
  it('shows the first 3 and last 4 digits of a mainland mobile number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });

  it('recognises +86 / 86 prefixes, spaces and dashes', () => {
    for (const phone of [
      '+8613812345678',
      '8613812345678',
      '+86 138 1234 5678',
      '138-1234-5678',
      '(+86) 138 1234-5678',
    ]) {
      expect(maskPhone(phone)).toBe('138****5678');
    }
  });

  it('keeps only the last 4 digits of any other number', () => {
    expect(maskPhone('85555678')).toBe('****5678');
    expect(maskPhone('0431-85555678')).toBe('****5678');
    expect(maskPhone('12812345678')).toBe('****5678');
  });

  it('masks 4 digits or fewer, and non-numbers, entirely', () => {
    expect(maskPhone('5678')).toBe('****');
    expect(maskPhone('12')).toBe('****');
    expect(maskPhone('call me')).toBe('****');
  });

  it('returns an empty string for empty and non-string input', () => {
    expect(maskPhone('')).toBe('');
    expect(maskPhone(13812345678 as unknown as string)).toBe('');
  });

  it('never shows the middle four digits of a generated mobile number', () => {
    const mobile = fc.tuple(fc.constantFrom(...'3456789'), digits(9)).map(([second, rest]) => `1${second}${rest}`);
    fc.assert(
      fc.property(mobile, (phone) => {
        expect(maskPhone(phone)).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
      }),
    );
  });
});

describe('maskPersonalData', () => {
  it('masks an ID number inside a Chinese sentence', () => {
    expect(maskPersonalData('患者身份证号11010519491231002X，请核对')).toBe('患者身份证号1101**********002X，请核对');
  });

  it('masks IDs that are invalid or end in a lower-case x', () => {
    expect(maskPersonalData('证件 110105194912310021 无效')).toBe('证件 1101**********0021 无效');
    expect(maskPersonalData('证件:11010519491231002x')).toBe('证件:1101**********002x');
  });

  it('masks a mobile number inside a Chinese sentence', () => {
    expect(maskPersonalData('联系电话13812345678。')).toBe('联系电话138****5678。');
  });

  it('masks mobiles written with +86 or separated 3-4-4, keeping the format', () => {
    expect(maskPersonalData('tel:+8613812345678')).toBe('tel:+86138****5678');
    expect(maskPersonalData('电话 138-1234-5678')).toBe('电话 138-****-5678');
    expect(maskPersonalData('电话 138 1234 5678')).toBe('电话 138 **** 5678');
  });

  it('masks several items in one line', () => {
    expect(maskPersonalData('id=11010519491231002X phone=13812345678 id2=320106199003071234')).toBe(
      'id=1101**********002X phone=138****5678 id2=3201**********1234',
    );
  });

  it('leaves trace codes, barcodes, amounts and other numbers alone', () => {
    const text =
      '追溯码 81234567890123456789，条码 6901234567892，金额 ¥13812.34，单号 1234567890123456789，数量 17，流水 12812345678，编号 138123456789';
    expect(maskPersonalData(text)).toBe(text);
  });

  it('returns an empty string for non-string input', () => {
    expect(maskPersonalData(undefined as unknown as string)).toBe('');
  });

  it('never lets the middle of a generated ID through, whatever text surrounds it', () => {
    const around = fc.string({ maxLength: 20 }).map((s) => s.replace(/[0-9]+$/, ''));
    const after = fc.string({ maxLength: 20 }).map((s) => s.replace(/^[0-9]+/, ''));
    fc.assert(
      fc.property(around, validResidentId, after, (before, { id }, rest) => {
        const masked = maskPersonalData(`${before}${id}${rest}`);
        expect(masked).toContain(maskResidentId(id));
        expect(masked).not.toContain(id.slice(4, 14));
      }),
    );
  });

  it('leaves any 20-digit trace code unchanged', () => {
    fc.assert(
      fc.property(digits(19), (rest) => {
        const text = `追溯码：8${rest}。`;
        expect(maskPersonalData(text)).toBe(text);
      }),
    );
  });
});
