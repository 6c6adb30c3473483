import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type LocalJWKSet,
  type ProtectedHeaderParameters,
} from 'jose';
import {
  createMemoryStorage,
  InputError,
  isYibaoGuardError,
  maskPersonalData,
  TERMINAL_NAMES,
  type Storage,
  type TerminalLayout,
} from '../../src/index.js';
import { fromBase64Url, randomBytes, sha256Hex, toBase64Url, type Signer } from '../../src/crypto/index.js';
import { ed25519Strict } from '../../src/crypto/ed25519-strict.js';
import { HisError, type HisAuthFailure } from './errors.js';
import { dropExpired, expiryOps, untilOf } from './retention.js';
import { defined } from '../../src/defined.js';

/*
 * CDS Hooks authenticates each call with a JWT the client signs. The JOSE work (parsing the JWS, importing the keys,
 * choosing a key of the set by algorithm, verifying the signature, the registered claims against the injected clock)
 * is jose's, a maintained and audited implementation. We take EdDSA (Ed25519), ES256, ES384 and RS384 (as CDS Hooks
 * clients sign), from issuers on an allow-list, each with its own public keys (never a key named by the token itself:
 * `jku` is not fetched), and check the audience, the token's lifetime, and that its jti was never seen before: seen
 * jtis are kept in the storage (`hisJtis`) until their token expires, so a token used on one instance of the service
 * is refused by every other instance over the same storage, and after a restart. Ed25519 keys and signatures also get
 * the RFC 8032 checks every other Ed25519 verify of yibao-guard applies (`ed25519Strict`): S < L, R and the key
 * decoding, no key of small order, which WebCrypto alone does not all do.
 */

/** The JWS algorithms the service verifies: those CDS Hooks clients sign with. */
export const HIS_JWT_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS384'] as const;

/** A JWS algorithm of {@link HIS_JWT_ALGORITHMS}. */
export type HisJwtAlgorithm = (typeof HIS_JWT_ALGORITHMS)[number];

/**
 * An HIS allowed to call, with the public keys it signs with: raw Ed25519 keys (`keys`), a JWK Set (`jwks`), or both.
 * A key without a `kid` is tried for any token of its issuer.
 */
export interface HisIssuer {
  /** The token's `iss`. */
  readonly iss: string;
  /** Ed25519 public keys, 32 bytes (or base64url), for EdDSA tokens. */
  readonly keys?: readonly { readonly kid?: string; readonly publicKey: Uint8Array | string }[];
  /**
   * The issuer's public keys as a JWK Set, as a CDS Hooks client publishes it at its `jwks_url` (given here, never
   * fetched): OKP Ed25519 keys for EdDSA, EC P-256 for ES256, EC P-384 for ES384, RSA (2048 bits or more) for RS384.
   * A key's `alg`, `use` and `key_ops`, when present, limit what it verifies.
   */
  readonly jwks?: JSONWebKeySet;
}

/** Options of {@link createJwtVerifier}. */
export interface HisAuthOptions {
  /**
   * The service's own URL (its base, e.g. `https://clinic.example/his`): a token's `aud` must name it or one of its
   * service URLs.
   */
  readonly audience: string | readonly string[];
  readonly issuers: readonly HisIssuer[];
  /** The algorithms accepted (a subset of {@link HIS_JWT_ALGORITHMS}). @default all of HIS_JWT_ALGORITHMS */
  readonly algorithms?: readonly HisJwtAlgorithm[];
  /** Clock skew tolerated on `exp`, `iat` and `nbf`. @default 30 */
  readonly clockSkewSeconds?: number;
  /**
   * Longest `exp - iat` accepted (CDS Hooks asks for at most 5 minutes); bounds how long a jti is remembered. @default
   * 300
   */
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
 * await hisCallerOf({ iss: 'https://his.clinic.example', sub: 'emr-a' }) // { key: '…', operatorId:
 * 'his.clinic.example-…:emr-a' }
 */
export async function hisCallerOf(claims: {
  readonly iss: string;
  readonly sub?: unknown;
  readonly client_id?: unknown;
}): Promise<HisCaller> {
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
  /**
   * Resolves with the claims, or rejects with `HIS_UNAUTHORIZED` (its `reason` says why). `serviceUrl` is the path
   * called, e.g. `/cds-services/yibao-presettle`.
   */
  verify(authorization: string | undefined, servicePath: string): Promise<HisJwtClaims>;
}

