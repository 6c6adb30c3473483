import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isYibaoGuardError } from '../../../src/index.js';
import { readEcQr, readVoucher } from '../../../src/voucher/index.js';

const TOKEN = '220100' + 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56';
const HOLDER_ID = '11010519491231002X';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isYibaoGuardError(error) ? error.code : `untyped ${String(error)}`;
  }
}

describe('reading a voucher before any network call', () => {
  it('reads an e-voucher QR as a scanner types it, with or without the ecqr: scheme', () => {
    expect(readEcQr(`ecqr:${TOKEN}\r\n`)).toBe(TOKEN);
    expect(readEcQr(`  ${TOKEN}\n`)).toBe(TOKEN);
    expect(readEcQr(`ECQR:${TOKEN}`)).toBe(TOKEN);
    expect(readVoucher({ kind: 'ec-qr', qr: `ecqr:${TOKEN}` })).toEqual({
      kind: 'ec-qr',
      certType: '01',
      certNo: TOKEN,
      hint: '220100…',
    });
  });

  it('refuses empty, truncated, huge and foreign scans with VOUCHER_UNREADABLE, naming what was scanned', () => {
    expect(codeOf(() => readEcQr(''))).toBe('VOUCHER_UNREADABLE');
    expect(codeOf(() => readEcQr('\r\n'))).toBe('VOUCHER_UNREADABLE');
    expect(codeOf(() => readEcQr(`ecqr:${TOKEN.slice(0, 14)}`))).toBe('VOUCHER_UNREADABLE');
    expect(() => readEcQr(`ecqr:${TOKEN.slice(0, 14)}`)).toThrow(/truncated/);
    expect(codeOf(() => readEcQr('x'.repeat(1_000_000)))).toBe('VOUCHER_UNREADABLE');
    expect(() => readEcQr('81234560000000000017')).toThrow(/traceability code/);
    expect(() => readEcQr('6901234567892')).toThrow(/product barcode/);
    expect(() => readEcQr(HOLDER_ID)).toThrow(/resident ID/);
    expect(codeOf(() => readEcQr(`ecqr:${TOKEN}<script>`))).toBe('VOUCHER_UNREADABLE');
    expect(codeOf(() => readEcQr(`990100${TOKEN.slice(6)}`))).toBe('VOUCHER_UNREADABLE');
  });

  it('never echoes the scan in its messages', () => {
    try {
      readEcQr(HOLDER_ID);
    } catch (error) {
      expect(JSON.stringify(error) + String(error)).not.toContain(HOLDER_ID);
    }
  });

  it('checks the 身份证 of a card or ID voucher with its GB 11643 check character', () => {
    expect(readVoucher({ kind: 'id-card', residentId: HOLDER_ID.toLowerCase() })).toMatchObject({
      certType: '02',
      certNo: HOLDER_ID,
      hint: '1101**********002X',
    });
    expect(readVoucher({ kind: 'ssc', cardNo: 'a12345678', cardSn: 'SN1', residentId: HOLDER_ID })).toMatchObject({
      certType: '03',
      certNo: 'A12345678',
      cardSn: 'SN1',
    });
    expect(codeOf(() => readVoucher({ kind: 'id-card', residentId: '110105194912310021' }))).toBe(
      'INVALID_RESIDENT_ID',
    );
    expect(codeOf(() => readVoucher({ kind: 'ssc', cardNo: 'A1', residentId: HOLDER_ID }))).toBe('VOUCHER_UNREADABLE');
    expect(codeOf(() => readVoucher({ kind: 'ssc', cardNo: 'A12345678' }))).toBe('INVALID_RESIDENT_ID');
  });

  it('refuses anything else with a typed error, never a crash', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const code = codeOf(() => readVoucher(value));
        expect(['VOUCHER_UNREADABLE', 'INVALID_RESIDENT_ID', 'no error']).toContain(code);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (qr) => {
        expect(['VOUCHER_UNREADABLE', 'no error']).toContain(codeOf(() => readVoucher({ kind: 'ec-qr', qr })));
      }),
    );
  });
});
