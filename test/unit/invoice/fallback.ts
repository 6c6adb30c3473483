/**
 * Takes WebCrypto's Ed25519 away (as on a runtime without it) for the duration of a test, so that the tweetnacl
 * path is exercised: importKey refuses the Ed25519 algorithm, everything else (HKDF, AES-GCM, SHA-256) stays.
 */
import { vi } from 'vitest';
import { resetWebCryptoProbe, webCryptoEd25519 } from '../../../src/invoice/webcrypto.js';

export async function withoutWebCryptoEd25519<T>(task: () => Promise<T>): Promise<T> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey.bind(subtle);
  const spy = vi.spyOn(subtle, 'importKey').mockImplementation(((format: never, data: never, algorithm: unknown, ...rest: never[]) => {
    const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: string }).name;
    if (name === 'Ed25519') return Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
    return (original as (...args: unknown[]) => Promise<CryptoKey>)(format, data, algorithm, ...rest);
  }) as typeof subtle.importKey);
  resetWebCryptoProbe();
  try {
    if (await webCryptoEd25519()) throw new Error('WebCrypto Ed25519 still detected');
    return await task();
  } finally {
    spy.mockRestore();
    resetWebCryptoProbe();
  }
}
