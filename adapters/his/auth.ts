import { fromBase64Url, InputError, randomBytes, toBase64Url, verifyEd25519, type Signer } from '../../src/index.js';
import { HisError, type HisAuthFailure } from './errors.js';

/*
 * CDS Hooks authenticates each call with a JWT the client signs. We take EdDSA (Ed25519) only, from issuers on an
 * allow-list, each with its own public keys (never a key named by the token itself: `jku` is not fetched), and
 * check the audience, the times against the injected clock, and that the token's jti was never seen before.
 */

/** An HIS allowed to call, with the Ed25519 public keys it signs with (32 bytes, or base64url). */
export interface HisIssuer {
  /** The token's `iss`. */
  readonly iss: string;
  readonly keys: readonly { readonly kid?: string; readonly publicKey: Uint8Array | string }[];
}

/** Options of {@link createJwtVerifier}. */
export interface HisAuthOptions {
  /** The service's own URL (its base, e.g. `https://clinic.example/his`): a token's `aud` must name it or one of its service URLs. */
  readonly audience: string | readonly string[];
  readonly issuers: readonly HisIssuer[];
  /** Clock skew tolerated on `exp`, `iat` and `nbf`. @default 30 */
  readonly clockSkewSeconds?: number;
  /** Longest `exp - iat` accepted (CDS Hooks asks for at most 5 minutes); bounds how long a jti is remembered. @default 300 */
  readonly maxLifetimeSeconds?: number;
  /** @default the service's clock */
  readonly clock?: { now(): number };
}

/** The claims of an accepted token. */
export interface HisJwtClaims {
  readonly iss: string;
  readonly sub?: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly [claim: string]: unknown;
}

/** Verifies the bearer token of one call; remembers every accepted jti until its token expires. */
export interface JwtVerifier {
  /** Resolves with the claims, or rejects with `HIS_UNAUTHORIZED` (its `reason` says why). `serviceUrl` is the path called, e.g. `/cds-services/yibao-presettle`. */
  verify(authorization: string | undefined, servicePath: string): Promise<HisJwtClaims>;
}

const FAILURE_TEXT: Readonly<Record<HisAuthFailure, { zh: string; en: string }>> = {
  missing: { zh: '缺少 Authorization: Bearer 令牌', en: 'No Authorization: Bearer token' },
  malformed: { zh: '令牌格式不正确', en: 'The token is not a well-formed JWT' },
  algorithm: { zh: '令牌签名算法须为 EdDSA（Ed25519）', en: 'The token must be signed with EdDSA (Ed25519)' },
  issuer: { zh: '令牌签发方不在允许名单中', en: 'The token issuer is not on the allow-list' },
  key: { zh: '签发方没有该密钥（kid）', en: 'The issuer has no key with this kid' },
  signature: { zh: '令牌签名校验失败', en: 'The token signature does not verify' },
  audience: { zh: '令牌的 aud 不是本服务', en: 'The token audience is not this service' },
  expired: { zh: '令牌已过期', en: 'The token has expired' },
  'not-yet-valid': { zh: '令牌签发时间晚于当前时间（请检查时钟）', en: 'The token is not valid yet (check the clock)' },
  lifetime: { zh: '令牌有效期过长（exp - iat 超过上限）', en: 'The token lives too long (exp - iat over the limit)' },
  replayed: { zh: '令牌已使用过（jti 重复），每次调用须使用新令牌', en: 'The token was used before (jti replayed); sign a new one per call' },
};

function refuse(reason: HisAuthFailure): HisError {
  const text = FAILURE_TEXT[reason];
  return new HisError('HIS_UNAUTHORIZED', { message: `Not authenticated: ${text.en}`, messageZh: `调用未通过认证：${text.zh}`, reason });
}

function keyBytes(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === 'string' ? fromBase64Url(key) : key;
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new InputError('INVALID_INPUT', { message: 'An issuer public key is 32 bytes (Ed25519)', messageZh: '签发方公钥须为 32 字节（Ed25519）', field: 'issuers.keys.publicKey' });
  }
  return bytes;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function jsonPart(part: string): Record<string, unknown> {
  try {
    const value = JSON.parse(decoder.decode(fromBase64Url(part))) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse('malformed');
    return value as Record<string, unknown>;
  } catch {
    throw refuse('malformed');
  }
}

/**
 * Creates the verifier of the calls' tokens.
 *
 * @example
 * const verifier = createJwtVerifier({ audience: 'https://clinic.example/his', issuers: [{ iss: 'https://his.example', keys: [{ kid: 'his-1', publicKey }] }] })
 * const claims = await verifier.verify(req.headers.authorization, '/cds-services/yibao-presettle')
 */
