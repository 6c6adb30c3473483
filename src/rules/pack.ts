import { canonicalJson } from '../canonical-json.js';
import { fromBase64Url } from '../crypto/base64url.js';
import { verifyEd25519, type Ed25519Fallback } from '../crypto/ed25519.js';
import { isYibaoGuardError, SaleError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import { formatCstDate } from '../platform/time.js';
import { parseInput } from '../schemas/parse.js';
import { SignedRulePackSchema, type RulePack, type SignedRulePack } from '../schemas/rule-pack.js';
import type { Storage } from '../storage/contract.js';
import { compilePack } from './review.js';

/** A platform key trusted to sign rule packs: its id and its Ed25519 public key (base64url). */
export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: string;
}

/**
 * Where a till is: a pack applies only there. A pack whose `area` is not the till's, whose `pharmacies` (when it
 * names them) leave out the till's pharmacy, or whose `packId` is not the series the till follows is refused with
 * `RULE_PACK_WRONG_SCOPE`, however genuine its signature.
 */
export interface RulePackScope {
  /** The till's 医保区划 (就医地). */
  readonly area: string;
  /** The pharmacy's `fixmedins_code`. */
  readonly pharmacy?: string;
  /**
   * The pack series (`packId`) the till follows. Without it, `installRulePack` holds a till to the series of the
   * pack it has, so a genuine pack of another series (a pilot, another area's) cannot raise the version floor.
   */
  readonly packId?: string;
}

/** Whom a till trusts for rule packs, where it is, and its Ed25519 where WebCrypto has none. */
export interface RulePackTrust {
  readonly trusted: readonly TrustedKey[];
  readonly scope?: RulePackScope | undefined;
  /** Ed25519 for a runtime whose WebCrypto has none (`tweetnaclEd25519` of `yibao-guard/ed25519-fallback`). */
  readonly ed25519Fallback?: Ed25519Fallback | undefined;
}

/** Throws `RULE_PACK_WRONG_SCOPE` naming each thing that does not match, unless the pack is issued for `scope`. */
function assertInScope(pack: RulePack, scope: RulePackScope | undefined): void {
  if (!scope) return;
  const en: string[] = [];
  const zh: string[] = [];
  if (pack.area !== scope.area) {
    en.push(`it is for area ${pack.area}, this till is in ${scope.area}`);
    zh.push(`规则包适用统筹区 ${pack.area}，本终端属 ${scope.area}`);
  }
  if (pack.pharmacies && (scope.pharmacy === undefined || !pack.pharmacies.includes(scope.pharmacy))) {
    const listed =
      pack.pharmacies.length > 3
        ? `${pack.pharmacies.slice(0, 3).join(', ')} … (${pack.pharmacies.length})`
        : pack.pharmacies.join(', ');
    en.push(`it is issued to pharmacies ${listed}, not to ${scope.pharmacy ?? 'this one'}`);
    zh.push(`规则包仅发给药店 ${listed}，不含本店 ${scope.pharmacy ?? ''}`.trimEnd());
  }
  if (scope.packId !== undefined && pack.packId !== scope.packId) {
    en.push(`it is pack ${pack.packId}, this till follows ${scope.packId}`);
    zh.push(`规则包编号为 ${pack.packId}，本终端使用 ${scope.packId}`);
  }
  if (en.length === 0) return;
  throw new SaleError('RULE_PACK_WRONG_SCOPE', {
    message: `Rule pack ${pack.packId} v${pack.version} was not issued for this till: ${en.join('; ')}; the previous pack stays in force`,
    messageZh: `规则包 ${pack.packId} 第 ${pack.version} 版不是发给本终端的：${zh.join('；')}，继续使用原规则包`,
    field: 'pack',
  });
}

