import { InputError, YibaoGuardError } from '../errors/index.js';
import { fromBase64Url } from './base64url.js';
import { ed25519Strict } from './ed25519-strict.js';

/*
 * Ed25519 on the runtime's WebCrypto (every current browser, Node ≥ 20). Where WebCrypto has no Ed25519 the
 * caller passes a fallback implementation (`tweetnaclEd25519` of `yibao-guard/ed25519-fallback`): nothing here
 * imports one, so a till that does not need it does not carry it. Either way every verify passes RFC 8032's
 * strict checks first (ed25519-strict.ts), so both give the same answer.
 */

/**
 * An Ed25519 implementation in JavaScript, for a runtime whose WebCrypto has no Ed25519: `tweetnaclEd25519` of
 * `yibao-guard/ed25519-fallback`, or a vendor's own. Used only where the probe found WebCrypto wanting (or where a
 * caller asks for it by name, to compare).
 */
export interface Ed25519Fallback {
  /** Its name, as reports give it (`backend`). */
  readonly name: string;
  /** The key pair of a 32-byte seed: the public key and the 64-byte secret key (seed ‖ public key). */
  keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair;
  /** The 64-byte signature of `message` under a 64-byte secret key. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Whether the signature verifies (the group equation; RFC 8032's encoding checks are done before it is asked). */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

/** `ENVIRONMENT_UNSUPPORTED`: no Ed25519 in WebCrypto here and no fallback given. */
export function noEd25519(): YibaoGuardError {
  return new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
    message:
      "WebCrypto has no Ed25519 in this runtime: pass the ed25519Fallback option (tweetnaclEd25519 from 'yibao-guard/ed25519-fallback')",
    messageZh:
      '当前运行环境的 WebCrypto 不支持 Ed25519：请传入 ed25519Fallback 选项（yibao-guard/ed25519-fallback 中的 tweetnaclEd25519）',
  });
}

/** The fallback, or `ENVIRONMENT_UNSUPPORTED` when there is none. */
function required(fallback: Ed25519Fallback | undefined): Ed25519Fallback {
  if (!fallback) throw noEd25519();
  return fallback;
}

/** A WebCrypto key, opaque to us. */
export interface CryptoKeyLike {
  readonly type: string;
}

type Algorithm = string | { readonly name: string; readonly [member: string]: unknown };

/**
 * The members of `SubtleCrypto` that yibao-guard uses (declared here: the core is compiled without the DOM library).
 */
