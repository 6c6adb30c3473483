/**
 * The JWS algorithms HIS vendors sign CDS Hooks calls with, verified by jose: EdDSA (Ed25519), ES256, ES384 and
 * RS384, from keys given as a JWK Set per issuer (besides the raw Ed25519 keys of auth.test.ts). The keys are made
 * here by jose's generateKeyPair and the tokens signed by jose's SignJWT, as an HIS in JavaScript would; each
 * refusal is asserted by the service's own code and reason.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import {
  createJwtVerifier,
  HIS_JWT_ALGORITHMS,
  type HisAuthOptions,
  type HisJwtAlgorithm,
  type JwtVerifier,
} from '../../adapters/his/index.js';
import { isYibaoGuardError } from '../../src/index.js';
import { fromBase64Url, toBase64Url } from '../../src/crypto/index.js';
import { AUDIENCE, hookRequest, ISSUER_B, NOW, startClinic, visit } from './helpers.js';

const PATH = '/cds-services/yibao-order-sign';
const ISS = 'https://emr.vendor.example';
const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS384'] as const satisfies readonly HisJwtAlgorithm[];

interface Pair {
  readonly alg: HisJwtAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function pairOf(alg: HisJwtAlgorithm, kid = `emr-${alg.toLowerCase()}`): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid } };
}

const pairs = {} as Record<HisJwtAlgorithm, Pair>;
beforeAll(async () => {
  for (const alg of ALGORITHMS) pairs[alg] = await pairOf(alg);
});

let clock = NOW;
const at = { now: () => clock };
const nowS = () => Math.floor(clock / 1000);

function verifierOf(options: Partial<HisAuthOptions> = {}): JwtVerifier {
  return createJwtVerifier({
    audience: AUDIENCE,
    clock: at,
    issuers: [{ iss: ISS, jwks: { keys: ALGORITHMS.map((a) => pairs[a].jwk) } }],
    ...options,
  });
}

let jtis = 0;
/** A token as an HIS signs one with jose: for the service called, 60 s of life, a fresh jti; `claims` override. */
function tokenOf(
  pair: Pair,
  o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; lifetime?: number; aud?: string } = {},
) {
  const payload = {
    iss: ISS,
    aud: o.aud ?? `${AUDIENCE}${PATH}`,
    iat: nowS(),
    exp: nowS() + (o.lifetime ?? 60),
    jti: `jti-${++jtis}`,
    ...o.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: pair.alg, typ: 'JWT', kid: pair.kid, ...o.header })
    .sign(pair.privateKey);
}

async function refusal(verifier: JwtVerifier, token: string) {
  const error = await verifier.verify(`Bearer ${token}`, PATH).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isYibaoGuardError(error, 'HIS_UNAUTHORIZED'), String(error)).toBe(true);
  const { reason, messageZh } = error as { reason: string; messageZh: string };
  expect(messageZh).toMatch(/^调用未通过认证：/);
  return reason;
}

/** A signature with one bit flipped. */
function tampered(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const sig = fromBase64Url(s);
  sig[sig.length >> 1]! ^= 0x01;
  return `${h}.${p}.${toBase64Url(sig)}`;
}