/** The pack's shape, its signature by a trusted key and its scope (not its dates). */
async function verifyIssued(
  signed: unknown,
  trusted: readonly TrustedKey[],
  scope: RulePackScope | undefined,
  fallback?: Ed25519Fallback,
): Promise<SignedRulePack> {
  const parsed = parseInput(SignedRulePackSchema, signed, { en: 'Rule pack', zh: '规则包' });
  const key = trusted.find((k) => k.keyId === parsed.keyId);
  // The signature covers the pack exactly as published: verify over what was received, not what parsing kept.
  const published = (signed as { pack: unknown }).pack;
  const ok =
    key !== undefined &&
    (await verifyEd25519(
      new TextEncoder().encode(canonicalJson(published)),
      fromBase64Url(parsed.sig),
      fromBase64Url(key.publicKey),
      fallback,
    ));
  if (!ok) {
    throw new SaleError('RULE_PACK_INVALID_SIGNATURE', {
      message: key
        ? `Rule pack ${parsed.pack.packId} v${parsed.pack.version}: the signature does not verify`
        : `Rule pack signed by an untrusted key ${parsed.keyId}`,
      messageZh: key
        ? `规则包 ${parsed.pack.packId} 第 ${parsed.pack.version} 版签名校验失败，继续使用原规则包`
        : `规则包的签名密钥 ${parsed.keyId} 不受信任，继续使用原规则包`,
      field: 'sig',
    });
  }
  assertInScope(parsed.pack, scope);
  return parsed;
}

/**
 * Whether a pack is in force at `now`: from `validFrom` (inclusive) to `validUntil` (exclusive), to the millisecond.
 *
 * @example
 * if (!rulePackInForce(pack, clock.now())) showExpired(pack)
 */
export function rulePackInForce(pack: Pick<RulePack, 'validFrom' | 'validUntil'>, now: number): boolean {
  return now >= pack.validFrom && now < pack.validUntil;
}

/**
 * Verifies a signed rule pack as published (YG03): its shape, its Ed25519 signature over the pack's canonical
 * JSON by a trusted platform key, that it was issued for `scope` when given (area, pharmacy, pack series), and that
 * `now` is inside its validity dates. Throws `INVALID_INPUT`, `RULE_PACK_INVALID_SIGNATURE`, `RULE_PACK_WRONG_SCOPE`
 * or `RULE_PACK_EXPIRED` (and `ENVIRONMENT_UNSUPPORTED` where WebCrypto has no Ed25519 and no `ed25519Fallback` is
 * given); returns the pack.
 *
 * @example
 * const pack = await verifyRulePack(downloaded, [{ keyId, publicKey }], Date.now(), { area: '220100', pharmacy:
 * 'P22010100001' })
 */
export async function verifyRulePack(
  signed: unknown,
  trusted: readonly TrustedKey[],
  now: number,
  scope?: RulePackScope,
  ed25519Fallback?: Ed25519Fallback,
): Promise<SignedRulePack> {
  const parsed = await verifyIssued(signed, trusted, scope, ed25519Fallback);
  if (!rulePackInForce(parsed.pack, now)) {
    throw new SaleError('RULE_PACK_EXPIRED', {
      message: `Rule pack ${parsed.pack.packId} v${parsed.pack.version} is valid from ${formatCstDate(parsed.pack.validFrom)} to ${formatCstDate(parsed.pack.validUntil)}`,
      messageZh: `规则包 ${parsed.pack.packId} 第 ${parsed.pack.version} 版有效期为 ${formatCstDate(parsed.pack.validFrom)} 至 ${formatCstDate(parsed.pack.validUntil)}，继续使用原规则包`,
    });
  }
  return parsed;
}

/** The stored `current` pack if it is genuine and issued for `scope` (whatever its dates), with its storage record. */
async function storedCurrent(storage: Storage<TerminalLayout>, trust: RulePackTrust) {
  const current = await storage.get('rulePacks', 'current');
  if (!current) return { current: undefined, issued: undefined };
  try {
    return { current, issued: await verifyIssued(current.value, trust.trusted, trust.scope, trust.ed25519Fallback) };
  } catch (error) {
    // A runtime that cannot verify at all says so; it does not take the stored pack for a forged one.
    if (isYibaoGuardError(error) && error.code !== 'ENVIRONMENT_UNSUPPORTED') return { current, issued: undefined };
    throw error;
  }
}

