/*
 * The receipt's QR image on the demo page, drawn by uqr (ISO/IEC 18004, a port of Project Nayuki's generator).
 *
 * The text is the receipt's QR text from the SDK (src/invoice/qr.ts), unchanged: base32 and `*` keep it inside
 * the QR alphanumeric set, and uqr encodes such text in alphanumeric mode (5.5 bits a character), else UTF-8 bytes.
 * Error correction level M, not boosted: the level the receipt format is sized for (version 8 for a typical
 * receipt), readable on a 58 mm receipt printer. Four modules of quiet zone, as the standard asks.
 */
import { renderSVG, type QrCodeGenerateOptions } from 'uqr';

/** How the receipt's QR is encoded: level M exactly, the standard's 4-module quiet zone. */
export const RECEIPT_QR_OPTIONS = { ecc: 'M', boostEcc: false, border: 4 } as const satisfies QrCodeGenerateOptions;

/**
 * The receipt's QR as an SVG string, black on white, one unit a module (quiet zone included); the page's
 * stylesheet gives it its printed size.
 */
export function receiptQrSvg(text: string): string {
  return renderSVG(text, { ...RECEIPT_QR_OPTIONS, pixelSize: 1 });
}
