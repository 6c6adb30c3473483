/*
 * The rule packs a self-audit replays under (see `selfAudit` in self-audit.ts): one given for every sale, or each
 * sale's pack in force by version (given as `packs`, or those installed in storage), with the defaults for sales
 * that name none.
 */
// The rule engine is not part of the root entry's static graph (see src/engine.ts): import it directly.
import { verifyRulePack } from '../rules/pack.js';
import { compilePack } from '../rules/review.js';
import type { CompiledPack } from '../rules/compile.js';
import type { SaleRecord } from '../sale/record.js';
import type { RulePack } from '../schemas/rule-pack.js';
import { SignedRulePackSchema } from '../schemas/rule-pack.js';
import { YibaoGuardError } from '../errors/base.js';
import { checkAbort, note, type AuditRun } from './self-audit-run.js';
import type { AuditPackUse } from './types.js';
import { defined } from '../defined.js';

/** A pack the replay may use, by version. */
export interface PackEntry {
  readonly compiled: CompiledPack;
  readonly use: {
    version: number | null;
    packId?: string;
    source: AuditPackUse['source'];
    verified: boolean;
    sales: number;
  };
}

/** The packs of a run: `given` for all sales, else `versions` by version; `defaults` where neither applies. */
export interface AuditPacks {
  readonly given: PackEntry | undefined;
  readonly versions: Map<number, PackEntry>;
  readonly defaults: PackEntry;
}

function givenEntry(pack: RulePack): PackEntry {
  return {
    compiled: compilePack(pack),
    use: { version: pack.version, packId: pack.packId, source: 'given', verified: false, sales: 0 },
  };
}

/** The packs: one given for all, or every version the sales may name. */
export async function loadPacks(run: AuditRun): Promise<AuditPacks> {
  const { options } = run;
  const given = options.rulePack ? givenEntry(options.rulePack) : undefined;
  const versions = new Map<number, PackEntry>();
  if (!given) {
    if (options.packs) {
      for (const pack of options.packs) versions.set(pack.version, givenEntry(pack));
    } else {
      await loadStoredPacks(run, versions);
    }
  }
  const defaults: PackEntry = {
    compiled: compilePack(),
    use: { version: null, source: 'defaults', verified: false, sales: 0 },
  };
  return { given, versions, defaults };
}

async function loadStoredPacks(run: AuditRun, versions: Map<number, PackEntry>): Promise<void> {
  const { options } = run;
  for (let after: string | undefined; ;) {
    checkAbort(run);
    const page = await options.storage.list('rulePacks', {
      prefix: 'v',
      ...defined({ after }),
      limit: 50,
    });
    for (const { value } of page) {
      const entry = await storedPack(run, value);
      if (entry) versions.set(entry.use.version as number, entry);
    }
    if (page.length < 50) break;
    after = page[page.length - 1]?.key;
  }
  if (!options.trusted && versions.size > 0) {
    note(
      run,
      'pack-unverified',
      '未提供平台公钥，本机保存的规则包按原样使用，签名未校验',
      'No platform keys were given: stored rule packs were used as stored, their signatures not verified',
      0,
    );
  }
}

/** One stored pack, checked (and verified, given keys) and compiled; undefined, with a note, when it is unusable. */
async function storedPack(run: AuditRun, value: unknown): Promise<PackEntry | undefined> {
  const { options } = run;
  const parsed = SignedRulePackSchema.safeParse(value);
  if (!parsed.success) {
    note(
      run,
      'pack-invalid',
      '本机保存的部分规则包格式不正确，未使用',
      'Some stored rule packs are malformed and were not used',
    );
    return undefined;
  }
  let verified = false;
  if (options.trusted) {
    try {
      // The signature only: a pack that was in force then may have expired since.
      await verifyRulePack(value, options.trusted, parsed.data.pack.validFrom, undefined, options.ed25519Fallback);
      verified = true;
    } catch (error) {
      // A runtime that cannot verify at all says so, rather than call every pack forged.
      if (error instanceof YibaoGuardError && error.code === 'ENVIRONMENT_UNSUPPORTED') throw error;
      note(
        run,
        'pack-unverified',
        '本机保存的部分规则包签名校验失败，未使用',
        'Some stored rule packs do not verify against the trusted keys and were not used',
      );
      return undefined;
    }
  }
  let compiled: CompiledPack;
  try {
    compiled = compilePack(parsed.data.pack);
  } catch {
    note(
      run,
      'pack-invalid',
      '本机保存的部分规则包无法编译，未使用',
      'Some stored rule packs cannot be compiled and were not used',
    );
    return undefined;
  }
  const pack: RulePack = parsed.data.pack;
  return { compiled, use: { version: pack.version, packId: pack.packId, source: 'stored', verified, sales: 0 } };
}

/** Every pack the run may use: the given one, the versions, the defaults. */
export function packsInUse(packs: AuditPacks): PackEntry[] {
  return [packs.given, ...packs.versions.values(), packs.defaults].filter((p): p is PackEntry => p !== undefined);
}

/** The longest window of any rule in use, in days (at least 1). */
export function longestWindowDays(packs: AuditPacks): number {
  const windows = packsInUse(packs).flatMap((p) =>
    p.compiled.rules.map((r) => Number((r.params as { windowDays?: unknown }).windowDays ?? 0)),
  );
  return Math.max(1, ...windows);
}

/** The reasons a pharmacist chose from were those of the pack in force then, whatever pack the replay uses. */
export function reasonsOf(packs: AuditPacks, record: SaleRecord): CompiledPack {
  const version = record.review.packVersion;
  const inForce = version !== undefined ? packs.versions.get(version) : undefined;
  return inForce?.compiled ?? packs.given?.compiled ?? packs.defaults.compiled;
}

/** The pack a sale is replayed under. */
export function packFor(run: AuditRun, packs: AuditPacks, record: SaleRecord): PackEntry {
  if (packs.given) return packs.given;
  const version = record.review.packVersion;
  if (version === undefined) return packs.defaults;
  const exact = packs.versions.get(version);
  if (exact) return exact;
  // Not installed here (or not verifiable): the newest older one, else the defaults; the report says so.
  note(
    run,
    'pack-missing',
    '部分销售结算时所用的规则包未能取得，已改用此前最近的规则包（或默认规则）复核',
    'The pack in force for some sales is not available; the closest earlier pack (or the defaults) was used',
  );
  let best: PackEntry | undefined;
  for (const [v, entry] of packs.versions) if (v < version && (!best || v > (best.use.version ?? -1))) best = entry;
  return best ?? packs.defaults;
}
