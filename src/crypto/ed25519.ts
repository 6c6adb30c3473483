import { InputError } from '../errors/index.js';

/*
 * Ed25519 through tweetnacl, loaded on first use: a till that only verifies vouchers never downloads it, and
 * the browser bundle's first chunk stays small. (WebCrypto's own Ed25519, where present, is the fast path
 * that invoice verification adds.)
 */

type Nacl = typeof import('tweetnacl');
let naclPromise: Promise<Nacl> | undefined;
function nacl(): Promise<Nacl> {
  naclPromise ??= import('tweetnacl').then((module) => ((module as { default?: Nacl }).default ?? module) as Nacl);
  return naclPromise;
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

/** An Ed25519 key pair: a 32-byte public key and tweetnacl's 64-byte secret key (seed ‖ public key). */
export interface Ed25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Derives the Ed25519 key pair of a 32-byte seed (RFC 8032 private key).
 *
 * @example
 * const keys = await ed25519KeyPairFromSeed(seed) // seed: 32 random bytes kept in the device keystore
 */
export async function ed25519KeyPairFromSeed(seed: Uint8Array): Promise<Ed25519KeyPair> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new InputError('INVALID_INPUT', { message: 'An Ed25519 seed is 32 bytes', messageZh: 'Ed25519 私钥种子必须为 32 字节', field: 'seed' });
  }
  return (await nacl()).sign.keyPair.fromSeed(seed);
}

/**
 * A {@link Signer} over an Ed25519 key pair held in memory. For keys that must not leave a keystore,
 * implement `Signer` over the keystore instead.
 *
 * @example
 * const signer = createEd25519Signer('T01-K1', await ed25519KeyPairFromSeed(seed))
 * const sig = await signer.sign(new TextEncoder().encode('hello'))
 */
export function createEd25519Signer(keyId: string, keys: Ed25519KeyPair): Signer {
  const secretKey = keys.secretKey.slice();
  const publicKey = keys.publicKey.slice();
  return {
    keyId,
    algorithm: 'ED25519',
    publicKey,
    sign: async (message) => (await nacl()).sign.detached(message, secretKey),
  };
}

/**
 * The group equation of Ed25519 on another backend (the invoice verifier passes WebCrypto's): true when the
 * signature verifies. Only asked once the encodings passed RFC 8032's checks.
 */
export type Ed25519Equation = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => Promise<boolean>;

type Strict = typeof import('./ed25519-strict.js');
let strictPromise: Promise<Strict> | undefined;

/**
 * Verifies an Ed25519 signature as RFC 8032 §5.1.7 does: the one verify of yibao-guard (rule packs, invoices, HIS
 * tokens, request signatures). Refuses S ≥ L, an R or a public key that does not decode, and a public key of small
 * order, then checks the equation with tweetnacl, or with `equation` (a faster backend) when given. False, never a
 * throw, for a malformed key or signature.
 *
 * @example
 * await verifyEd25519(message, signature, signer.publicKey) // true
 */
export async function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array, equation?: Ed25519Equation): Promise<boolean> {
  try {
    strictPromise ??= import('./ed25519-strict.js');
    if (!(await strictPromise).ed25519Strict(signature, publicKey)) return false;
    if (equation) return (await equation(message, signature, publicKey)) === true;
    return (await nacl()).sign.detached.verify(message, signature, publicKey);
  } catch {
    return false;
  }
}