export interface SubtleLike {
  importKey(
    format: 'raw' | 'pkcs8',
    data: Uint8Array,
    algorithm: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyLike>;
  exportKey(format: 'jwk', key: CryptoKeyLike): Promise<{ readonly x?: string }>;
  sign(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  verify(algorithm: Algorithm, key: CryptoKeyLike, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  deriveKey(
    algorithm: Algorithm,
    base: CryptoKeyLike,
    derived: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyLike>;
  encrypt(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: Algorithm, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  unwrapKey(
    format: 'pkcs8',
    wrapped: Uint8Array,
    key: CryptoKeyLike,
    algorithm: Algorithm,
    keyAlgorithm: Algorithm,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyLike>;
}

/**
 * `globalThis.crypto.subtle`, or `ENVIRONMENT_UNSUPPORTED` where there is none (an http:// page that is not
 * localhost, a very old runtime). Read when needed, never at import.
 */
export function subtle(): SubtleLike {
  const found = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  if (!found) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message:
        'WebCrypto (globalThis.crypto.subtle) is not available: invoices need it; use a secure context (https or localhost) or Node ≥ 20',
      messageZh:
        '当前环境没有 WebCrypto（globalThis.crypto.subtle），无法处理票据：请在 https 或 localhost 页面、或 Node 20 以上运行',
    });
  }
  return found;
}

/** WebCrypto's name of the algorithm. */
export const ED25519 = { name: 'Ed25519' } as const;
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
/** RFC 8032 §7.1 test 1 (empty message): the probe that WebCrypto's Ed25519 works, and agrees with the RFC. */
const PROBE_KEY = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const PROBE_SIG = hex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

let probe: Promise<boolean> | undefined;

/**
 * Whether `crypto.subtle` does Ed25519 here, found out once (importing the RFC 8032 test key and verifying its
 * signature) and remembered.
 *
 * @example
 * if (!(await webCryptoEd25519())) console.warn('Ed25519 needs the fallback here')
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

/** The public key of a seed, by WebCrypto: the seed imported (extractable, this once) and its JWK `x` read. */
async function webCryptoPublicKey(seed: Uint8Array): Promise<Uint8Array | undefined> {
  const pkcs8 = pkcs8OfSeed(seed);
  try {
    const s = subtle();
    const { x } = await s.exportKey('jwk', await s.importKey('pkcs8', pkcs8, ED25519, true, ['sign']));
    return typeof x === 'string' ? fromBase64Url(x) : undefined;
  } catch {
    return undefined;
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * Signs bytes with a private key the caller never sees: a terminal key in a device keystore, a wrapped key,
 * an HSM. Injected wherever yibao-guard signs (envelopes, invoices), so tests and vendors choose the keys.
 */
export interface Signer {
  /** Id of the key, as registered with the platform (YG04). */
  readonly keyId: string;
  /** Algorithm, as written in `signtype`. */
  readonly algorithm: 'ED25519';
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The 64-byte signature of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** An Ed25519 key pair: a 32-byte public key and the 64-byte secret key (seed ‖ public key) of RFC 8032 libraries. */
export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Derives the Ed25519 key pair of a 32-byte seed (RFC 8032 private key), by WebCrypto, or by `fallback` where
 * WebCrypto has no Ed25519 (`ENVIRONMENT_UNSUPPORTED` when there is none).
 *
 * @example
 * const keys = await ed25519KeyPairFromSeed(seed) // seed: 32 random bytes kept in the device keystore
 */
export async function ed25519KeyPairFromSeed(seed: Uint8Array, fallback?: Ed25519Fallback): Promise<Ed25519KeyPair> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InputError('INVALID_INPUT', {
      message: 'An Ed25519 seed is 32 bytes',
      messageZh: 'Ed25519 私钥种子必须为 32 字节',
      field: 'seed',
    });
  }
  if (await webCryptoEd25519()) {
    const publicKey = await webCryptoPublicKey(seed);
    if (publicKey?.length === 32) {
      const secretKey = new Uint8Array(64);
      secretKey.set(seed);
      secretKey.set(publicKey, 32);
      return { publicKey, secretKey };
    }
  }
  return required(fallback).keyPairFromSeed(seed);
}

/**
 * A {@link Signer} over an Ed25519 key pair held in memory: WebCrypto signs, or `fallback` where WebCrypto has no
 * Ed25519. For keys that must not leave a keystore, implement `Signer` over the keystore instead.
 *
 * @example
 * const signer = createEd25519Signer('T01-K1', await ed25519KeyPairFromSeed(seed))
 * const sig = await signer.sign(new TextEncoder().encode('hello'))
 */
export function createEd25519Signer(keyId: string, keys: Ed25519KeyPair, fallback?: Ed25519Fallback): Signer {
  const secretKey = keys.secretKey.slice();
  const publicKey = keys.publicKey.slice();
  /** The WebCrypto key of the seed (non-extractable), imported on the first signature; undefined on the fallback. */
  let imported: Promise<CryptoKeyLike | undefined> | undefined;
  const webCryptoKey = () =>
    (imported ??= (async () => {
      if (!(await webCryptoEd25519())) return undefined;
      const pkcs8 = pkcs8OfSeed(secretKey.subarray(0, 32));
      try {
        return await subtle().importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
      } catch {
        return undefined;
      } finally {
        pkcs8.fill(0);
      }
    })());
  return {
    keyId,
    algorithm: 'ED25519',
    publicKey,
    sign: async (message) => {
      const key = await webCryptoKey();
      if (key !== undefined) return new Uint8Array(await subtle().sign(ED25519, key, message));
      return required(fallback).sign(message, secretKey);
    },
  };
}

/**
 * The group equation of Ed25519 on another backend (the invoice verifier passes WebCrypto's): true when the
 * signature verifies. Only asked once the encodings passed RFC 8032's checks.
 */
export type Ed25519Equation = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => Promise<boolean>;

/**
 * Verifies an Ed25519 signature as RFC 8032 §5.1.7 does: the one verify of yibao-guard (rule packs, invoices, HIS
 * tokens, request signatures). Refuses S ≥ L, an R or a public key that does not decode, and a public key of small
 * order, then checks the equation with `equation` when it is a function (the invoice verifier passes one over a key
 * it imported once), else with WebCrypto, or with the fallback `equation` is where WebCrypto has no Ed25519.
 * False, never a throw, for a malformed key or signature; `ENVIRONMENT_UNSUPPORTED` when this runtime cannot
 * verify at all (no WebCrypto Ed25519, no fallback), so that a valid signature is never taken for a forged one.
 *
 * @example
 * await verifyEd25519(message, signature, signer.publicKey) // true
 */
export async function verifyEd25519(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  equation?: Ed25519Equation | Ed25519Fallback,
): Promise<boolean> {
  const fast = typeof equation === 'function' || (await webCryptoEd25519());
  if (!fast && equation === undefined) throw noEd25519();
  try {
    if (!ed25519Strict(signature, publicKey)) return false;
    if (typeof equation === 'function') return (await equation(message, signature, publicKey)) === true;
    if (fast) {
      const s = subtle();
      return (
        (await s.verify(
          ED25519,
          await s.importKey('raw', publicKey, ED25519, false, ['verify']),
          signature,
          message,
        )) === true
      );
    }
    return required(equation).verify(message, signature, publicKey) === true;
  } catch {
    return false;
  }
}
