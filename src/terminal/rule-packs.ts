/*
 * The rule pack of a till: the one it was given or the last one installed here (genuine, and issued for this till),
 * which rules a review runs (the pack's, or once it has lapsed, the defaults with the expired card), and updates
 * from the platform (YG03).
 */
import type { CompiledPack } from '../rules/compile.js';
import { compileLapsedPack } from '../rules/expiry.js';
import { installRulePack, rulePackInForce, storedRulePack, type RulePackScope } from '../rules/pack.js';
import { compilePack } from '../rules/review.js';
import type { RulePack } from '../schemas/rule-pack.js';
import type { TillContext } from './types.js';

export interface RulePacks {
  /** The pack the till has, in force or not. */
  readonly current: RulePack | undefined;
  /** The pack in force now, by the clock: a pack leaves force at its `validUntil`, to the millisecond. */
  inForce(): RulePack | undefined;
  /** The rules a review runs now: the pack's, or, once it has lapsed, the defaults with the expired card. */
  rulesNow(): CompiledPack;
  /**
   * A lapsed pack: ask the platform for the current one, at most once per `rulePackRetryMs`; a failure leaves the card
   * up.
   */
  refreshLapsed(): Promise<void>;
  /** YG03: the platform's newer pack for this area, installed; undefined when there is none. */
  update(): Promise<RulePack | undefined>;
  /** Verifies and installs a signed pack (refused unless genuine, current and issued for this till). */
  install(signed: unknown): Promise<RulePack>;
}

export async function openRulePacks(ctx: TillContext): Promise<RulePacks> {
  const { storage, clock, platform } = ctx;
  // A pack applies only where it was issued: this area, this pharmacy, the till's series.
  const scope: RulePackScope = {
    area: ctx.area,
    pharmacy: ctx.pharmacy.code,
    ...(ctx.rulePackId === undefined ? {} : { packId: ctx.rulePackId }),
  };
  const rank = (p: RulePack): number => (rulePackInForce(p, clock.now()) ? 2 ** 40 : 0) + p.version;
  // Preferring one in force, then the newer. It may have lapsed: then it is not in force, and reviews say so.
  let pack = ctx.rulePack;
  /** Ed25519 for the packs' signatures where WebCrypto has none. */
  const fallback = ctx.ed25519Fallback ? { ed25519Fallback: ctx.ed25519Fallback } : {};
  const stored =
    ctx.trustedKeys.length > 0
      ? await storedRulePack(storage, { trusted: ctx.trustedKeys, scope, ...fallback })
      : undefined;
  if (stored && (!pack || rank(stored) > rank(pack))) pack = stored;
  let compiled: CompiledPack = compilePack(pack);
  let lapsed: { readonly pack: RulePack; readonly compiled: CompiledPack } | undefined;
  /** When a review last asked YG03 for a current pack because the one here had lapsed. */
  let askedAt: number | undefined;

  const packs: RulePacks = {
    get current() {
      return pack;
    },
    inForce: () => (pack && rulePackInForce(pack, clock.now()) ? pack : undefined),
    rulesNow() {
      if (!pack || rulePackInForce(pack, clock.now())) return compiled;
      if (lapsed?.pack !== pack) lapsed = { pack, compiled: compileLapsedPack(pack, ctx.rulePackExpired) };
      return lapsed.compiled;
    },
    async refreshLapsed() {
      const at = clock.now();
      if (!pack || rulePackInForce(pack, at) || ctx.trustedKeys.length === 0) return;
      if (askedAt !== undefined && at >= askedAt && at - askedAt < ctx.rulePackRetryMs) return;
      askedAt = at;
      try {
        await packs.update();
      } catch {
        // Offline, refused, or the platform's pack is no better: the review shows the expired card.
      }
    },
    async update() {
      const { pack: published } = await platform.downloadRulePack({
        data: { admdvs: ctx.area, cur_ver: pack?.version ?? 0 },
      });
      if (!published) return undefined;
      return packs.install(published);
    },
    async install(signed) {
      const installed = await installRulePack(storage, signed, {
        trusted: ctx.trustedKeys,
        now: clock.now(),
        scope,
        ...fallback,
      });
      pack = installed;
      compiled = compilePack(installed);
      ctx.emit({ type: 'rule-pack', version: installed.version });
      return installed;
    },
  };
  return packs;
}
