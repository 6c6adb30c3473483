/*
 * WebCrypto for invoices: Ed25519 where `crypto.subtle` has it (Node ≥ 20, current Chromium, Firefox, Safari 17),
 * tweetnacl where it does not, and the AES-GCM / HKDF that wrap the terminal key. Only the few members we call are
 * declared here, since the core is compiled without the DOM library; `globalThis.crypto` is read when first
 * needed, never at import.
 */
import type { Ed25519Equation, Signer } from '../crypto/index.js';
import { core } from './slot.js';

export { install } from './slot.js';

/** A WebCrypto key, opaque to us. */
export interface CryptoKeyLike {
  readonly type: string;
}

type Algorithm = string | { readonly name: string; readonly [member: string]: unknown };

/** The members of `SubtleCrypto` that invoices use. */
export interface SubtleLike {
  importKey(format: 'raw' | 'pkcs8', data: Uint8Array, algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKeyLike>;
  exportKey(format: 'jwk', key: CryptoKeyLike): Promise<{ readonly x?: string }>;
  sign(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: Algorithm, key: CryptoKeyLike, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  deriveKey(algorithm: Algorithm, base: CryptoKeyLike, derived: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKeyLike>;
  encrypt(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  unwrapKey(format: 'pkcs8', wrapped: Uint8Array, key: CryptoKeyLike, algorithm: Algorithm, keyAlgorithm: Algorithm, extractable: boolean, usages: string[]): Promise<CryptoKeyLike>;
}

/**
 * `globalThis.crypto.subtle`, or `ENVIRONMENT_UNSUPPORTED` where there is none (an http:// page that is not
 * localhost, a very old runtime).
 */
export function subtle(): SubtleLike {
  const found = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  if (!found) {
    throw new core.YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: 'WebCrypto (globalThis.crypto.subtle) is not available: invoices need it; use a secure context (https or localhost) or Node ≥ 20',
      messageZh: '当前环境没有 WebCrypto（globalThis.crypto.subtle），无法处理票据：请在 https 或 localhost 页面、或 Node 20 以上运行',
    });
  }
  return found;
}

/** Which implementation verifies and signs: the runtime's WebCrypto (fast) or tweetnacl (portable). */
export type Ed25519Backend = 'webcrypto' | 'tweetnacl';

const ED25519 = { name: 'Ed25519' } as const;
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
/** RFC 8032 §7.1 test 1 (empty message): the probe that WebCrypto's Ed25519 works, and agrees with the RFC. */
const PROBE_KEY = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const PROBE_SIG = hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');

let probe: Promise<boolean> | undefined;

/**
 * Whether `crypto.subtle` does Ed25519 here, found out once (importing the RFC 8032 test key and verifying its
 * signature) and remembered.
 */
export function webCryptoEd25519(): Promise<boolean> {
  probe ??= (async () => {
    try {
      const s = subtle();
      const key = await s.importKey('raw', PROBE_KEY, ED25519, false, ['verify']);
      return (await s.verify(ED25519, key, PROBE_SIG, new Uint8Array(0))) === true;
    } catch {
      return false;
    }
  })();
  return probe;
}

/** Forgets what {@link webCryptoEd25519} found: for tests that take WebCrypto's Ed25519 away. */
export function resetWebCryptoProbe(): void {
  probe = undefined;
}

/** Verifies Ed25519 signatures with one backend; public keys are base64url, imported once each. */
export interface Ed25519Verifier {
  readonly backend: Ed25519Backend;
  verify(publicKey: string, signature: Uint8Array, message: Uint8Array): Promise<boolean>;
}

/**
 * A verifier on the fastest backend here (`auto`: WebCrypto when it does Ed25519), or on tweetnacl when asked.
 * `verify` is false, never a throw, for a malformed key or signature.
 *
 * @example
 * const verifier = await ed25519Verifier('auto')
 * await verifier.verify(publicKeyBase64Url, signature, message)
 */
export async function ed25519Verifier(backend: 'auto' | Ed25519Backend = 'auto'): Promise<Ed25519Verifier> {
  const fast = backend !== 'tweetnacl' && (await webCryptoEd25519());
  /** Per public key: its bytes and, on the fast path, WebCrypto's equation over the key imported once. */
  const keys = new Map<string, Promise<{ raw: Uint8Array; equation?: Ed25519Equation } | undefined>>();
  const key = (publicKey: string) => {
    let found = keys.get(publicKey);
    if (found === undefined) {
      found = (async () => {
        try {
          const raw = core.fromBase64Url(publicKey);
          if (raw.length !== 32) return undefined;
          if (!fast) return { raw };
          const imported = await subtle().importKey('raw', raw, ED25519, false, ['verify']);
          return { raw, equation: (message: Uint8Array, signature: Uint8Array) => subtle().verify(ED25519, imported, signature, message) };
        } catch {
          return undefined;
        }
      })();
      keys.set(publicKey, found);
    }
    return found;
  };
  return {
    backend: fast ? 'webcrypto' : 'tweetnacl',
    async verify(publicKey, signature, message) {
      const k = await key(publicKey);
      // The one verify of the core: RFC 8032's checks of S, R and the key first, then the equation on this backend.
      return k !== undefined && core.verifyEd25519(message, signature, k.raw, k.equation);
    },
  };
}

/** PKCS #8 wrapping of an Ed25519 seed (RFC 8410): the form WebCrypto imports private keys in. */
const PKCS8_PREFIX = hex('302e020100300506032b657004220420');

/** The PKCS #8 bytes of a 32-byte seed. */
export function pkcs8OfSeed(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(48);
  out.set(PKCS8_PREFIX);
  out.set(seed, 16);
  return out;
}

/** The seed inside PKCS #8 bytes made by {@link pkcs8OfSeed}, or undefined for anything else. */
export function seedOfPkcs8(pkcs8: Uint8Array): Uint8Array | undefined {
  if (pkcs8.length !== 48 || PKCS8_PREFIX.some((byte, i) => pkcs8[i] !== byte)) return undefined;
  return pkcs8.slice(16);
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
 * A signer over a seed: WebCrypto (the seed imported non-extractable, then wiped) where it does Ed25519,
 * tweetnacl otherwise. Also returns the public key.
 *
 * @example
 * const { signer } = await signerFromSeed('T01-K1', seed)
 */
export async function signerFromSeed(keyId: string, seed: Uint8Array): Promise<Signer> {
  if (await webCryptoEd25519()) {
    const pkcs8 = pkcs8OfSeed(seed);
    try {
      const s = subtle();
      // An extractable copy only to read the public key (jwk.x); the signer keeps a non-extractable one.
      const readable = await s.importKey('pkcs8', pkcs8, ED25519, true, ['sign']);
      const { x } = await s.exportKey('jwk', readable);
      const privateKey = await s.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
      if (typeof x === 'string') return webCryptoSigner(keyId, privateKey, core.fromBase64Url(x));
    } catch {
      // fall through to tweetnacl
    } finally {
      pkcs8.fill(0);
    }
  }
  const pair = await core.ed25519KeyPairFromSeed(seed);
  const signer = core.createEd25519Signer(keyId, pair);
  pair.secretKey.fill(0);
  return signer;
}
