/**
 * Takes WebCrypto's Ed25519 away (as on a runtime without it) for the duration of a test, so that the fallback
 * (tweetnacl) path is exercised: importKey refuses the Ed25519 algorithm, everything else (HKDF, AES-GCM, SHA-256)
 * stays. And the choices of Ed25519 the invoice verifier takes, by the backend names the tests use.
 */
import { vi } from 'vitest';
import { tweetnaclEd25519 } from '../../../src/crypto/ed25519-fallback.js';
import { resetWebCryptoProbe, webCryptoEd25519, type Ed25519Choice } from '../../../src/invoice/webcrypto.js';

/** tweetnacl alone, as the invoice verifier is told to use it. */
export const TWEETNACL: Ed25519Choice = { backend: 'fallback', ed25519Fallback: tweetnaclEd25519 };

/**
 * The verifier's choice for a backend name: `auto` (WebCrypto here, tweetnacl where it is missing), `webcrypto`,
 * `tweetnacl`.
 */
export function via(backend: 'auto' | 'webcrypto' | 'tweetnacl'): Ed25519Choice {
  if (backend === 'tweetnacl') return TWEETNACL;
  return backend === 'webcrypto' ? { backend } : { ed25519Fallback: tweetnaclEd25519 };
}

export async function withoutWebCryptoEd25519<T>(task: () => Promise<T>): Promise<T> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey.bind(subtle);
  const spy = vi.spyOn(subtle, 'importKey').mockImplementation(((
    format: never,
    data: never,
    algorithm: unknown,
    ...rest: never[]
  ) => {
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
