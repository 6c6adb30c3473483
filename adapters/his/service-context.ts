import { StorageError, type Storage, type TerminalLayout } from '../../src/index.js';
import type { RuleId } from '../../src/schemas/index.js';
import type { CompiledPack } from '../../src/engine.js';
import { hisCallerOf, type HisCaller } from './auth.js';
import { HisCardRecordSchema, type HisCardRecord, type HisHook } from './schemas.js';
import type { CallerOptions, HisServiceOptions } from './service.js';

/*
 * What the pieces of the HIS hook service share: its settings as createHisService resolved them, the rule pack in
 * force, and the reads of who calls and of a stored card. The hooks live in service-review.ts, feedback in
 * service-feedback.ts.
 */

/** One HIS hook service's settings, resolved. */
export interface HisServiceContext {
  readonly options: HisServiceOptions;
  readonly clock: { now(): number };
  readonly storage: Storage<TerminalLayout>;
  /** How long a card takes feedback after it was last shown. */
  readonly ttl: number;
  readonly maxCards: number;
  readonly agreement: 'active' | 'suspended' | 'ended';
  /** The compiled rule pack in force now. */
  readonly rulesNow: () => CompiledPack;
  /** The order hooks' packs (without the dispensing rules), by the pack they come from. */
  readonly orderRulesMemo: WeakMap<CompiledPack, CompiledPack>;
}

/** The caller of in-process calls (no token): the application itself. */
export const IN_PROCESS = 'in-process';

/**
 * Rules that judge dispensing, not prescribing: at order hooks the draft orders are the prescription, and no box is in
 * hand yet.
 */
const DISPENSING_RULES: ReadonlySet<RuleId> = new Set([
  'rx-required',
  'trace-code-missing',
  'trace-code-mismatch',
  'trace-code-duplicate',
]);

/** The rules a hook applies: the whole pack at pre-settlement, the pack without the dispensing rules at order hooks. */
export function rulesFor(ctx: HisServiceContext, hook: HisHook): CompiledPack {
  const compiled = ctx.rulesNow();
  if (hook === 'yibao-presettle') return compiled;
  let derived = ctx.orderRulesMemo.get(compiled);
  if (!derived) {
    const keep = (r: { id: RuleId }) => !DISPENSING_RULES.has(r.id);
    derived = {
      ...compiled,
      rules: compiled.rules.filter(keep),
      lineRules: compiled.lineRules.filter(keep),
      saleRules: compiled.saleRules.filter(keep),
    };
    ctx.orderRulesMemo.set(compiled, derived);
  }
  return derived;
}

/** The caller a call's verified claims name, or undefined for an in-process call. */
export async function callerOf(options: CallerOptions): Promise<HisCaller | undefined> {
  return options.claims ? hisCallerOf(options.claims) : undefined;
}

/** A card as stored, with its revision; undefined when none is stored; `STORAGE_CORRUPT` when the record is no card. */
export async function readCard(
  ctx: HisServiceContext,
  uuid: string,
): Promise<{ rev: number; value: HisCardRecord } | undefined> {
  const stored = await ctx.storage.get('hisCards', uuid);
  if (!stored) return undefined;
  const parsed = HisCardRecordSchema.safeParse(stored.value);
  if (!parsed.success) {
    throw new StorageError('STORAGE_CORRUPT', {
      message: `HIS card ${uuid}: the stored record is not a card`,
      messageZh: `提示卡片 ${uuid}：存储的记录不是卡片`,
      field: 'hisCards',
    });
  }
  return { rev: stored.rev, value: parsed.data };
}
