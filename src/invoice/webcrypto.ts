/*
 * WebCrypto for invoices: Ed25519 where `crypto.subtle` has it (Node ≥ 20, current Chromium, Firefox, Safari 17),
 * the caller's `Ed25519Fallback` where it does not, and the AES-GCM / HKDF that wrap the terminal key. `subtle()` and
 * the probe are
 * src/crypto/ed25519.ts's; `globalThis.crypto` is read when first needed, never at import.
 */
import type { Ed25519Equation, Ed25519Fallback, Signer } from '../crypto/index.js';
import { createEd25519Signer, ed25519KeyPairFromSeed, fromBase64Url, verifyEd25519 } from '../crypto/index.js';
import { ED25519, noEd25519, pkcs8OfSeed, subtle, webCryptoEd25519, type CryptoKeyLike } from '../crypto/ed25519.js';

export {
  subtle,
  webCryptoEd25519,
  resetWebCryptoProbe,
  pkcs8OfSeed,
  seedOfPkcs8,
  type CryptoKeyLike,
  type SubtleLike,
} from '../crypto/ed25519.js';

/**
 * Which implementation verifies: `'webcrypto'` (the runtime's, fast) or `'fallback'` (the `Ed25519Fallback` given,
 * e.g. tweetnacl: portable, and asked for by name to compare the two).
 */
export type Ed25519Backend = 'webcrypto' | 'fallback';

/** How a verifier chooses its Ed25519: the backend (`'auto'`: WebCrypto where it does Ed25519) and the fallback. */
export interface Ed25519Choice {
  /** @default 'auto' */
  readonly backend?: 'auto' | Ed25519Backend;
  /** Ed25519 in JavaScript for a runtime without WebCrypto's (`tweetnaclEd25519` of `yibao-guard/ed25519-fallback`). */
  readonly ed25519Fallback?: Ed25519Fallback;
}

/** Verifies Ed25519 signatures with one backend; public keys are base64url, imported once each. */
export interface Ed25519Verifier {
  /** `'webcrypto'`, or the fallback's name (e.g. `'tweetnacl'`). */
  readonly backend: string;
  verify(publicKey: string, signature: Uint8Array, message: Uint8Array): Promise<boolean>;
}

/**
 * A verifier on the fastest backend here (`auto`: WebCrypto when it does Ed25519, else the fallback), or on the
 * fallback when asked. `verify` is false, never a throw, for a malformed key or signature; `ENVIRONMENT_UNSUPPORTED`
 * when the backend chosen is not there.
 *
 * @example
 * const verifier = await ed25519Verifier()
 * await verifier.verify(publicKeyBase64Url, signature, message)
 */
export async function ed25519Verifier(choice: Ed25519Choice = {}): Promise<Ed25519Verifier> {
  const fallback = choice.ed25519Fallback;
  const fast = choice.backend !== 'fallback' && (await webCryptoEd25519());
  if (!fast && !fallback) throw noEd25519();
  /** The fallback's equation, for keys verified by it. */
  const slow: Ed25519Equation | undefined =
    fallback && (async (message, signature, publicKey) => fallback.verify(message, signature, publicKey));
  /** Per public key: its bytes and, on the fast path, WebCrypto's equation over the key imported once. */
  const keys = new Map<string, Promise<{ raw: Uint8Array; equation?: Ed25519Equation } | undefined>>();
  const key = (publicKey: string) => {
    let found = keys.get(publicKey);
    if (found === undefined) {
      found = (async () => {
        try {
          const raw = fromBase64Url(publicKey);
          if (raw.length !== 32) return undefined;
          if (!fast) return { raw };
          const imported = await subtle().importKey('raw', raw, ED25519, false, ['verify']);
          return {
            raw,
            equation: (message: Uint8Array, signature: Uint8Array) =>
              subtle().verify(ED25519, imported, signature, message),
          };
        } catch {
          return undefined;
        }
      })();
      keys.set(publicKey, found);
    }
    return found;
  };
  return {
    backend: fast ? 'webcrypto' : (fallback?.name ?? 'fallback'),
    async verify(publicKey, signature, message) {
      const k = await key(publicKey);
      const equation = k?.equation ?? slow;
      // The one verify of the core: RFC 8032's checks of S, R and the key first, then the equation on this backend.
      return k !== undefined && equation !== undefined && verifyEd25519(message, signature, k.raw, equation);
    },
  };
}

/**
 * A {@link Signer} over a WebCrypto Ed25519 private key (non-extractable: its bytes cannot be read back).
 *
 * @example
 * const signer = webCryptoSigner('T01-K1', privateKey, publicKey)
 */
export function webCryptoSigner(keyId: string, privateKey: CryptoKeyLike, publicKey: Uint8Array): Signer {
  const pub = publicKey.slice();
  return {
    keyId,
    algorithm: 'ED25519',
    publicKey: pub,
    sign: async (message) => new Uint8Array(await subtle().sign(ED25519, privateKey, message)),
  };
}

/**
 * A signer over a seed: WebCrypto (the seed imported non-extractable, then wiped) where it does Ed25519, the
 * fallback otherwise (`ENVIRONMENT_UNSUPPORTED` when there is none).
 *
 * @example
 * const signer = await signerFromSeed('T01-K1', seed)
 */
export async function signerFromSeed(keyId: string, seed: Uint8Array, fallback?: Ed25519Fallback): Promise<Signer> {
  if (await webCryptoEd25519()) {
    const pkcs8 = pkcs8OfSeed(seed);
    try {
      const s = subtle();
      // An extractable copy only to read the public key (jwk.x); the signer keeps a non-extractable one.
      const readable = await s.importKey('pkcs8', pkcs8, ED25519, true, ['sign']);
      const { x } = await s.exportKey('jwk', readable);
      const privateKey = await s.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
      if (typeof x === 'string') return webCryptoSigner(keyId, privateKey, fromBase64Url(x));
    } catch {
      // fall through to the fallback
    } finally {
      pkcs8.fill(0);
    }
  }
  const pair = await ed25519KeyPairFromSeed(seed, fallback);
  const signer = createEd25519Signer(keyId, pair, fallback);
  pair.secretKey.fill(0);
  return signer;
}