const ED25519_NAME = { zh: 'EdDSA（Ed25519）', en: 'EdDSA (Ed25519)' };

/** The text of an `algorithm` refusal, naming the algorithms a verifier takes. */
function algorithmText(algorithms: readonly HisJwtAlgorithm[]): { zh: string; en: string } {
  const zh = algorithms.map((a) => (a === 'EdDSA' ? ED25519_NAME.zh : a));
  const en = algorithms.map((a) => (a === 'EdDSA' ? ED25519_NAME.en : a));
  return {
    zh: `令牌签名算法须为 ${zh.join('、')}${zh.length > 1 ? ' 之一' : ''}`,
    en: `The token must be signed with ${en.length > 1 ? `${en.slice(0, -1).join(', ')} or ${en.at(-1)}` : en[0]}`,
  };
}

const FAILURE_TEXT: Readonly<Record<HisAuthFailure, { zh: string; en: string }>> = {
  missing: { zh: '缺少 Authorization: Bearer 令牌', en: 'No Authorization: Bearer token' },
  malformed: { zh: '令牌格式不正确', en: 'The token is not a well-formed JWT' },
  algorithm: algorithmText(HIS_JWT_ALGORITHMS),
  issuer: { zh: '令牌签发方不在允许名单中', en: 'The token issuer is not on the allow-list' },
  key: { zh: '签发方没有该密钥（kid）', en: 'The issuer has no key with this kid' },
  signature: { zh: '令牌签名校验失败', en: 'The token signature does not verify' },
  audience: { zh: '令牌的 aud 不是本服务', en: 'The token audience is not this service' },
  expired: { zh: '令牌已过期', en: 'The token has expired' },
  'not-yet-valid': { zh: '令牌签发时间晚于当前时间（请检查时钟）', en: 'The token is not valid yet (check the clock)' },
  lifetime: { zh: '令牌有效期过长（exp - iat 超过上限）', en: 'The token lives too long (exp - iat over the limit)' },
  replayed: {
    zh: '令牌已使用过（jti 重复），每次调用须使用新令牌',
    en: 'The token was used before (jti replayed); sign a new one per call',
  },
};

function refuse(reason: HisAuthFailure, text = FAILURE_TEXT[reason]): HisError {
  return new HisError('HIS_UNAUTHORIZED', {
    message: `Not authenticated: ${text.en}`,
    messageZh: `调用未通过认证：${text.zh}`,
    reason,
  });
}

function invalidKey(message: string, messageZh: string, field: string): InputError {
  return new InputError('INVALID_INPUT', { message, messageZh, field });
}

/** 64 zero bytes: S = 0 and R = (y = 0) pass every signature check, so `ed25519Strict` over it checks the key alone. */
const NO_SIGNATURE = new Uint8Array(64);

/** An Ed25519 public key as RFC 8032 takes it: 32 bytes that decode, and not of small order. */
function ed25519Key(key: Uint8Array | string, field: string): Uint8Array {
  let bytes: unknown;
  try {
    bytes = typeof key === 'string' ? fromBase64Url(key) : key;
  } catch {
    bytes = undefined;
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw invalidKey('An issuer public key is 32 bytes (Ed25519)', '签发方公钥须为 32 字节（Ed25519）', field);
  }
  if (!ed25519Strict(NO_SIGNATURE, bytes)) {
    throw invalidKey(
      'An issuer public key is not a usable Ed25519 key (it does not decode, or is of small order)',
      '签发方公钥不是可用的 Ed25519 公钥（无法解码，或为小阶点）',
      field,
    );
  }
  return bytes;
}

/** JWK members only a private (or secret) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** One key of an issuer. */
interface IssuerKey {
  readonly kid: string | undefined;
  /**
   * jose's selection of this key for a token's `alg` (by kty, crv, and the key's own alg, use and key_ops), and its
   * import, cached.
   */
  readonly select: LocalJWKSet;
  /** An Ed25519 key's 32 bytes, for the RFC 8032 checks of its signatures. */
  readonly ed25519?: Uint8Array;
}

/** The bits of an RSA modulus (a JWK's `n`), 0 when it is not base64url. */
function rsaBits(n: unknown): number {
  try {
    const bytes = fromBase64Url(typeof n === 'string' ? n : '');
    const first = bytes.findIndex((byte) => byte !== 0);
    return first < 0 ? 0 : (bytes.length - first) * 8 - (Math.clz32(bytes[first]!) - 24);
  } catch {
    return 0;
  }
}