describe.each(ALGORITHMS)('%s from a JWK Set', (alg) => {
  it('is accepted, for the service URL or the base URL, and its claims come back', async () => {
    const verifier = verifierOf();
    await expect(
      verifier.verify(`Bearer ${await tokenOf(pairs[alg], { claims: { sub: 'Practitioner/D001' } })}`, PATH),
    ).resolves.toMatchObject({
      iss: ISS,
      sub: 'Practitioner/D001',
    });
    await expect(
      verifier.verify(`Bearer ${await tokenOf(pairs[alg], { aud: AUDIENCE })}`, PATH),
    ).resolves.toMatchObject({ aud: AUDIENCE });
  });

  it('is refused when tampered with, signed by another key under the same kid, or replayed', async () => {
    const verifier = verifierOf();
    expect(await refusal(verifier, tampered(await tokenOf(pairs[alg])))).toBe('signature');
    const [h, , s] = (await tokenOf(pairs[alg])).split('.');
    const payload = toBase64Url(
      new TextEncoder().encode(
        JSON.stringify({ iss: ISS, aud: `${AUDIENCE}${PATH}`, iat: nowS(), exp: nowS() + 60, jti: 'forged' }),
      ),
    );
    expect(await refusal(verifier, `${h}.${payload}.${s}`)).toBe('signature');
    const impostor = await pairOf(alg, pairs[alg].kid);
    expect(await refusal(verifier, await tokenOf(impostor))).toBe('signature');
    const token = await tokenOf(pairs[alg]);
    await verifier.verify(`Bearer ${token}`, PATH);
    expect(await refusal(verifier, token)).toBe('replayed');
  });

  it('is refused when expired, not valid yet, too long-lived, or for another audience, by the injected clock', async () => {
    const verifier = verifierOf();
    const old = await tokenOf(pairs[alg]);
    clock = NOW + 120_000;
    try {
      expect(await refusal(verifier, old)).toBe('expired');
    } finally {
      clock = NOW;
    }
    // Within the 30 s leeway an expired token still passes; past it, not.
    clock = NOW + 85_000;
    try {
      await expect(
        verifier.verify(
          `Bearer ${await tokenOf(pairs[alg], { claims: { iat: NOW / 1000, exp: NOW / 1000 + 60 } })}`,
          PATH,
        ),
      ).resolves.toBeTruthy();
    } finally {
      clock = NOW;
    }
    expect(await refusal(verifier, await tokenOf(pairs[alg], { claims: { nbf: nowS() + 120 } }))).toBe('not-yet-valid');
    expect(await refusal(verifier, await tokenOf(pairs[alg], { claims: { iat: nowS() + 120 }, lifetime: 200 }))).toBe(
      'not-yet-valid',
    );
    expect(await refusal(verifier, await tokenOf(pairs[alg], { lifetime: 3600 }))).toBe('lifetime');
    expect(await refusal(verifier, await tokenOf(pairs[alg], { aud: 'https://other.example/his' }))).toBe('audience');
    expect(
      await refusal(verifier, await tokenOf(pairs[alg], { aud: `${AUDIENCE}/cds-services/yibao-presettle` })),
    ).toBe('audience');
  });

  it('is refused for a kid the issuer does not have, and under a key of another algorithm', async () => {
    const verifier = verifierOf();
    expect(await refusal(verifier, await tokenOf(pairs[alg], { header: { kid: 'emr-unknown' } }))).toBe('key');
    // The kid of another algorithm's key: that key cannot verify this algorithm, so the issuer has no key for it.
    const other = ALGORITHMS.find((a) => a !== alg)!;
    expect(await refusal(verifier, await tokenOf(pairs[alg], { header: { kid: pairs[other].kid } }))).toBe('key');
  });

  it('is refused when the verifier does not take the algorithm', async () => {
    const others = ALGORITHMS.filter((a) => a !== alg);
    const verifier = verifierOf({ algorithms: others });
    expect(await refusal(verifier, await tokenOf(pairs[alg]))).toBe('algorithm');
  });
});

