/*
 * What an inspector's tool (or the CLI, or a till checking a receipt) loads: verification of records, chains,
 * exports and receipt QR codes, with the report texts. One lazily loaded module (index.ts loads it), apart from
 * till.ts.
 */
export { verifyInvoice, verifyChain, verifyInvoiceQr } from './verify.js';
export { verifyInvoiceExport } from './verify-export.js';
export { parseInvoiceQr } from './qr.js';
export { install } from './slot.js';
