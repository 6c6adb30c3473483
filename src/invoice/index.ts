/*
 * Signed, hash-chained invoices: issuing (the invoice book), terminal keys, receipt QR codes, chain exports and
 * verification. Every function here loads its module on first call (`import()`), so a till's first page load
 * pays for none of it, and a till that only issues never loads the verification code and report texts an
 * inspector needs. Hence every function is async. The modules get the rest of the core from core.ts through
 * `install` instead of importing it (core.ts says why: code-splitting bundlers).
 */
import type * as Inspect from './inspect.js';
import type * as Till from './till.js';
import { YibaoGuardError } from '../errors/base.js';
import { core, type Core } from './core.js';

type Lazy<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/**
 * Loads a module on first use and hands it the core (see core.ts for why it does not import it). A module that
 * cannot be loaded (a browser offline with the app's chunks not cached) is `ENVIRONMENT_UNSUPPORTED`: a till should
 * open its invoice book at start-up, so that the code is there before the first sale.
 */
const loader =
  <M extends { install(values: Core): void }>(load: () => Promise<M>) =>
  () =>
    load().then(
      (module) => (module.install(core), module),
      (cause: unknown) => {
        throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
          message: 'The invoice code could not be loaded (open the invoice book at start-up, while the app can load its files)',
          messageZh: '票据模块无法加载（请在启动时打开票据簿，以便提前加载）',
          cause,
        });
      },
    );

/** A function of a module loaded on first call. */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): Lazy<M[K]> {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as Lazy<M[K]>;
}

// Two lazily loaded modules, by role: what a till needs, and what an inspector needs.
const till = /* #__PURE__ */ loader(() => import('./till.js'));
const inspect = /* #__PURE__ */ loader(() => import('./inspect.js'));

/**
 * Opens the invoice book of a terminal: issue signed, hash-chained invoices (refunds and voids included), enrol
 * and rotate its key, export and upload the chain. See `InvoiceBook`.
 *
 * @example
 * const book = await openInvoiceBook({ storage, pharmacyCode: 'P22010100001', terminalId: 'T01', deviceSecret })
 * const receipt = await book.issue({ lines, split, setlId })
 */
export const openInvoiceBook = /* #__PURE__ */ lazy<typeof Till, 'openInvoiceBook'>(till, 'openInvoiceBook');

/**
 * Verifies one signed invoice record: form, key and signature. Returns a report, never throws for the record.
 *
 * @example
 * const { ok, issues, hash } = await verifyInvoice(record, [{ keyId: 'T01-K1', publicKey }])
 */
export const verifyInvoice = /* #__PURE__ */ lazy<typeof Inspect, 'verifyInvoice'>(inspect, 'verifyInvoice');

/**
 * Verifies a chain of records: signatures, keys and their rotations, hash links, numbering, order, reversals and
 * unsigned receipts; every problem with its position and seq.
 *
 * @example
 * const report = await verifyChain(records, [{ keyId: 'T01-K1', publicKey }])
 * report.issues // [{ kind: 'deleted', index: 4, seq: 5, detail: { zh: '第 5 号被删除…', en: 'invoice 5 missing…' } }]
 */
export const verifyChain = /* #__PURE__ */ lazy<typeof Inspect, 'verifyChain'>(inspect, 'verifyChain');

/**
 * Verifies a receipt's QR code on its own: readable, signed, signature valid with the named key.
 *
 * @example
 * const { ok, qr } = await verifyInvoiceQr(scanned, [{ keyId: 'T01-K1', publicKey }])
 */
export const verifyInvoiceQr = /* #__PURE__ */ lazy<typeof Inspect, 'verifyInvoiceQr'>(inspect, 'verifyInvoiceQr');

/**
 * Reads a receipt's QR text (`YG1*{pharmacyCode}*{terminalId}*{seq}*{kind letter}*{issuedAt}*{totalFen}*{hash, base32}*{sig, base32}*{keyId}`,
 * docs/RECEIPT-FORMAT.md §5) into its fields; `InvoiceError` `INVOICE_UNREADABLE` for anything else.
 *
 * @example
 * const { seq, totalFen, hash } = await parseInvoiceQr(scanned)
 */
export const parseInvoiceQr = /* #__PURE__ */ lazy<typeof Inspect, 'parseInvoiceQr'>(inspect, 'parseInvoiceQr');

/**
 * The receipt QR text of a record, signed by `signer` (the terminal key it names) so that it verifies on its own;
 * unsigned without one. Ed25519 is deterministic: a reprint gives the same QR. Layout: docs/RECEIPT-FORMAT.md §5.
 *
 * @example
 * printer.qr(await invoiceQrText(record, signer))
 */