/**
 * A key of an issuer's JWK Set, checked: public, an Ed25519 key that RFC 8032 takes, an RSA key of 2048 bits or more.
 */
function jwkKey(jwk: JWK): IssuerKey {
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    throw invalidKey(
      'An issuer JWK Set holds public keys only (a private or secret key was given)',
      '签发方的 JWK Set 只能含公钥（不得含私钥或共享密钥）',
      'issuers.jwks',
    );
  }
  if (jwk.kty === 'RSA' && rsaBits(jwk.n) < 2048) {
    throw invalidKey(
      'An issuer RSA key has 2048 bits or more',
      '签发方的 RSA 公钥须至少 2048 位',
      'issuers.jwks.keys.n',
    );
  }
  const ed25519 =
    jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
      ? ed25519Key(typeof jwk.x === 'string' ? jwk.x : '', 'issuers.jwks.keys.x')
      : undefined;
  return {
    kid: typeof jwk.kid === 'string' ? jwk.kid : undefined,
    select: createLocalJWKSet({ keys: [jwk] }),
    ...defined({ ed25519 }),
  };
}

/** The keys of an issuer, its raw Ed25519 ones and its JWK Set's, checked as the verifier is made (never on a call). */
function issuerKeys(issuer: HisIssuer): IssuerKey[] {
  const raw = (issuer.keys ?? []).map((k): IssuerKey => {
    const ed25519 = ed25519Key(k.publicKey, 'issuers.keys.publicKey');
    return {
      kid: k.kid,
      select: createLocalJWKSet({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: toBase64Url(ed25519) }] }),
      ed25519,
    };
  });
  if (issuer.jwks === undefined) return raw;
  let set: readonly JWK[];
  try {
    set = createLocalJWKSet(issuer.jwks).jwks().keys;
  } catch {
    throw invalidKey(
      'An issuer JWK Set is not a JWK Set ({ keys: [JWK, …] })',
      '签发方的 JWK Set 格式不正确（须为 { keys: [JWK, …] }）',
      'issuers.jwks',
    );
  }
  return [...raw, ...set.map(jwkKey)];
}

/** The keys among `keys` that verify `alg`, imported. */
async function usableFor(keys: readonly IssuerKey[], alg: string): Promise<{ key: CryptoKey; ed25519?: Uint8Array }[]> {
  const usable: { key: CryptoKey; ed25519?: Uint8Array }[] = [];
  for (const k of keys) {
    try {
      usable.push({ key: await k.select({ alg }), ...defined({ ed25519: k.ed25519 }) });
    } catch {
      // jose: not a key for this algorithm (another kty or curve, or its alg, use or key_ops say no).
    }
  }
  return usable;
}

/** Why jose refused a token whose signature verified (or could not be checked), as a refusal reason. */
function reasonOf(error: errors.JOSEError, claims: JWTPayload): HisAuthFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason !== 'check_failed') return 'malformed'; // missing, or not a NumericDate
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'nbf') return 'not-yet-valid';
    if (error.claim === 'aud')
      return typeof claims.aud === 'string' || Array.isArray(claims.aud) ? 'audience' : 'malformed';
    return 'malformed';
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  return 'malformed';
}

/**
 * Creates the verifier of the calls' tokens.
 *
 * @example
 * const verifier = createJwtVerifier({ audience: 'https://clinic.example/his', issuers: [{ iss: 'https://his.example',
 * keys: [{ kid: 'his-1', publicKey }] }] })
 * const verifier = createJwtVerifier({ audience: 'https://clinic.example/his', issuers: [{ iss: 'https://his.example',
 * jwks: { keys: [esJwk, rsaJwk] } }] })
 * const claims = await verifier.verify(req.headers.authorization, '/cds-services/yibao-presettle')
 */
