export { toBase64Url, fromBase64Url } from './base64url.js';
export { createEd25519Signer, ed25519KeyPairFromSeed, verifyEd25519, type Signer, type Ed25519KeyPair, type Ed25519Equation, type Ed25519Fallback } from './ed25519.js';
export { sha256, sha256Hex, toHex, randomBytes } from './digest.js';
