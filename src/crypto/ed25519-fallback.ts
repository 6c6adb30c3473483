/**
 * yibao-guard/ed25519-fallback: Ed25519 in JavaScript (tweetnacl) for a runtime whose WebCrypto has no Ed25519.
 * Every current browser and Node ≥ 20 have it, so a till imports this only to run on an older one, and passes it as
 * `ed25519Fallback` (to `createTerminal`, the invoice book and verifier, `verifyEd25519`). It is used only where
 * WebCrypto's probe fails.
 *
 * @example
 * import { tweetnaclEd25519 } from 'yibao-guard/ed25519-fallback'
 * const terminal = await createTerminal({ ...options, ed25519Fallback: tweetnaclEd25519 })
 *
 * @packageDocumentation
 */
import nacl from 'tweetnacl';
import type { Ed25519Fallback } from './ed25519.js';

export type { Ed25519Fallback } from './ed25519.js';

/** tweetnacl's Ed25519 as a {@link Ed25519Fallback}. */
export const tweetnaclEd25519: Ed25519Fallback = {
  name: 'tweetnacl',
  keyPairFromSeed: (seed) => nacl.sign.keyPair.fromSeed(seed),
  sign: (message, secretKey) => nacl.sign.detached(message, secretKey),
  verify: (message, signature, publicKey) => nacl.sign.detached.verify(message, signature, publicKey),
};
