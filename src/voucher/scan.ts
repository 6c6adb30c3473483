import {
  checkResidentId,
  isValidAreaCode,
  isValidGtin,
  isValidResidentId,
  isValidTraceCode,
  maskResidentId,
} from '../codes/index.js';
import { VoucherError } from '../errors/index.js';
import { defined } from '../defined.js';

/*
 * Reading what the buyer presents, before any network call: a scanner's text, a card reader's numbers, a typed
 * 身份证. A keyboard-wedge scanner types the QR and presses Enter, so surrounding white space is dropped; a
 * wrong thing scanned (the box's barcode, a trace code, an ID card) is named so staff know what to do.
 */

/** The largest scan accepted: a real voucher QR is well under this; a pasted file is refused at once. */
const MAX_SCAN = 2048;
const TOKEN = /^(\d{6})([0-9A-Za-z]{16,64})$/;

/** A voucher read and checked locally, ready for the platform's person query. */
export type ReadVoucher =
  | { readonly kind: 'ec-qr'; readonly certType: '01'; readonly certNo: string; readonly hint: string }
  | {
      readonly kind: 'ssc';
      readonly certType: '03';
      readonly certNo: string;
      readonly cardSn?: string;
      readonly residentId: string;
      readonly hint: string;
    }
  | {
      readonly kind: 'id-card';
      readonly certType: '02';
      readonly certNo: string;
      readonly residentId: string;
      readonly hint: string;
    };

function unreadable(en: string, zh: string, field = 'qr'): VoucherError {
  return new VoucherError('VOUCHER_UNREADABLE', {
    message: `The voucher could not be read: ${en}`,
    messageZh: `无法识别该凭证：${zh}`,
    field,
  });
}

/**
 * Reads the e-voucher token out of a QR scan: the scanner's text, optionally behind the `ecqr:` scheme the
 * terminal libraries use. Throws `VoucherError` `VOUCHER_UNREADABLE` saying what was scanned instead.
 *
 * @example
 * readEcQr('ecqr:220100A1b2C3d4E5f6G7h8I9j0K1l2M3n4\r\n') // '220100A1b2…'
 */
export function readEcQr(scan: string): string {
  if (scan.length > MAX_SCAN)
    throw unreadable(
      `the scan is ${scan.length} characters long, far more than a voucher QR`,
      `扫描内容长达 ${scan.length} 个字符，不是医保码`,
      'qr',
    );
  const text = scan.trim();
  if (text === '') throw unreadable('the scan is empty', '扫描内容为空', 'qr');
  const body = /^ecqr:/i.test(text) ? text.slice(5) : text;
  if (TOKEN.test(body) && isValidAreaCode(body.slice(0, 6))) return body;
  // Name the usual wrong scans: they come from the same counter.
  if (isValidTraceCode(body))
    throw unreadable('this is a drug traceability code, not a voucher', '这是药品追溯码，请扫描参保人的医保码');
  if (isValidGtin(body))
    throw unreadable('this is a product barcode, not a voucher', '这是商品条码，请扫描参保人的医保码');
  if (isValidResidentId(body))
    throw unreadable('this is a resident ID number: choose "身份证" instead', '这是身份证号码，请选择“身份证”方式');
  const match = /^(\d{6})([0-9A-Za-z]*)$/.exec(body);
  if (match && isValidAreaCode(body.slice(0, 6)) && (match[2] ?? '').length < 16) {
    throw unreadable(
      'the QR text is cut short (truncated scan); scan again',
      '医保码内容不完整（扫描被截断），请重新扫码',
      'qr',
    );
  }
  if (/[^0-9A-Za-z]/.test(body))
    throw unreadable('the scan holds characters a voucher QR never has', '扫描内容含有医保码不会出现的字符', 'qr');
  throw unreadable('the scan is not an e-voucher QR', '扫描内容不是医保电子凭证', 'qr');
}

/**
 * Checks a voucher input (the three ways a buyer identifies) locally: shapes, lengths and the 身份证 check
 * character. Throws `VoucherError` `VOUCHER_UNREADABLE`, or `InputError` `INVALID_RESIDENT_ID` for an ID number
 * that fails GB 11643, before anything is sent.
 *
 * @example
 * readVoucher({ kind: 'id-card', residentId }) // { kind: 'id-card', certType: '02', certNo: residentId, … }
 */
export function readVoucher(input: unknown): ReadVoucher {
  if (input === null || typeof input !== 'object')
    throw unreadable('expected a voucher object', '缺少凭证信息', 'kind');
  const v = input as Record<string, unknown>;
  switch (v['kind']) {
    case 'ec-qr': {
      if (typeof v['qr'] !== 'string') throw unreadable('the QR text is missing', '缺少医保码内容', 'qr');
      const token = readEcQr(v['qr']);
      return { kind: 'ec-qr', certType: '01', certNo: token, hint: `${token.slice(0, 6)}…` };
    }
    case 'ssc': {
      const cardNo = typeof v['cardNo'] === 'string' ? v['cardNo'].trim().toUpperCase() : '';
      if (!/^[A-Z0-9]{6,20}$/.test(cardNo))
        throw unreadable(
          'the social security card number is missing or malformed',
          '社会保障卡卡号缺失或格式不正确',
          'cardNo',
        );
      const cardSn = typeof v['cardSn'] === 'string' ? v['cardSn'].trim() : undefined;
      if (cardSn !== undefined && !/^[A-Za-z0-9]{1,32}$/.test(cardSn))
        throw unreadable('the card serial (卡识别码) is malformed', '卡识别码格式不正确', 'cardSn');
      const residentId = residentIdOf(v['residentId']);
      return {
        kind: 'ssc',
        certType: '03',
        certNo: cardNo,
        ...defined({ cardSn: cardSn || undefined }),
        residentId,
        hint: maskResidentId(cardNo),
      };
    }
    case 'id-card': {
      const residentId = residentIdOf(v['residentId']);
      return { kind: 'id-card', certType: '02', certNo: residentId, residentId, hint: maskResidentId(residentId) };
    }
    default:
      throw unreadable('unknown kind of voucher (expected ec-qr, ssc or id-card)', '未知的凭证类型', 'kind');
  }
}

function residentIdOf(value: unknown): string {
  const id = typeof value === 'string' ? value.trim().toUpperCase() : value;
  checkResidentId(id);
  return id;
}
