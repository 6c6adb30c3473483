/**
 * yibao-guard/invoice: signed, hash-chained invoices: issuing (the invoice book), terminal keys, receipt QR codes,
 * chain exports and
 * verification. Plain modules, imported statically: an app that only issues never references the verifier, and
 * its bundler leaves the verification code and report texts out; an app that wants them in a chunk of its own
 * splits at its own `import()`. Every function here is async (those whose work is synchronous too), as they
 * always were.
 *
 * @packageDocumentation
 */
import { invoiceHash as hashOf, invoiceQrSigningText as signingTextOf, type QrFields } from './hash.js';
import { parseInvoiceQr as parseQr, type InvoiceQr } from './qr.js';

export { openInvoiceBook } from './sign.js';
export { verifyInvoice, verifyChain, verifyInvoiceQr } from './verify.js';
export { invoiceQrText } from './qr.js';
export { exportInvoiceChain } from './export.js';
export { verifyInvoiceExport } from './verify-export.js';
export { generateTerminalKey, unwrapTerminalKey, registerTerminalKey } from './keys.js';
export { webCryptoEd25519 } from './webcrypto.js';

/**
 * Reads a receipt's QR text (`YG1*{pharmacyCode}*{terminalId}*{seq}*{kind letter}*{issuedAt}*{totalFen}*{hash,
 * base32}*{sig, base32}*{keyId}`,
 * docs/RECEIPT-FORMAT.md §5) into its fields; `InvoiceError` `INVOICE_UNREADABLE` for anything else.
 *
 * @example
 * const { seq, totalFen, hash } = await parseInvoiceQr(scanned)
 */
export async function parseInvoiceQr(text: string): Promise<InvoiceQr> {
  return parseQr(text);
}

/**
 * The record hash: SHA-256 (hex) of the canonical JSON of the whole signed record, as `prevHash`, YG01 and YG02 name it
 * (docs/RECEIPT-FORMAT.md §3.1).
 *
 * @example
 * const hash = await invoiceHash(record)
 */
export async function invoiceHash(...args: Parameters<typeof hashOf>): Promise<string> {
  return hashOf(...args);
}

/**
 * The text a receipt QR's signature covers: `YG1|{pharmacyCode}|{terminalId}|{seq}|{kind}|{issuedAt}|{totalFen}|{hash}`
 * (UTF-8), for verifiers written elsewhere. (A record's own signature covers the canonical JSON of its body.)
 *
 * @example
 * const text = await invoiceQrSigningText(await parseInvoiceQr(scanned))
 */
export async function invoiceQrSigningText(fields: QrFields): Promise<string> {
  return signingTextOf(fields);
}

export { InvoiceError, type InvoiceErrorCode } from '../errors/areas.js';
export type { InvoiceBook, InvoiceBookOptions, InvoiceDraft, IssuedInvoice } from './sign.js';
export type { InvoiceChainHead, InvoiceUploadMark, InvoiceStores } from './records.js';
export type { GenerateTerminalKeyOptions, RegisterTerminalKeyOptions } from './keys.js';
export type { InvoiceQr } from './qr.js';
export type { QrFields } from './hash.js';
export type { Ed25519Backend, Ed25519Choice } from './webcrypto.js';
export type { ExportInvoiceChainOptions } from './export.js';
export type { InvoiceExportReport } from './verify-export.js';
export type {
  ChainReport,
  InvoiceIssue,
  InvoiceIssueKind,
  InvoiceKey,
  InvoiceQrReport,
  InvoiceReport,
  InvoiceText,
  VerifyChainOptions,
} from './verify.js';
