import { canonicalJson } from '../canonical-json.js';
import { fromBase64Url } from '../crypto/base64url.js';
import { verifyEd25519 } from '../crypto/ed25519.js';
import { isYibaoGuardError, SaleError } from '../errors/index.js';
import type { TerminalLayout } from '../layout.js';
import { formatCstDate } from '../platform/time.js';
import { parseInput } from '../schemas/parse.js';
import { SignedRulePackSchema, type RulePack, type SignedRulePack } from '../schemas/rule-pack.js';
import type { Storage } from '../storage.js';
import { compilePack } from './review.js';

/** A platform key trusted to sign rule packs: its id and its Ed25519 public key (base64url). */
export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: string;
}

/**
 * Verifies a signed rule pack as published (YG03): its shape, its Ed25519 signature over the pack's canonical
 * JSON by a trusted platform key, and that `now` is inside its validity dates. Throws `INVALID_INPUT`,
 * `RULE_PACK_INVALID_SIGNATURE` or `RULE_PACK_EXPIRED`; returns the pack.
 *
 * @example
 * const pack = await verifyRulePack(downloaded, [{ keyId, publicKey }], Date.now())
 */
export async function verifyRulePack(signed: unknown, trusted: readonly TrustedKey[], now: number): Promise<SignedRulePack> {
  const parsed = parseInput(SignedRulePackSchema, signed, { en: 'Rule pack', zh: '规则包' });
  const key = trusted.find((k) => k.keyId === parsed.keyId);
  // The signature covers the pack exactly as published: verify over what was received, not what parsing kept.
  const published = (signed as { pack: unknown }).pack;
  const ok =
    key !== undefined &&
    (await verifyEd25519(new TextEncoder().encode(canonicalJson(published)), fromBase64Url(parsed.sig), fromBase64Url(key.publicKey)).catch(() => false));
  if (!ok) {
    throw new SaleError('RULE_PACK_INVALID_SIGNATURE', {
      message: key ? `Rule pack ${parsed.pack.packId} v${parsed.pack.version}: the signature does not verify` : `Rule pack signed by an untrusted key ${parsed.keyId}`,
      messageZh: key ? `规则包 ${parsed.pack.packId} 第 ${parsed.pack.version} 版签名校验失败，继续使用原规则包` : `规则包的签名密钥 ${parsed.keyId} 不受信任，继续使用原规则包`,
      field: 'sig',
    });
  }
  if (now < parsed.pack.validFrom || now >= parsed.pack.validUntil) {
    throw new SaleError('RULE_PACK_EXPIRED', {
      message: `Rule pack ${parsed.pack.packId} v${parsed.pack.version} is valid from ${formatCstDate(parsed.pack.validFrom)} to ${formatCstDate(parsed.pack.validUntil)}`,
      messageZh: `规则包 ${parsed.pack.packId} 第 ${parsed.pack.version} 版有效期为 ${formatCstDate(parsed.pack.validFrom)} 至 ${formatCstDate(parsed.pack.validUntil)}，继续使用原规则包`,
    });
  }
  return parsed;
}

/**
 * Installs a signed pack as the one in force, if it verifies, compiles (its rule parameters are the engine's) and
 * is newer than the current one; the previous pack stays in force on any refusal (`INVALID_INPUT`,
 * `RULE_PACK_INVALID_SIGNATURE`, `RULE_PACK_EXPIRED`, `RULE_PACK_STALE` for an older or equal version). Every installed
 * version is kept (`rulePacks` store, key `v<version>`) so a self-audit can replay past sales under the pack in
 * force at the time; `current` names the one in force. The two writes are one atomic batch.
 *
 * @example
 * const pack = await installRulePack(storage, downloaded, { trusted, now: Date.now() })
 */
export async function installRulePack(
  storage: Storage<TerminalLayout>,
  signed: unknown,
  options: { readonly trusted: readonly TrustedKey[]; readonly now: number },
): Promise<RulePack> {
  const verified = await verifyRulePack(signed, options.trusted, options.now);
  // A genuine pack the engine cannot run (a parameter out of range or unknown to it) must not replace one it can:
  // compiling throws INVALID_INPUT naming the rule, before anything is written.
  compilePack(verified.pack);
  const current = await storage.get('rulePacks', 'current');
  const inForce = current?.value as SignedRulePack | undefined;
  if (inForce && verified.pack.version <= inForce.pack.version) {
    throw new SaleError('RULE_PACK_STALE', {
      message: `Rule pack v${verified.pack.version} is not newer than v${inForce.pack.version} in force`,
      messageZh: `规则包第 ${verified.pack.version} 版不高于当前第 ${inForce.pack.version} 版，继续使用原规则包`,
    });
  }
  const published = signed as SignedRulePack;
  await storage.write([
    { op: 'put', store: 'rulePacks', key: `v${String(verified.pack.version).padStart(8, '0')}`, value: published },
    { op: 'put', store: 'rulePacks', key: 'current', value: published, expect: current?.rev ?? null },
  ]);
  return verified.pack;
}

/**
 * The pack in force from storage, verified again (storage is outside the trust boundary: a pack edited on disk
 * does not apply). Undefined when none is installed or the stored one no longer verifies.
 *
 * @example
 * const pack = await loadRulePack(storage, { trusted, now: Date.now() })
 */
export async function loadRulePack(
  storage: Storage<TerminalLayout>,
  options: { readonly trusted: readonly TrustedKey[]; readonly now: number },
): Promise<RulePack | undefined> {
  const current = await storage.get('rulePacks', 'current');
  if (!current) return undefined;
  try {
    return (await verifyRulePack(current.value, options.trusted, options.now)).pack;
  } catch (error) {
    if (isYibaoGuardError(error)) return undefined;
    throw error;
  }
}
