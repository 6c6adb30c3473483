/*
 * What a till loads on its first invoice: issuing, keys, hashes, the receipt QR and the export writer. One lazily
 * loaded module (index.ts loads it), kept apart from inspect.ts so that a till never loads the verification code
 * and an inspector's tool never loads the book. The two share their common modules (hash, QR, WebCrypto) as
 * ordinary chunks; neither imports the other.
 */
export { openInvoiceBook } from './sign.js';
export { generateTerminalKey, unwrapTerminalKey, registerTerminalKey } from './keys.js';
export { invoiceHash, invoiceQrSigningText } from './hash.js';
export { invoiceQrText } from './qr.js';
export { exportInvoiceChain } from './export.js';
export { webCryptoEd25519 } from './webcrypto.js';
export { install } from './slot.js';
