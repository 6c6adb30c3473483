import * as z from 'zod/mini';
import { fenToYuanNumber, microsToPrice, priceToMicros, quantityToTenThousandths, yuanToFen } from '../money.js';
import { formatCstTime, parseCstTime } from './time.js';

/*
 * Codecs between the wire's units and ours. Decoding (parsing a response, or a request at the simulator)
 * turns yuan into 分 and CST text into epoch ms; encoding (building a request) turns them back. One schema
 * serves both directions, so a field's unit is written once.
 */

function issue(ctx: { issues: unknown[] }, message: string, input: unknown): never {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER as never;
}

/** An amount (16,2): a yuan number on the wire, integer 分 inside. */
export const YuanCodec = z.codec(z.union([z.number(), z.string()]), z.int(), {
  decode: (yuan, ctx) => {
    try {
      return yuanToFen(yuan);
    } catch {
      return issue(ctx, 'Expected a yuan amount with at most 2 decimals', yuan);
    }
  },
  encode: (fen) => fenToYuanNumber(fen),
});

/** A price (16,6): a yuan number on the wire, integer micro-yuan inside. */
export const PriceCodec = z.codec(z.union([z.number(), z.string()]), z.int(), {
  decode: (yuan, ctx) => {
    try {
      return priceToMicros(yuan);
    } catch {
      return issue(ctx, 'Expected a yuan price with at most 6 decimals', yuan);
    }
  },
  encode: (micros) => Number(microsToPrice(micros)),
});

/** A count (16,4): a number on the wire and inside, with at most four decimals. */
export const CountCodec = z.codec(z.union([z.number(), z.string()]), z.number(), {
  decode: (value, ctx) => {
    const n = typeof value === 'number' ? value : Number(value.trim() === '' ? NaN : value);
    try {
      if (n !== 0) quantityToTenThousandths(Math.abs(n));
      return n;
    } catch {
      return issue(ctx, 'Expected a count with at most 4 decimals', value);
    }
  },
  encode: (n) => n,
});

/** A time: `yyyy-MM-dd HH:mm:ss` (CST) on the wire, epoch ms inside. */
export const CstTimeCodec = z.codec(z.string(), z.int(), {
  decode: (text, ctx) => parseCstTime(text.trim()) ?? issue(ctx, 'Expected a time as yyyy-MM-dd HH:mm:ss', text),
  encode: (epochMs) => formatCstTime(epochMs),
});

/** A code or flag: the wire sends numbers for some codes; inside it is always a string. */
export const WireCodeCodec = z.codec(z.union([z.string(), z.number()]), z.string(), {
  decode: (value) => String(value).trim(),
  encode: (value) => value,
});
