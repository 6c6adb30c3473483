import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHisJwt } from '../../adapters/his/index.js';
import { toBase64Url } from '../../src/crypto/index.js';
import { AUDIENCE, hisSigner, hookRequest, ISSUER, NOW, startClinic, visit, type Clinic } from './helpers.js';

let clinic: Clinic;
beforeAll(async () => {
  clinic = await startClinic();
});
afterAll(() => clinic.close());

const PATH = '/cds-services/yibao-order-sign';
const body = () => hookRequest('order-sign', visit());

async function expectRefused(token: string | null, reason: string) {
  const res = await clinic.post(PATH, body(), { token });
  expect(res.status, reason).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  expect(res.json.error).toMatchObject({ code: 'HIS_UNAUTHORIZED', reason });
  expect(res.json.error.messageZh).toMatch(/^调用未通过认证/);
  expect(res.json.cards).toBeUndefined();
}

const enc = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)));

describe('JWT authentication', () => {
  it('accepts a fresh EdDSA token from an allowed issuer, for the service URL or the base URL', async () => {
    expect((await clinic.post(PATH, body())).status).toBe(200);
    expect((await clinic.post(PATH, body(), { token: await clinic.token(PATH, { aud: AUDIENCE }) })).status).toBe(200);
  });

  it('refuses a call without a token, or with something that is not a JWT', async () => {
    await expectRefused(null, 'missing');
    await expectRefused('not-a-jwt', 'malformed');
  });

  it('refuses a token signed by another key', async () => {
    const impostor = await hisSigner('his-k1', 99);
    await expectRefused(await clinic.token(PATH, { signer: impostor }), 'signature');
    // A token whose payload was changed after signing.
    const [h, , s] = (await clinic.token(PATH)).split('.');
    const forged = enc({
      iss: ISSUER,
      aud: `${AUDIENCE}${PATH}`,
      iat: NOW / 1000,
      exp: NOW / 1000 + 60,
      jti: 'forged',
    });
    await expectRefused(`${h}.${forged}.${s}`, 'signature');
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await clinic.token(PATH, { aud: 'https://other.example/his' }), 'audience');
    await expectRefused(await clinic.token(PATH, { aud: `${AUDIENCE}/cds-services/yibao-presettle` }), 'audience');
  });

  it('refuses an expired token, one issued in the future, and one that lives too long, by the injected clock', async () => {
    const old = await clinic.token(PATH, { lifetimeSeconds: 60 });
    clinic.clock.set(NOW + 120_000);
    try {
      await expectRefused(old, 'expired');
    } finally {
      clinic.clock.set(NOW);
    }
    const future = await signHisJwt({
      signer: clinic.signer,
      iss: ISSUER,
      aud: `${AUDIENCE}${PATH}`,
      clock: { now: () => NOW + 600_000 },
    });
    await expectRefused(future, 'not-yet-valid');
    await expectRefused(await clinic.token(PATH, { lifetimeSeconds: 3600 }), 'lifetime');
  });

  it('refuses a replayed jti, and remembers it until the token expires', async () => {
    const token = await clinic.token(PATH, { jti: 'jti-replay-1' });
    expect((await clinic.post(PATH, body(), { token })).status).toBe(200);
    await expectRefused(token, 'replayed');
    // Another token with the same jti (a copy re-signed by the HIS) is a replay too.
    await expectRefused(await clinic.token(PATH, { jti: 'jti-replay-1' }), 'replayed');
  });

  it('refuses an issuer not on the allow-list, and a key id the issuer does not have', async () => {
    await expectRefused(await clinic.token(PATH, { iss: 'https://stranger.example' }), 'issuer');
    await expectRefused(await clinic.token(PATH, { signer: await hisSigner('his-k9', 1) }), 'key');
  });

  it('refuses alg none and other algorithms', async () => {
    const claims = { iss: ISSUER, aud: `${AUDIENCE}${PATH}`, iat: NOW / 1000, exp: NOW / 1000 + 60, jti: 'none-1' };
    await expectRefused(`${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.AAAA`, 'algorithm');
    await expectRefused(`${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}.AAAA`, 'algorithm');
  });

  it('authenticates feedback calls too', async () => {
    const res = await clinic.post(`${PATH}/feedback`, { feedback: [] }, { token: null });
    expect(res.status).toBe(401);
  });
});
