/**
 * The demo page's receipt QR image (examples/demo-terminal/src/receipt-qr.ts): the SVG the page shows, drawn to
 * pixels and read back by an independent decoder (jsQR), is exactly the receipt's QR text, in alphanumeric mode, at
 * error correction level M with the standard quiet zone. The e2e reads the same image as Chromium draws it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { receiptQrSvg } from '../../../examples/demo-terminal/src/receipt-qr.js';
import { decodeQrPixels, formatLevel, modulesToPixels, svgModules } from '../../fixtures/qr-image.js';

const pinned = JSON.parse(readFileSync(new URL('../../vectors/yibao-invoice-v1.json', import.meta.url), 'utf8')) as {
  records: readonly { qr: string }[];
};

/** The page's SVG for `text`, read back: the decoded QR, the level in its format bits, the module grid's side. */
function readBack(text: string) {
  const grid = svgModules(receiptQrSvg(text));
  const { rgba, width } = modulesToPixels(grid, 4);
  const decoded = decodeQrPixels(rgba, width, width);
  return { decoded, level: formatLevel(grid, 4), side: grid.length };
}

describe('the demo receipt QR image', () => {
  it('has receipt texts to read (the pinned vectors: signed, unsigned, catch-up)', () => {
    expect(pinned.records.length).toBeGreaterThanOrEqual(3);
    expect(pinned.records.some((r) => r.qr.split('*')[8] === '')).toBe(true); // one printed unsigned
  });

  for (const [i, { qr }] of pinned.records.entries()) {
    it(`reads back as the exact receipt text, alphanumeric, level M (vector ${i + 1}, ${qr.length} characters)`, () => {
      const { decoded, level, side } = readBack(qr);
      expect(decoded?.text).toBe(qr);
      expect(decoded?.modes).toEqual(['alphanumeric']);
      expect(level).toBe('M');
      // The smallest version at level M for the alphanumeric text, and a quiet zone of 4 modules each side.
      const capacityBits = [0, 128, 224, 352, 512, 688, 864, 992, 1232, 1456, 1728]; // data bits at M, versions 0–10
      const needed = 4 + 9 + Math.floor(qr.length / 2) * 11 + (qr.length % 2) * 6;
      expect(decoded?.version).toBe(capacityBits.findIndex((bits, v) => v > 0 && bits >= needed));
      expect(side).toBe(decoded!.version * 4 + 17 + 8);
    });
  }

  it('is version 8 for a typical signed receipt, as the receipt format is sized for', () => {
    const signed = pinned.records.find((r) => r.qr.length > 200)!;
    expect(readBack(signed.qr).decoded?.version).toBe(8);
  });

  it('falls back to byte mode, still exact, for ids outside the alphanumeric set', () => {
    const qr = pinned.records[0]!.qr.replace('*T01*', '*t01_a*');
    const { decoded, level } = readBack(qr);
    expect(decoded?.text).toBe(qr);
    expect(decoded?.modes).toEqual(['byte']);
    expect(level).toBe('M');
  });

  it('draws the dark modules black on a white background, nothing else', () => {
    const svg = receiptQrSvg(pinned.records[0]!.qr);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/<rect fill="white"[^>]*\/><path fill="black"/);
    expect(svg).not.toMatch(/<script|on\w+=/i);
  });
});
