// The demo HIS's signing key, shared by the two example scripts. A fixed seed so that the service knows the HIS's
// public key without a key exchange: for the demo only. A real HIS keeps its private key to itself and gives the
// service its public key (and issuer URL) once, out of band.
import { createEd25519Signer, ed25519KeyPairFromSeed } from '../../dist/crypto.js';

export const HIS_ISSUER = 'https://his.demo-clinic.example';
export const HIS_KEY_ID = 'demo-his-2026';

const DEMO_SEED = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 11) & 0xff);

export async function demoHisSigner() {
  return createEd25519Signer(HIS_KEY_ID, await ed25519KeyPairFromSeed(DEMO_SEED));
}
