import { InputError } from '../errors/index.js';

/*
 * base64url without padding (RFC 4648 §5), written out because the core has neither Buffer nor a typed
 * btoa: signatures and public keys travel in this form in envelopes, invoices and QR payloads.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Map([...ALPHABET].map((c, i) => [c, i]));

/**
 * Encodes bytes as base64url without padding.
 *
 * @example
 * toBase64Url(new Uint8Array([251, 255])) // '-_8'
 */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    if (i + 1 < bytes.length) out += ALPHABET.charAt((n >> 6) & 63);
    if (i + 2 < bytes.length) out += ALPHABET.charAt(n & 63);
  }
  return out;
}

/**
 * Decodes base64url without padding; throws `InputError` `INVALID_INPUT` for any other character or a
 * length no encoder produces.
 *
 * @example
 * fromBase64Url('-_8') // Uint8Array [251, 255]
 */
export function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw bad('has a length no base64url encoding produces');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let j = 0;
  for (const ch of text) {
    const v = LOOKUP.get(ch);
    if (v === undefined) throw bad('contains a character outside the base64url alphabet');
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes (a signature malleability door).
  if ((value & ((1 << bits) - 1)) !== 0) throw bad('has non-zero padding bits');
  return out;
}

function bad(what: string): InputError {
  return new InputError('INVALID_INPUT', {
    message: `base64url text ${what}`,
    messageZh: `base64url 文本格式不正确（${what}）`,
  });
}