export function createJwtVerifier(options: HisAuthOptions): JwtVerifier {
  const clock = options.clock ?? { now: () => Date.now() };
  const skew = options.clockSkewSeconds ?? 30;
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  const audiences = (typeof options.audience === 'string' ? [options.audience] : [...options.audience]).map((a) => a.replace(/\/+$/, ''));
  const issuers = new Map(options.issuers.map((i) => [i.iss, i.keys.map((k) => ({ kid: k.kid, publicKey: keyBytes(k.publicKey) }))]));
  /** Accepted jti (per issuer) → until when it is remembered, in seconds; in order of arrival. */
  const seen = new Map<string, number>();

  return {
    async verify(authorization, servicePath) {
      const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\s*$/i.exec(authorization ?? '');
      if (!authorization) throw refuse('missing');
      if (!match) throw refuse('malformed');
      const [, h, p, s] = match as unknown as [string, string, string, string];
      const header = jsonPart(h);
      const claims = jsonPart(p);
      if (header['alg'] !== 'EdDSA' || (header['typ'] !== undefined && String(header['typ']).toUpperCase() !== 'JWT') || header['crit'] !== undefined) throw refuse('algorithm');
      const iss = claims['iss'];
      if (typeof iss !== 'string') throw refuse('malformed');
      const keys = issuers.get(iss);
      if (!keys) throw refuse('issuer');
      const kid = header['kid'];
      // A key registered without a kid is tried for any token of its issuer.
      const candidates = kid === undefined ? keys : keys.filter((k) => k.kid === undefined || k.kid === kid);
      if (candidates.length === 0) throw refuse('key');
      let signature: Uint8Array;
      try {
        signature = fromBase64Url(s);
      } catch {
        throw refuse('malformed');
      }
      const signed = encoder.encode(`${h}.${p}`);
      let valid = false;
      for (const key of candidates) if (!valid) valid = await verifyEd25519(signed, signature, key.publicKey);
      if (!valid) throw refuse('signature');

      // Only a genuine token gets this far: its claims are the issuer's.
      const { aud, exp, iat, jti, nbf } = claims;
      const audList = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
      if (!audList || typeof exp !== 'number' || typeof iat !== 'number' || typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw refuse('malformed');
      const path = servicePath.replace(/\/feedback$/, '');
      const ok = audList.some((a) => typeof a === 'string' && audiences.some((base) => a.replace(/\/+$/, '') === base || a === `${base}${path}`));
      if (!ok) throw refuse('audience');
      const now = clock.now() / 1000;
      if (exp <= now - skew) throw refuse('expired');
      if (iat > now + skew || (typeof nbf === 'number' && nbf > now + skew)) throw refuse('not-yet-valid');
      if (exp - iat > maxLifetime) throw refuse('lifetime');
      for (const [key, until] of seen) {
        if (until > now) break;
        seen.delete(key);
      }
      const key = `${iss}\u0000${jti}`;
      const until = seen.get(key);
      if (until !== undefined && until > now) throw refuse('replayed');
      seen.delete(key);
      seen.set(key, exp + skew);
      return claims as HisJwtClaims;
    },
  };
}

/** Options of {@link signHisJwt}. */
export interface SignHisJwtOptions {
  /** The HIS's Ed25519 signer; its `keyId` becomes the token's `kid`. */
  readonly signer: Signer;
  readonly iss: string;
  /** The service URL called (or its base). */
  readonly aud: string;
  readonly sub?: string;
  /** A new random id per call when left out. */
  readonly jti?: string;
  /** @default 300 */
  readonly lifetimeSeconds?: number;
  /** @default Date */
  readonly clock?: { now(): number };
}

/**
 * Signs the JWT for one call, as an HIS written in JavaScript (or a test) does: EdDSA, `iat` now, `exp` a few
 * minutes later, a fresh `jti`.
 *
 * @example
 * const token = await signHisJwt({ signer, iss: 'https://his.example', aud: 'https://clinic.example/his/cds-services/yibao-presettle' })
 * await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body })
 */
export async function signHisJwt(options: SignHisJwtOptions): Promise<string> {
  const now = Math.floor((options.clock?.now() ?? Date.now()) / 1000);
  const header = { alg: 'EdDSA', typ: 'JWT', kid: options.signer.keyId };
  const jti = options.jti ?? toBase64Url(randomBytes(16));
  const payload = { iss: options.iss, ...(options.sub ? { sub: options.sub } : {}), aud: options.aud, iat: now, exp: now + (options.lifetimeSeconds ?? 300), jti };
  const part = (value: unknown) => toBase64Url(encoder.encode(JSON.stringify(value)));
  const signingInput = `${part(header)}.${part(payload)}`;
  return `${signingInput}.${toBase64Url(await options.signer.sign(encoder.encode(signingInput)))}`;
}
