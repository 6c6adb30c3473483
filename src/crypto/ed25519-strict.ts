/*
 * The checks of RFC 8032 §5.1.7 that a verifier may skip and still compute the group equation: S below the group
 * order L, and R and A decoding as points (§5.1.3: y < p, and no "negative" x = 0). Neither tweetnacl (no S < L, no
 * y < p) nor WebCrypto (OpenSSL: no y < p) does all of them, so `verifyEd25519` does them first and both backends give
 * the same answer for every input. It also refuses the eight public keys of small order: under them a signature
 * that anyone can make (R the neutral element, S = 0) verifies for one message in eight, on both backends.
 */

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const FF = 'ff'.repeat(30);
/** Little-endian: the group order L = 2^252 + 27742317777372353535851937790883648493; p = 2^255 − 19; 1; p − 1. */
const L = bytes(`edd3f55c1a631258d69cf7a2def9de14${'00'.repeat(15)}10`);
const P = bytes(`ed${FF}7f`);
const ONE = bytes(`01${'00'.repeat(31)}`);
const MINUS_ONE = bytes(`ec${FF}7f`);
/** The y of the points of order 1, 2, 4 and 8 (each with either sign of x). */
const SMALL_ORDER_Y = [
  new Uint8Array(32),
  ONE,
  MINUS_ONE,
  bytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  bytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
];

/** The 32 little-endian bytes at `offset` against `ref`: negative, 0 or positive. `top` masks the last byte. */
function compare(data: Uint8Array, offset: number, ref: Uint8Array, top = 0xff): number {
  for (let i = 31; i >= 0; i--) {
    const d = (data[offset + i] as number) & (i === 31 ? top : 0xff);
    if (d !== ref[i]) return d - (ref[i] as number);
  }
  return 0;
}

/** Whether the point encoding at `offset` has y = `ref` (the sign bit of x aside). */
const yIs = (data: Uint8Array, offset: number, ref: Uint8Array) => compare(data, offset, ref, 0x7f) === 0;

/** RFC 8032 §5.1.3 steps 1 and 4: y < p, and x = 0 (y = ±1) not encoded with its sign bit set. */
function decodes(data: Uint8Array, offset: number): boolean {
  if (compare(data, offset, P, 0x7f) >= 0) return false;
  return (data[offset + 31] as number) < 0x80 || !(yIs(data, offset, ONE) || yIs(data, offset, MINUS_ONE));
}

/**
 * True when a 64-byte signature and a 32-byte public key pass every check of RFC 8032 §5.1.7 short of the group
 * equation (the square root of step 3 of §5.1.3 is the backends', which fail on it), and the key is not of small order.
 *
 * @example
 * ed25519Strict(signature, publicKey) // false for S + L, a key with y ≥ p, or a small-order key
 */
export function ed25519Strict(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return (
    signature.length === 64 &&
    publicKey.length === 32 &&
    compare(signature, 32, L) < 0 &&
    decodes(signature, 0) &&
    decodes(publicKey, 0) &&
    !SMALL_ORDER_Y.some((y) => yIs(publicKey, 0, y))
  );
}