describe('what no algorithm gets past', () => {
  const claims = () => ({ iss: ISS, aud: `${AUDIENCE}${PATH}`, iat: nowS(), exp: nowS() + 60, jti: `none-${++jtis}` });

  it('alg none: an unsecured JWT, with or without something in its signature part', async () => {
    const verifier = verifierOf();
    const unsecured = new UnsecuredJWT(claims()).encode();
    expect(unsecured.endsWith('.')).toBe(true);
    expect(await refusal(verifier, unsecured)).toBe('malformed');
    expect(await refusal(verifier, `${unsecured}AAAA`)).toBe('algorithm');
  });

  it('HS384 with the RSA public key as its secret (the algorithm confusion attack), and other algorithms jose knows', async () => {
    const verifier = verifierOf();
    const secret = new TextEncoder().encode(JSON.stringify(pairs.RS384.jwk));
    const confused = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS384', kid: pairs.RS384.kid })
      .sign(secret);
    expect(await refusal(verifier, confused)).toBe('algorithm');
    const { privateKey } = await generateKeyPair('PS384');
    expect(
      await refusal(
        verifier,
        await new SignJWT(claims()).setProtectedHeader({ alg: 'PS384', kid: pairs.RS384.kid }).sign(privateKey),
      ),
    ).toBe('algorithm');
    const es512 = await generateKeyPair('ES512');
    expect(
      await refusal(verifier, await new SignJWT(claims()).setProtectedHeader({ alg: 'ES512' }).sign(es512.privateKey)),
    ).toBe('algorithm');
  });

  it('a header with crit, or a typ other than JWT', async () => {
    const verifier = verifierOf();
    expect(await refusal(verifier, await tokenOf(pairs.ES256, { header: { crit: ['b64'], b64: true } }))).toBe(
      'algorithm',
    );
    expect(await refusal(verifier, await tokenOf(pairs.ES256, { header: { typ: 'at+jwt' } }))).toBe('algorithm');
  });

  it('a token without jti, exp or iat, or with an exp that is not a number', async () => {
    const verifier = verifierOf();
    const bare = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: pairs.ES256.kid }).sign(pairs.ES256.privateKey);
    const { jti: _jti, ...noJti } = claims();
    const { exp: _exp, ...noExp } = claims();
    const { iat: _iat, ...noIat } = claims();
    expect(await refusal(verifier, await bare(noJti))).toBe('malformed');
    expect(await refusal(verifier, await bare(noExp))).toBe('malformed');
    expect(await refusal(verifier, await bare(noIat))).toBe('malformed');
    expect(await refusal(verifier, await bare({ ...claims(), exp: String(nowS() + 60) }))).toBe('malformed');
  });

  it('names the algorithms it takes in its refusal, in both languages', async () => {
    const error = (await verifierOf({ algorithms: ['ES256', 'RS384'] })
      .verify(`Bearer ${await tokenOf(pairs.EdDSA)}`, PATH)
      .catch((e: unknown) => e)) as { message: string; messageZh: string };
    expect(error.message).toBe('Not authenticated: The token must be signed with ES256 or RS384');
    expect(error.messageZh).toBe('调用未通过认证：令牌签名算法须为 ES256、RS384 之一');
    const all = (await verifierOf()
      .verify(`Bearer ${new UnsecuredJWT(claims()).encode()}AAAA`, PATH)
      .catch((e: unknown) => e)) as { message: string; messageZh: string };
    expect(all.message).toBe('Not authenticated: The token must be signed with EdDSA (Ed25519), ES256, ES384 or RS384');
    expect(all.messageZh).toBe('调用未通过认证：令牌签名算法须为 EdDSA（Ed25519）、ES256、ES384、RS384 之一');
    expect(HIS_JWT_ALGORITHMS).toEqual(ALGORITHMS);
  });
});

describe('key selection', () => {
  it('a JWK without a kid is tried for any token of its issuer; a JWK whose alg or use say otherwise is not', async () => {
    const { kid: _kid, ...anonymous } = pairs.ES384.jwk;
    const verifier = verifierOf({ issuers: [{ iss: ISS, jwks: { keys: [anonymous] } }] });
    await expect(
      verifier.verify(`Bearer ${await tokenOf(pairs.ES384, { header: { kid: 'whatever' } })}`, PATH),
    ).resolves.toBeTruthy();
    const restricted = verifierOf({
      issuers: [
        {
          iss: ISS,
          jwks: {
            keys: [
              { ...pairs.RS384.jwk, alg: 'RS256' },
              { ...pairs.ES256.jwk, use: 'enc' },
            ],
          },
        },
      ],
    });
    expect(await refusal(restricted, await tokenOf(pairs.RS384))).toBe('key');
    expect(await refusal(restricted, await tokenOf(pairs.ES256))).toBe('key');
  });

  it('several keys under one kid (a key rotation): each is tried', async () => {
    const next = await pairOf('ES256', pairs.ES256.kid);
    const verifier = verifierOf({ issuers: [{ iss: ISS, jwks: { keys: [pairs.ES256.jwk, next.jwk] } }] });
    await expect(verifier.verify(`Bearer ${await tokenOf(pairs.ES256)}`, PATH)).resolves.toBeTruthy();
    await expect(verifier.verify(`Bearer ${await tokenOf(next)}`, PATH)).resolves.toBeTruthy();
  });

  it('raw Ed25519 keys and a JWK Set together, for one issuer', async () => {
    const ed = await pairOf('EdDSA', 'emr-raw');
    const verifier = verifierOf({
      issuers: [{ iss: ISS, keys: [{ kid: ed.kid, publicKey: ed.jwk.x! }], jwks: { keys: [pairs.RS384.jwk] } }],
    });
    await expect(verifier.verify(`Bearer ${await tokenOf(ed)}`, PATH)).resolves.toBeTruthy();
    await expect(verifier.verify(`Bearer ${await tokenOf(pairs.RS384)}`, PATH)).resolves.toBeTruthy();
  });
});