export function createJwtVerifier(options: HisAuthOptions): JwtVerifier {
  const clock = options.clock ?? { now: () => Date.now() };
  const skew = options.clockSkewSeconds ?? 30;
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  const algorithms = [...(options.algorithms ?? HIS_JWT_ALGORITHMS)];
  if (algorithms.length === 0 || algorithms.some((a) => !(HIS_JWT_ALGORITHMS as readonly string[]).includes(a))) {
    throw invalidKey(
      `The algorithms accepted are some of ${HIS_JWT_ALGORITHMS.join(', ')}`,
      `可接受的算法须取自 ${HIS_JWT_ALGORITHMS.join('、')}`,
      'algorithms',
    );
  }
  const algorithmRefusal = algorithmText(algorithms);
  const audiences = (typeof options.audience === 'string' ? [options.audience] : [...options.audience]).map((a) =>
    a.replace(/\/+$/, ''),
  );
  const issuers = new Map(options.issuers.map((i) => [i.iss, issuerKeys(i)]));
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
      if (!authorization) throw refuse('missing');
      const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+))\s*$/i.exec(authorization);
      if (!match) throw refuse('malformed');
      const [, token, s] = match as unknown as [string, string, string];
      // Read before the signature is checked, only to choose the issuer's keys: nothing of it is trusted yet.
      let header: ProtectedHeaderParameters;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw refuse('malformed');
      }
      const { alg, kid } = header;
      if (
        typeof alg !== 'string' ||
        !(algorithms as string[]).includes(alg) ||
        (header.typ !== undefined && String(header.typ).toUpperCase() !== 'JWT') ||
        header.crit !== undefined
      ) {
        throw refuse('algorithm', algorithmRefusal);
      }
      const iss = unverified.iss;
      if (typeof iss !== 'string') throw refuse('malformed');
      const keys = issuers.get(iss);
      if (!keys) throw refuse('issuer');
      // A key registered without a kid is tried for any token of its issuer.
      const candidates = await usableFor(
        kid === undefined ? keys : keys.filter((k) => k.kid === undefined || k.kid === kid),
        alg,
      );
      if (candidates.length === 0) throw refuse('key');
      let signature: Uint8Array;
      try {
        signature = fromBase64Url(s);
      } catch {
        throw refuse('malformed');
      }
      const path = servicePath.replace(/\/feedback$/, '');
      const now = clock.now();
      for (const candidate of candidates) {
        if (candidate.ed25519 && !ed25519Strict(signature, candidate.ed25519)) continue;
        let claims: JWTPayload;
        try {
          ({ payload: claims } = await jwtVerify(token, candidate.key, {
            algorithms,
            issuer: iss,
            // The service's base URL (with or without a trailing slash) or the URL of the service called.
            audience: audiences.flatMap((base) => [base, `${base}/`, `${base}${path}`]),
            requiredClaims: ['exp', 'iat', 'jti'],
            clockTolerance: skew,
            currentDate: new Date(now),
          }));
        } catch (error) {
          if (error instanceof errors.JWSSignatureVerificationFailed) continue;
          if (error instanceof errors.JOSEError) throw refuse(reasonOf(error, unverified));
          throw error;
        }
        // Only a genuine token gets this far: its claims are the issuer's, with aud, exp (not passed) and nbf checked.
        const { exp, iat, jti } = claims as { exp: number; iat: number; jti: unknown };
        if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw refuse('malformed');
        if (iat > now / 1000 + skew) throw refuse('not-yet-valid');
        if (exp - iat > maxLifetime) throw refuse('lifetime');
        await claim(iss, jti, Math.ceil((exp + skew) * 1000));
        return claims as HisJwtClaims;
      }
      throw refuse('signature');
    },
  };
}

const encoder = new TextEncoder();

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
 * const token = await signHisJwt({ signer, iss: 'https://his.example', aud:
 * 'https://clinic.example/his/cds-services/yibao-presettle' })
 * await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body })
 */
export async function signHisJwt(options: SignHisJwtOptions): Promise<string> {
  const now = Math.floor((options.clock?.now() ?? Date.now()) / 1000);
  const header = { alg: 'EdDSA', typ: 'JWT', kid: options.signer.keyId };
  const jti = options.jti ?? toBase64Url(randomBytes(16));
  const payload = {
    iss: options.iss,
    ...defined({ sub: options.sub || undefined }),
    aud: options.aud,
    iat: now,
    exp: now + (options.lifetimeSeconds ?? 300),
    jti,
  };
  const part = (value: unknown) => toBase64Url(encoder.encode(JSON.stringify(value)));
  const signingInput = `${part(header)}.${part(payload)}`;
  return `${signingInput}.${toBase64Url(await options.signer.sign(encoder.encode(signingInput)))}`;
}
