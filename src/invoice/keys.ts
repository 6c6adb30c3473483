/*
 * Terminal keys. A key pair is made at enrolment; its private half is kept only wrapped: AES-256-GCM under a key
 * derived with HKDF-SHA-256 from a device secret (a secret the device's keystore holds, ≥ 16 random bytes), with
 * the key id and public key as additional data so a wrapped key cannot be passed off as another. Where WebCrypto
 * does Ed25519 the key is unwrapped straight into a non-extractable CryptoKey (`unwrapKey`): its bytes never reach
 * JavaScript. Elsewhere it is decrypted, handed to the caller's Ed25519 fallback and the copies wiped.
 *
 * Registration (YG04) tells the platform the public key; a rotation's registration carries `handover_sig`, the
 * previous key's signature over `canonicalJson({ key_id, pubkey })`, as the simulator checks.
 */
import type { Ed25519Fallback, Signer } from '../crypto/index.js';
import type { PlatformClient } from '../platform/client.js';
import type { WrappedTerminalKey } from '../schemas/invoice.js';
import {
  pkcs8OfSeed,
  seedOfPkcs8,
  signerFromSeed,
  subtle,
  webCryptoEd25519,
  webCryptoSigner,
  type CryptoKeyLike,
} from './webcrypto.js';
import { InputError, InvoiceError } from '../errors/areas.js';
import { YibaoGuardError } from '../errors/base.js';
import { parseInput } from '../schemas/parse.js';
import { IdSchema } from '../schemas/primitives.js';
import { fromBase64Url, randomBytes, toBase64Url } from '../crypto/index.js';
import { WrappedTerminalKeySchema } from '../schemas/invoice.js';
import { canonicalJson } from '../canonical-json.js';

const INFO = new TextEncoder().encode('yibao-guard terminal key wrap v1');
const aad = (keyId: string, publicKey: string) =>
  new TextEncoder().encode(`yibao-guard terminal key|${keyId}|${publicKey}`);

async function wrappingKey(deviceSecret: Uint8Array, salt: Uint8Array): Promise<CryptoKeyLike> {
  if (!(deviceSecret instanceof Uint8Array) || deviceSecret.length < 16) {
    throw new InputError('INVALID_INPUT', {
      message: 'The device secret must be at least 16 random bytes (from the device keystore)',
      messageZh: '设备密钥至少须为 16 字节随机数（取自设备密钥库）',
      field: 'deviceSecret',
    });
  }
  const s = subtle();
  try {
    const base = await s.importKey('raw', deviceSecret, 'HKDF', false, ['deriveKey']);
    return await s.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt, info: INFO },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt', 'unwrapKey'],
    );
  } catch (cause) {
    throw new YibaoGuardError('ENVIRONMENT_UNSUPPORTED', {
      message: 'WebCrypto cannot derive the key-wrapping key (HKDF-SHA-256, AES-GCM) here',
      messageZh: '当前环境的 WebCrypto 无法派生密钥加密密钥（HKDF-SHA-256、AES-GCM）',
      cause,
    });
  }
}

/** Options of {@link generateTerminalKey}. */
export interface GenerateTerminalKeyOptions {
  /** The key's id, as registered with the platform (e.g. `T01-K1`). */
  readonly keyId: string;
  /** The secret that wraps the private key: ≥ 16 random bytes the device's keystore holds. */
  readonly deviceSecret: Uint8Array;
  /** Randomness for the key, salt and IV. @default WebCrypto's getRandomValues */
  readonly random?: (n: number) => Uint8Array;
  /** When the key is made (epoch ms). @default Date.now() */
  readonly now?: number;
  /** Ed25519 for a runtime whose WebCrypto has none (`tweetnaclEd25519` of `yibao-guard/ed25519-fallback`). */
  readonly ed25519Fallback?: Ed25519Fallback;
}

/**
 * Makes a terminal key pair (enrolment): returns it wrapped, to store, and as a signer, to use. The private key
 * exists in clear only inside this call.
 *
 * @example
 * const { wrapped, signer } = await generateTerminalKey({ keyId: 'T01-K1', deviceSecret })
 * await storage.write([{ op: 'put', store: 'invoiceKeys', key: wrapped.keyId, value: wrapped, expect: null }])
 */
export async function generateTerminalKey(
  options: GenerateTerminalKeyOptions,
): Promise<{ wrapped: WrappedTerminalKey; signer: Signer }> {
  parseInput(IdSchema, options.keyId, { en: 'Key id', zh: '密钥编号' });
  const random = options.random ?? randomBytes;
  const seed = random(32).slice();
  const salt = random(16).slice();
  const iv = random(12).slice();
  const pkcs8 = pkcs8OfSeed(seed);
  try {
    const signer = await signerFromSeed(options.keyId, seed, options.ed25519Fallback);
    const publicKey = toBase64Url(signer.publicKey);
    const key = await wrappingKey(options.deviceSecret, salt);
    const data = new Uint8Array(
      await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(options.keyId, publicKey) }, key, pkcs8),
    );
    const wrapped: WrappedTerminalKey = {
      v: 1,
      keyId: options.keyId,
      publicKey,
      alg: 'HKDF-SHA256/A256GCM',
      salt: toBase64Url(salt),
      iv: toBase64Url(iv),
      data: toBase64Url(data),
      createdAt: options.now ?? Date.now(),
    };
    return { wrapped, signer };
  } finally {
    seed.fill(0);
    pkcs8.fill(0);
  }
}

