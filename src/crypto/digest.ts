/*
 * SHA-256 through WebCrypto, which every current browser and Node ≥ 20 provide as `globalThis.crypto`. Read
 * lazily, so importing the core never touches a global, and with a clear error where it is missing.
 */
import { YibaoGuardError } from '../errors/index.js';

interface WebCryptoLike {
  readonly subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> };
  getRandomValues<T extends Uint8Array>(array: T): T;
}

function webCrypto(): WebCryptoLike {
  const crypto = (globalThis as { crypto?: WebCryptoLike }).crypto;
  if (!crypto?.subtle) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message:
        'WebCrypto (globalThis.crypto.subtle) is not available: use a secure context (https or localhost) or Node ≥ 20',
      messageZh:
        '当前环境没有 WebCrypto（globalThis.crypto.subtle）：请在 https 或 localhost 页面、或 Node 20 以上运行',
    });
  }
  return crypto;
}

/**
 * SHA-256 of bytes, or of a string's UTF-8.
 *
 * @example
 * await sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await webCrypto().subtle.digest('SHA-256', bytes));
}

/** Lowercase hex SHA-256; see {@link sha256}. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await sha256(data));
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/**
 * `n` cryptographically random bytes from WebCrypto: the default randomness where none is injected.
 *
 * @example
 * randomBytes(16)
 */
export function randomBytes(n: number): Uint8Array {
  return webCrypto().getRandomValues(new Uint8Array(n));
}
