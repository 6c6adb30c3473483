/*
 * What is hashed and what is signed, all over RFC 8785 canonical JSON:
 *
 * - the record's signature: Ed25519 over the UTF-8 of the canonical JSON of its `body`;
 * - the record hash: SHA-256 of the canonical JSON of the whole signed record `{ body, sig }`. The next invoice
 *   names it as `prevHash`, YG01 uploads it, YG02 looks it up, the receipt's QR code carries it. Any change to a
 *   record, its signature included, changes it, so the next invoice no longer links;
 * - the receipt QR's own signature: over `YG1|{pharmacyCode}|{terminalId}|{seq}|{kind}|{issuedAt}|{totalFen}|{hash}`,
 *   so that a paper receipt can be checked on its own and its record hash, bound by that signature, looked up.
 *
 * The three signed texts cannot be taken for one another: a body is a JSON object, the QR text starts with `YG1|`,
 * a chain export's header with `YG1-EXPORT|`.
 */
import type { InvoiceBody, InvoiceKind, SignedInvoice } from '../schemas/invoice.js';
import { sha256Hex } from '../crypto/index.js';
import { canonicalJson } from '../canonical-json.js';

/** What a receipt QR code states, and its signature covers. */
export interface QrFields {
  readonly pharmacyCode: string;
  readonly terminalId: string;
  readonly seq: number;
  readonly kind: InvoiceKind;
  readonly issuedAt: number;
  readonly totalFen: number;
  /** The record hash, lowercase hex. */
  readonly hash: string;
}

/**
 * The text a receipt QR code's signature covers (UTF-8):
 * `YG1|{pharmacyCode}|{terminalId}|{seq}|{kind}|{issuedAt}|{totalFen}|{hash}`.
 *
 * @example
 * invoiceQrSigningText({ pharmacyCode: 'P22010100001', terminalId: 'T01', seq: 1, kind: 'sale', issuedAt:
 * 1795399500000, totalFen: 5740, hash })
 * // 'YG1|P22010100001|T01|1|sale|1795399500000|5740|9f2c…'
 */
export function invoiceQrSigningText(fields: QrFields): string {
  return `YG1|${fields.pharmacyCode}|${fields.terminalId}|${fields.seq}|${fields.kind}|${fields.issuedAt}|${fields.totalFen}|${fields.hash}`;
}

/** The QR fields of a record with its hash. */
export function qrFields(body: InvoiceBody, hash: string): QrFields {
  return {
    pharmacyCode: body.pharmacyCode,
    terminalId: body.terminalId,
    seq: body.seq,
    kind: body.kind,
    issuedAt: body.issuedAt,
    totalFen: body.split.totalFen,
    hash,
  };
}

/**
 * The canonical JSON of a record `{ body, sig }` given its body's canonical JSON: the same text as
 * `canonicalJson(record)` ("body" sorts before "sig"), without writing the body twice.
 */
export function recordCanonical(bodyJson: string, sig: string | null): string {
  return `{"body":${bodyJson},"sig":${sig === null ? 'null' : JSON.stringify(sig)}}`;
}

/**
 * The record hash: lowercase hex SHA-256 of the canonical JSON of the whole signed record. What the next
 * invoice's `prevHash`, YG01, YG02 and the receipt QR name.
 *
 * @example
 * const hash = await invoiceHash(record) // '9f2c…' (64 hex digits)
 */
export function invoiceHash(record: SignedInvoice): Promise<string> {
  return sha256Hex(canonicalJson(record));
}
