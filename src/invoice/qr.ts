/*
 * The receipt's QR code: what an inspector needs to check a paper receipt on its own, and to look its invoice up on
 * the platform (YG02), in about 210 characters:
 *
 *   YG1*{pharmacyCode}*{terminalId}*{seq}*{kind}*{issuedAt}*{totalFen}*{hash}*{sig}*{keyId}
 *
 * kind is one letter (S sale, R refund, V void, K key rotation, C catch-up); issuedAt is epoch ms; hash is the record
 * hash (32 bytes) and sig the QR's own Ed25519 signature over `invoiceQrSigningText` (64 bytes), both RFC 4648
 * base32 without padding (52 and 103 characters); sig is empty on a receipt printed while the key could not sign.
 * Because the signature covers the record hash, a verified QR pins the whole record: the export line or YG01 upload
 * with that hash is the receipt's invoice, and nothing else is.
 *
 * Base32 and `*` keep the text inside the QR alphanumeric set (digits, A–Z, space, $%*+-./:), which packs 5.5 bits a
 * character instead of 8: QR version 8 at error-correction level M for a typical receipt, easily printed on a
 * 58 mm receipt printer. (Ids with lower-case letters or `_` still work; the QR encoder then uses byte mode.)
 */
import type { Signer } from '../crypto/index.js';
import type { InvoiceKind, SignedInvoice } from '../schemas/invoice.js';
import { invoiceHash, invoiceQrSigningText, qrFields } from './hash.js';
import { fromBase64Url, toBase64Url, toHex } from '../crypto/index.js';
import { InvoiceError } from '../errors/areas.js';

/** What a receipt's QR code says. */
export interface InvoiceQr {
  readonly pharmacyCode: string;
  readonly terminalId: string;
  readonly seq: number;
  readonly kind: InvoiceKind;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly totalFen: number;
  /** Record hash, lowercase hex (as YG02 and `prevHash` name it). */
  readonly hash: string;
  /** The QR's signature (over `invoiceQrSigningText`), base64url, or null on a receipt printed unsigned. */
  readonly sig: string | null;
  readonly keyId: string;
}

const KINDS: Record<InvoiceKind, string> = { sale: 'S', refund: 'R', void: 'V', 'key-rotation': 'K', 'catch-up': 'C' };
const KIND_OF = new Map(Object.entries(KINDS).map(([kind, letter]) => [letter, kind as InvoiceKind]));
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function toBase32(bytes: Uint8Array): string {
  let out = '';
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32.charAt((value >> bits) & 31);
    }
  }
  return bits > 0 ? out + B32.charAt((value << (5 - bits)) & 31) : out;
}

/** Decodes base32 of exactly `length` bytes; undefined for any other text (including non-zero padding bits). */
function fromBase32(text: string, length: number): Uint8Array | undefined {
  if (text.length !== Math.ceil((length * 8) / 5)) return undefined;
  const out = new Uint8Array(length);
  let value = 0;
  let bits = 0;
  let j = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 0xff;
    }
  }
  return (value & ((1 << bits) - 1)) === 0 ? out : undefined;
}

const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));

/**
 * The QR text of a record with its hash and QR signature (base64url, or null).
 *
 * @example
 * qrText(record, hash, qrSig) // 'YG1*P22010100001*T01*1*S*1795399500000*5740*…'
 */
export function qrText(record: SignedInvoice, hash: string, sig: string | null): string {
  const { body } = record;
  return [
    'YG1',
    body.pharmacyCode,
    body.terminalId,
    body.seq,
    KINDS[body.kind],
    body.issuedAt,
    body.split.totalFen,
    toBase32(fromHex(hash)),
    sig === null ? '' : toBase32(fromBase64Url(sig)),
    body.keyId,
  ].join('*');
}

/**
 * Signs a record's QR fields with `signer` (when given and able to sign): the QR signature, base64url, or null.
 * Ed25519 is deterministic, so a receipt reprinted later gets the same QR.
 */
export async function signQr(record: SignedInvoice, hash: string, signer: Signer | undefined): Promise<string | null> {
  if (!signer) return null;
  try {
    const sig = await signer.sign(new TextEncoder().encode(invoiceQrSigningText(qrFields(record.body, hash))));
    return sig.length === 64 ? toBase64Url(sig) : null;
  } catch {
    return null;
  }
}

/**
 * The receipt QR text of a record: its fields, its record hash, and a signature of them by `signer` (the terminal
 * key named in the record); without a signer, or when it fails, the QR is printed unsigned.
 *
 * @example
 * printer.qr(await invoiceQrText(record, signer)) // 'YG1*P22010100001*T01*1*S*1795399500000*5740*…'
 */
export async function invoiceQrText(record: SignedInvoice, signer?: Signer): Promise<string> {
  const hash = await invoiceHash(record);
  return qrText(record, hash, await signQr(record, hash, signer));
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const NUMBER = /^(0|[1-9]\d{0,15})$/;

/**
 * Reads a receipt's QR text (surrounding white space from a scanner is ignored). Throws `InvoiceError`
 * `INVOICE_UNREADABLE` naming the first field at fault for anything that is not a yibao-guard receipt QR.
 *
 * @example
 * const qr = parseInvoiceQr(scanned) // { pharmacyCode: 'P22010100001', seq: 1, totalFen: 5740, … }
 */
export function parseInvoiceQr(text: string): InvoiceQr {
  const parts = typeof text === 'string' ? text.trim().split('*') : [];
  const [
    tag,
    pharmacyCode = '',
    terminalId = '',
    seq = '',
    kind = '',
    issuedAt = '',
    totalFen = '',
    hash = '',
    sig = '',
    keyId = '',
  ] = parts;
  const fail = (field: string): never => {
    throw new InvoiceError('INVOICE_UNREADABLE', {
      message: `Not a yibao-guard receipt QR code: ${field} is missing or malformed`,
      messageZh: `不是 yibao-guard 票据二维码：${field} 缺失或格式不正确`,
      field,
    });
  };
  if (tag !== 'YG1' || parts.length !== 10) fail('format');
  if (!/^[A-Za-z0-9]{1,30}$/.test(pharmacyCode)) fail('pharmacyCode');
  if (!ID.test(terminalId)) fail('terminalId');
  if (!NUMBER.test(seq) || seq === '0') fail('seq');
  const kindName = KIND_OF.get(kind) ?? fail('kind');
  if (!NUMBER.test(issuedAt)) fail('issuedAt');
  if (!NUMBER.test(totalFen)) fail('totalFen');
  const hashBytes = fromBase32(hash, 32) ?? fail('hash');
  const sigBytes = sig === '' ? null : (fromBase32(sig, 64) ?? fail('sig'));
  if (!ID.test(keyId)) fail('keyId');
  return {
    pharmacyCode,
    terminalId,
    seq: Number(seq),
    kind: kindName,
    issuedAt: Number(issuedAt),
    totalFen: Number(totalFen),
    hash: toHex(hashBytes),
    sig: sigBytes === null ? null : toBase64Url(sigBytes),
    keyId,
  };
}
