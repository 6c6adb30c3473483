import {
  createMemoryStorage,
  fromBase64Url,
  InputError,
  isYibaoGuardError,
  maskPersonalData,
  randomBytes,
  sha256Hex,
  TERMINAL_NAMES,
  toBase64Url,
  verifyEd25519,
  type Signer,
  type Storage,
  type TerminalLayout,
} from '../../src/index.js';
import { HisError, type HisAuthFailure } from './errors.js';
import { dropExpired, expiryOps, untilOf } from './retention.js';

/*
 * CDS Hooks authenticates each call with a JWT the client signs. We take EdDSA (Ed25519) only, from issuers on an
 * allow-list, each with its own public keys (never a key named by the token itself: `jku` is not fetched), and
 * check the audience, the times against the injected clock, and that the token's jti was never seen before: seen jtis
 * are kept in the storage (`hisJtis`) until their token expires, so a token used on one instance of the service is
 * refused by every other instance over the same storage, and after a restart.
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
  /**
   * Where the jtis seen are kept (`hisJtis`, `hisExpiry`): the service's storage, so that every instance over it
   * refuses a replayed token. `createHisHandler` passes its service's storage. @default a new memory storage
   */
  readonly storage?: Storage<TerminalLayout>;
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

/**
 * Who called, as the token proves it: the issuer and its `sub` and `client_id` claims. Cards are bound to it, and it
 * is the operator the audit trail names for feedback.
 */
export interface HisCaller {
  /** Stable key of the identity (a hash of iss, sub and client_id): cards name their holders by it. */
  readonly key: string;
  /**
   * The identity as an audit operator id: the issuer's host, a short hash of the whole `iss` (two issuers on one host
   * stay apart), then the `sub` (or `client_id`), e.g. `his.clinic.example-3fa2b1:emr-a`.
   */
  readonly operatorId: string;
}

const OPERATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** A CDS Hooks user reference (`Practitioner/D001`) as an audit operator id (`Practitioner:D001`). */
export function operatorIdOf(userId: string): string {
  return userId.replace(/\//g, ':');
}

/**
 * The identity a verified token proves.
 *
 * @example
 * await hisCallerOf({ iss: 'https://his.clinic.example', sub: 'emr-a' }) // { key: '…', operatorId: 'his.clinic.example-…:emr-a' }
 */
export async function hisCallerOf(claims: { readonly iss: string; readonly sub?: unknown; readonly client_id?: unknown }): Promise<HisCaller> {
  const sub = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
  const clientId = typeof claims.client_id === 'string' && claims.client_id !== '' ? claims.client_id : undefined;
  const key = (await sha256Hex(JSON.stringify([claims.iss, sub ?? null, clientId ?? null]))).slice(0, 32);
  let host = '';
  try {
    host = new URL(claims.iss).host.toLowerCase();
  } catch {
    // An iss that is not a URL is named by its hash alone.
  }
  host = host.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 32);
  const label = `${OPERATOR_ID.test(host) ? host : 'his'}-${(await sha256Hex(claims.iss)).slice(0, 6)}`;
  const subject = sub ?? clientId;
  if (subject === undefined) return { key, operatorId: label };
  const named = `${label}:${operatorIdOf(subject)}`;
  // A subject that does not fit an operator id, or looks like personal data, is named by its hash.
  const fits = named.length <= 64 && OPERATOR_ID.test(named) && maskPersonalData(subject) === subject;
  return { key, operatorId: fits ? named : `${label}:sub-${(await sha256Hex(subject)).slice(0, 12)}` };
}

/** Verifies the bearer token of one call; remembers every accepted jti in the storage until its token expires. */
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
  const storage = options.storage ?? createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });

  /** Records a jti (per issuer) as used until `until` (ms); refuses it when it is in use already, on any instance. */
  async function claim(iss: string, jti: string, until: number): Promise<void> {
    const now = clock.now();
    await dropExpired(storage, 'hisJtis', now, { limit: 64 });
    const key = await sha256Hex(`${iss}\u0000${jti}`);
    const existing = await storage.get('hisJtis', key);
    if (existing && untilOf(existing.value) > now) throw refuse('replayed');
    try {
      await storage.write([
        // Conditional on what was read: of two calls with one jti (on one instance or two), one wins.
        { op: 'put', store: 'hisJtis', key, value: { until }, expect: existing ? existing.rev : null },
        ...expiryOps('hisJtis', key, until, existing ? untilOf(existing.value) : undefined),
      ]);
    } catch (error) {
      if (isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw refuse('replayed');
      throw error;
    }
  }

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
      await claim(iss, jti, Math.ceil((exp + skew) * 1000));
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