/**
 * Installs a signed pack as the one in force, if it verifies, was issued for `scope` (see {@link RulePackScope}),
 * compiles (its rule parameters are the engine's) and is newer than the current one; the previous pack stays in
 * force on any refusal (`INVALID_INPUT`, `RULE_PACK_INVALID_SIGNATURE`, `RULE_PACK_WRONG_SCOPE`, `RULE_PACK_EXPIRED`,
 * `RULE_PACK_STALE` for an older version, or an equal version with other content). A refused pack is not stored and
 * never moves the version floor, which only a genuine pack issued for this till holds: a stored `current` that does
 * not verify or is not issued here does not count. The pack already current, installed again (a restart), is
 * accepted and nothing is written. Every installed version is kept (`rulePacks` store, key `v<version>`) so a
 * self-audit can replay past sales under the pack in force at the time; `current` names the one in force. The two
 * writes are one atomic batch.
 *
 * @example
 * const pack = await installRulePack(storage, downloaded, { trusted, now: clock.now(), scope: { area: '220100',
 * pharmacy: 'P22010100001' } })
 */
export async function installRulePack(
  storage: Storage<TerminalLayout>,
  signed: unknown,
  options: RulePackTrust & { readonly now: number },
): Promise<RulePack> {
  const verified = await verifyRulePack(signed, options.trusted, options.now, options.scope, options.ed25519Fallback);
  // A genuine pack the engine cannot run (a parameter out of range or unknown to it) must not replace one it can:
  // compiling throws INVALID_INPUT naming the rule, before anything is written.
  compilePack(verified.pack);
  const seriesFree = options.scope && {
    area: options.scope.area,
    ...(options.scope.pharmacy === undefined ? {} : { pharmacy: options.scope.pharmacy }),
  };
  const { current, issued: inForce } = await storedCurrent(storage, { ...options, scope: seriesFree });
  // Versions count within one series: a pack of another series is refused rather than compared.
  if (options.scope && options.scope.packId === undefined && inForce)
    assertInScope(verified.pack, { ...options.scope, packId: inForce.pack.packId });
  const published = signed as SignedRulePack;
  if (inForce && verified.pack.version <= inForce.pack.version) {
    // The very pack in force, offered again (a till restarted over this storage): nothing to do.
    if (
      verified.pack.version === inForce.pack.version &&
      canonicalJson(published.pack) === canonicalJson((current!.value as SignedRulePack).pack)
    )
      return verified.pack;
    throw new SaleError('RULE_PACK_STALE', {
      message: `Rule pack v${verified.pack.version} is not newer than v${inForce.pack.version} in force${verified.pack.version === inForce.pack.version ? ' (same version, other content)' : ''}`,
      messageZh: `规则包第 ${verified.pack.version} 版不高于当前第 ${inForce.pack.version} 版${verified.pack.version === inForce.pack.version ? '（版本相同而内容不同）' : ''}，继续使用原规则包`,
    });
  }
  await storage.write([
    { op: 'put', store: 'rulePacks', key: `v${String(verified.pack.version).padStart(8, '0')}`, value: published },
    { op: 'put', store: 'rulePacks', key: 'current', value: published, expect: current?.rev ?? null },
  ]);
  return verified.pack;
}

/**
 * The pack in force from storage, verified again (storage is outside the trust boundary: a pack edited on disk
 * does not apply; nor one issued for another `scope`, nor one past its dates). Undefined when none is installed or
 * the stored one no longer verifies.
 *
 * @example
 * const pack = await loadRulePack(storage, { trusted, now: clock.now(), scope: { area: '220100', pharmacy:
 * 'P22010100001' } })
 */
export async function loadRulePack(
  storage: Storage<TerminalLayout>,
  options: RulePackTrust & { readonly now: number },
): Promise<RulePack | undefined> {
  const { issued } = await storedCurrent(storage, options);
  return issued && rulePackInForce(issued.pack, options.now) ? issued.pack : undefined;
}

/**
 * The pack a till last installed, if it is still genuine and issued for `scope`, whatever its dates: a till opened
 * after its pack expired knows that it had one (and shows that the rules are expired) rather than running as if it
 * never had rules. Undefined when none is stored or the stored one does not verify.
 *
 * @example
 * const last = await storedRulePack(storage, { trusted, scope }); if (last && !rulePackInForce(last, now)) …
 */
export async function storedRulePack(
  storage: Storage<TerminalLayout>,
  options: RulePackTrust,
): Promise<RulePack | undefined> {
  return (await storedCurrent(storage, options)).issued?.pack;
}