export const invoiceQrText = /* #__PURE__ */ lazy<typeof Till, 'invoiceQrText'>(till, 'invoiceQrText');

/**
 * The record hash: SHA-256 (hex) of the canonical JSON of the whole signed record, as `prevHash`, YG01 and YG02 name it
 * (docs/RECEIPT-FORMAT.md §3.1).
 *
 * @example
 * const hash = await invoiceHash(record)
 */
export const invoiceHash = /* #__PURE__ */ lazy<typeof Till, 'invoiceHash'>(till, 'invoiceHash');

/**
 * The text a receipt QR's signature covers: `YG1|{pharmacyCode}|{terminalId}|{seq}|{kind}|{issuedAt}|{totalFen}|{hash}`
 * (UTF-8), for verifiers written elsewhere. (A record's own signature covers the canonical JSON of its body.)
 *
 * @example
 * const text = await invoiceQrSigningText(await parseInvoiceQr(scanned))
 */
export const invoiceQrSigningText = /* #__PURE__ */ lazy<typeof Till, 'invoiceQrSigningText'>(till, 'invoiceQrSigningText');

/**
 * Writes a chain export (JSON Lines: a signed header, then one canonical record per line; docs/RECEIPT-FORMAT.md §6).
 *
 * @example
 * const text = await exportInvoiceChain({ pharmacyCode, terminalId, records, keys, exportedAt: Date.now(), signer })
 */
export const exportInvoiceChain = /* #__PURE__ */ lazy<typeof Till, 'exportInvoiceChain'>(till, 'exportInvoiceChain');

/**
 * Verifies a chain export: header and records. Index -1 is the header; a record's index is its line number - 2.
 *
 * @example
 * const report = await verifyInvoiceExport(text, registeredKeys)
 */
export const verifyInvoiceExport = /* #__PURE__ */ lazy<typeof Inspect, 'verifyInvoiceExport'>(inspect, 'verifyInvoiceExport');

/**
 * Makes a terminal key pair: wrapped (AES-GCM under a key derived from the device secret) to store, and a signer.
 *
 * @example
 * const { wrapped, signer } = await generateTerminalKey({ keyId: 'T01-K1', deviceSecret })
 */
export const generateTerminalKey = /* #__PURE__ */ lazy<typeof Till, 'generateTerminalKey'>(till, 'generateTerminalKey');

/**
 * Unwraps a stored terminal key into a signer; `INVOICE_KEY_UNAVAILABLE` for a wrong device secret.
 *
 * @example
 * const signer = await unwrapTerminalKey(wrapped, deviceSecret)
 */
export const unwrapTerminalKey = /* #__PURE__ */ lazy<typeof Till, 'unwrapTerminalKey'>(till, 'unwrapTerminalKey');

/**
 * Registers a terminal key with the platform (YG04), with the previous key's hand-over signature when rotating.
 *
 * @example
 * await registerTerminalKey(platform, { terminalId: 'T01', key: signer, begntime: Date.now() })
 */
export const registerTerminalKey = /* #__PURE__ */ lazy<typeof Till, 'registerTerminalKey'>(till, 'registerTerminalKey');

/**
 * Whether this runtime's WebCrypto does Ed25519 (the fast path); otherwise tweetnacl signs and verifies.
 *
 * @example
 * if (!(await webCryptoEd25519())) console.warn('invoice verification runs on tweetnacl here')
 */
export const webCryptoEd25519 = /* #__PURE__ */ lazy<typeof Till, 'webCryptoEd25519'>(till, 'webCryptoEd25519');

export { InvoiceError, type InvoiceErrorCode } from '../errors/areas.js';
export type { InvoiceBook, InvoiceBookOptions, InvoiceDraft, IssuedInvoice } from './sign.js';
export type { InvoiceChainHead, InvoiceUploadMark, InvoiceStores } from './records.js';
export type { GenerateTerminalKeyOptions, RegisterTerminalKeyOptions } from './keys.js';
export type { InvoiceQr } from './qr.js';
export type { QrFields } from './hash.js';
export type { Ed25519Backend } from './webcrypto.js';
export type { ExportInvoiceChainOptions } from './export.js';
export type { InvoiceExportReport } from './verify-export.js';
export type { ChainReport, InvoiceIssue, InvoiceIssueKind, InvoiceKey, InvoiceQrReport, InvoiceReport, InvoiceText, VerifyChainOptions } from './verify.js';