describe('the keys an issuer is given are checked when the verifier is made', () => {
  const make = (jwks: unknown) => () => verifierOf({ issuers: [{ iss: ISS, jwks: jwks as { keys: JWK[] } }] });
  const invalid = (field: string) => expect.objectContaining({ code: 'INVALID_INPUT', field });

  it('refuses a private or secret key in the JWK Set', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    expect(make({ keys: [await exportJWK(privateKey)] })).toThrow(invalid('issuers.jwks'));
    expect(make({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toThrow(invalid('issuers.jwks'));
  });

  it('refuses an RSA key under 2048 bits, and something that is not a JWK Set', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(make({ keys: [small] })).toThrow(invalid('issuers.jwks.keys.n'));
    expect(make({ keys: [pairs.RS384.jwk] })).not.toThrow();
    expect(make([pairs.ES256.jwk])).toThrow(invalid('issuers.jwks'));
    expect(make({ keys: 'none' })).toThrow(invalid('issuers.jwks'));
  });

  it('refuses an algorithm it does not verify', () => {
    expect(() => verifierOf({ algorithms: ['HS256' as HisJwtAlgorithm] })).toThrow(invalid('algorithms'));
    expect(() => verifierOf({ algorithms: [] })).toThrow(invalid('algorithms'));
  });
});

describe('over HTTP', () => {
  let clinic: Awaited<ReturnType<typeof startClinic>>;
  beforeAll(async () => {
    clinic = await startClinic({ issuers: [{ iss: ISSUER_B, jwks: { keys: [pairs.ES256.jwk, pairs.RS384.jwk] } }] });
  });
  afterAll(() => clinic.close());

  it.each(['ES256', 'RS384'] as const)(
    'an HIS signing with %s gets cards, and a tampered token is 401',
    async (alg) => {
      const sign = () =>
        new SignJWT({ jti: `http-${alg}-${++jtis}` })
          .setProtectedHeader({ alg, typ: 'JWT', kid: pairs[alg].kid })
          .setIssuer(ISSUER_B)
          .setAudience(`${AUDIENCE}${PATH}`)
          .setIssuedAt(nowS())
          .setExpirationTime(nowS() + 60)
          .sign(pairs[alg].privateKey);
      const ok = await clinic.post(PATH, hookRequest('order-sign', visit()), { token: await sign() });
      expect(ok.status).toBe(200);
      expect(ok.json.cards.length).toBeGreaterThan(0);
      const refused = await clinic.post(PATH, hookRequest('order-sign', visit()), { token: tampered(await sign()) });
      expect(refused.status).toBe(401);
      expect(refused.json.error).toMatchObject({ code: 'HIS_UNAUTHORIZED', reason: 'signature' });
    },
  );
});

describe('jose, where it belongs', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const sources = ['src', 'adapters'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.[cm]?[jt]s$/.test(file))
      .map((file) => join(dir, file)),
  );

  it('is a dependency of the package (dist/his.js imports it), imported only by the Node-only adapters/his', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies.jose).toMatch(/^\^6\./);
    const importers = sources.filter((file) =>
      /from ['"]jose['"]|import\(['"]jose['"]\)/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(importers).toEqual(['adapters/his/auth.ts']);
  });
});
