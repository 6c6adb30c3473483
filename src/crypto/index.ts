/**
 * yibao-guard/crypto: base64url, SHA-256, Ed25519 signing (WebCrypto) and the one strict verify, RFC 8785
 * canonical JSON. tweetnacl is only in `yibao-guard/ed25519-fallback`, for runtimes whose WebCrypto lacks Ed25519.
 *
 * @packageDocumentation
 */
export { toBase64Url, fromBase64Url } from './base64url.js';
export {
  createEd25519Signer,
  ed25519KeyPairFromSeed,
  verifyEd25519,
  type Signer,
  type Ed25519KeyPair,
  type Ed25519Equation,
  type Ed25519Fallback,
} from './ed25519.js';
export { sha256, sha256Hex, toHex, randomBytes } from './digest.js';
export { canonicalJson } from '../canonical-json.js';