/**
 * Unwraps a stored terminal key into a signer. Throws `InvoiceError` `INVOICE_KEY_UNAVAILABLE` when the device
 * secret is not the one it was wrapped with or the record is damaged (AES-GCM authenticates both).
 *
 * @example
 * const signer = await unwrapTerminalKey((await storage.get('invoiceKeys', 'T01-K1'))!.value, deviceSecret)
 */
export async function unwrapTerminalKey(
  wrapped: WrappedTerminalKey,
  deviceSecret: Uint8Array,
  ed25519Fallback?: Ed25519Fallback,
): Promise<Signer> {
  const key = parseInput(WrappedTerminalKeySchema, wrapped, { en: 'Wrapped terminal key', zh: '加密存储的终端密钥' });
  const unavailable = (cause?: unknown) =>
    new InvoiceError('INVOICE_KEY_UNAVAILABLE', {
      message: `Terminal key ${key.keyId} cannot be unwrapped: wrong device secret, or the stored key is damaged`,
      messageZh: `终端密钥 ${key.keyId} 无法解密：设备密钥不符，或存储的密钥已损坏`,
      ...(cause === undefined ? {} : { cause }),
    });
  const wrapping = await wrappingKey(deviceSecret, fromBase64Url(key.salt));
  const params = { name: 'AES-GCM', iv: fromBase64Url(key.iv), additionalData: aad(key.keyId, key.publicKey) };
  const publicKey = fromBase64Url(key.publicKey);
  if (await webCryptoEd25519()) {
    try {
      const privateKey = await subtle().unwrapKey(
        'pkcs8',
        fromBase64Url(key.data),
        wrapping,
        params,
        { name: 'Ed25519' },
        false,
        ['sign'],
      );
      return webCryptoSigner(key.keyId, privateKey, publicKey);
    } catch (error) {
      throw unavailable(error);
    }
  }
  let pkcs8: Uint8Array;
  try {
    pkcs8 = new Uint8Array(await subtle().decrypt(params, wrapping, fromBase64Url(key.data)));
  } catch (error) {
    throw unavailable(error);
  }
  const seed = seedOfPkcs8(pkcs8);
  pkcs8.fill(0);
  if (!seed) throw unavailable();
  const signer = await signerFromSeed(key.keyId, seed, ed25519Fallback);
  seed.fill(0);
  if (toBase64Url(signer.publicKey) !== key.publicKey) throw unavailable();
  return signer;
}

/**
 * The text a rotating terminal's previous key signs for the platform (`handover_sig` of YG04): the canonical JSON
 * of `{ key_id, pubkey }`, UTF-8.
 *
 * @example
 * keyHandoverText('T01-K2', pubkey) // '{"key_id":"T01-K2","pubkey":"…"}'
 */
export function keyHandoverText(keyId: string, publicKey: string): string {
  return canonicalJson({ key_id: keyId, pubkey: publicKey });
}

/** Options of {@link registerTerminalKey}. */
export interface RegisterTerminalKeyOptions {
  /** The terminal id (as in the invoices). */
  readonly terminalId: string;
  /** The key to register: its id and public key. */
  readonly key: Pick<Signer, 'keyId' | 'publicKey'>;
  /** The key the platform has now, when rotating: it signs the hand-over. */
  readonly previous?: Signer;
  /** From when the key signs (epoch ms). */
  readonly begntime: number;
}

/**
 * Registers a terminal's public key with the platform (YG04), with the previous key's hand-over signature when
 * rotating. The platform client must sign its requests with the key the platform has now (`cainfo`); once this
 * resolves, with the new key.
 *
 * @example
 * await registerTerminalKey(platform, { terminalId: 'T01', key: newSigner, previous: oldSigner, begntime: Date.now() })
 */
export async function registerTerminalKey(
  platform: PlatformClient,
  options: RegisterTerminalKeyOptions,
): Promise<void> {
  const pubkey = toBase64Url(options.key.publicKey);
  let handover: string | undefined;
  if (options.previous) {
    try {
      handover = toBase64Url(
        await options.previous.sign(new TextEncoder().encode(keyHandoverText(options.key.keyId, pubkey))),
      );
    } catch (cause) {
      throw new InvoiceError('INVOICE_KEY_UNAVAILABLE', {
        message: `The registered key ${options.previous.keyId} cannot sign the hand-over to ${options.key.keyId}`,
        messageZh: `已登记的密钥 ${options.previous.keyId} 无法签署向 ${options.key.keyId} 的交接`,
        cause,
      });
    }
  }
  await platform.registerKey({
    data: {
      terminal_id: options.terminalId,
      key_id: options.key.keyId,
      pubkey,
      begntime: options.begntime,
      ...(handover === undefined ? {} : { handover_sig: handover }),
    },
  });
}
