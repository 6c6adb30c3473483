import { isYibaoGuardError, type Storage, type TerminalLayout } from '../../src/index.js';
import type { WriteOp } from '../../src/storage/index.js';

/*
 * What the HIS hook service keeps in its storage, cards shown (`hisCards`) and token ids used (`hisJtis`), is kept
 * only until a time: the card's retention, the token's expiry. Each such record carries its `until` (epoch ms), and
 * `hisExpiry` indexes them by that time (`{store}|{until, zero-padded}|{key}`), so the oldest are found without
 * reading the stores whole. Every call that adds records drops some whose time has come.
 */

/** The stores whose records expire. */
export type ExpiringStore = 'hisCards' | 'hisJtis';

type Op = WriteOp<TerminalLayout>;

/** The index key of a record of `store` kept until `until`: zero-padded, so keys sort by time. */
export function expiryKey(store: ExpiringStore, until: number, key: string): string {
  return `${store}|${String(Math.max(0, Math.floor(until))).padStart(16, '0')}|${key}`;
}

/**
 * The index operations that go with putting a record kept until `until` (and before until `previous`, when it existed).
 */
export function expiryOps(store: ExpiringStore, key: string, until: number, previous?: number): Op[] {
  const ops: Op[] = [];
  if (previous !== undefined && expiryKey(store, previous, key) !== expiryKey(store, until, key))
    ops.push({ op: 'delete', store: 'hisExpiry', key: expiryKey(store, previous, key) });
  ops.push({ op: 'put', store: 'hisExpiry', key: expiryKey(store, until, key), value: null });
  return ops;
}

/** When a stored record of these stores is kept until (records written by this module always have one). */
export function untilOf(value: unknown): number {
  const until = value !== null && typeof value === 'object' ? (value as { until?: unknown }).until : undefined;
  return typeof until === 'number' && Number.isFinite(until) ? until : 0;
}

/**
 * Drops up to `limit` records of `store` whose time has come, and the oldest beyond `keep` records when given.
 * Best effort: when another instance changes one of them meanwhile (its write comes first), nothing is dropped
 * now and a later call does it.
 */
export async function dropExpired(
  storage: Storage<TerminalLayout>,
  store: ExpiringStore,
  now: number,
  options: { readonly limit: number; readonly keep?: number },
): Promise<void> {
  const prefix = `${store}|`;
  const index = await storage.list('hisExpiry', { prefix, limit: options.limit });
  let over = options.keep === undefined || index.length === 0 ? 0 : (await storage.count(store)) - options.keep;
  const ops: Op[] = [];
  for (const entry of index) {
    const rest = entry.key.slice(prefix.length);
    const until = Number(rest.slice(0, 16));
    if (until > now && over <= 0) break;
    const key = rest.slice(17);
    const record = await storage.get(store, key);
    ops.push({ op: 'delete', store: 'hisExpiry', key: entry.key, expect: entry.rev });
    // A record shown again meanwhile has a later time and its own index entry: only this stale entry goes.
    if (record && untilOf(record.value) === until) {
      ops.push({ op: 'delete', store, key, expect: record.rev });
      over -= 1;
    }
  }
  if (ops.length === 0) return;
  try {
    await storage.write(ops);
  } catch (error) {
    if (!isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
  }
}

/** Runs `attempt` again when its conditional write lost a race with another call or instance (`STORAGE_CONFLICT`). */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = 10): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= attempts || !isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
    }
  }
}
