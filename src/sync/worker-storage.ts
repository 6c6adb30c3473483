import { isYibaoGuardError } from '../errors/index.js';
import type { PreparedCall } from '../platform/client.js';
import type { WriteOp } from '../storage/contract.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { OutboxRecord } from './types.js';
import type { SyncWorkerContext } from './worker-context.js';

/*
 * What the worker keeps in storage beside the outbox: the cursor, the lease, and the marks of personal fields
 * kept past their record's answer.
 */

/** Meta key of the cursor: the seq of the last record answered for good. */
export const CURSOR = 'outbox.cursor';
const LEASE = 'outbox.lease';
/** Meta keys `pii.purge/{due, 15 digits}/{msgid}`: personal fields kept past the answer, in the order they fall due. */
const PURGE = 'pii.purge/';

/**
 * Takes or renews the lease (renewed once half of it has run), unless another owner holds it: whether this
 * worker may send.
 *
 * @example
 * if (!(await holdLease(ctx))) return stop('not-leader')
 */
export async function holdLease(ctx: SyncWorkerContext): Promise<boolean> {
  const { storage, owner, leaseMs } = ctx;
  const now = ctx.clock.now();
  const current = await storage.get('meta', LEASE);
  const lease = current?.value as { owner: string; until: number } | undefined;
  if (lease && lease.owner !== owner && lease.until > now) return false;
  if (lease && lease.owner === owner && lease.until - now > leaseMs / 2) return true;
  try {
    const value = { owner, until: now + leaseMs };
    await storage.write([{ op: 'put', store: 'meta', key: LEASE, value, expect: current?.rev ?? null }]);
    return true;
  } catch (error) {
    if (isYibaoGuardError(error, 'STORAGE_CONFLICT')) return false;
    throw error;
  }
}

/**
 * Gives the lease up, if this worker holds it (a failed write is ignored: the lease runs out anyway).
 *
 * @example
 * await releaseLease(ctx)
 */
export async function releaseLease(ctx: SyncWorkerContext): Promise<void> {
  const { storage, owner } = ctx;
  const current = await storage.get('meta', LEASE);
  if ((current?.value as { owner?: string } | undefined)?.owner === owner) {
    const value = { owner, until: 0 };
    await storage.write([{ op: 'put', store: 'meta', key: LEASE, value, expect: current!.rev }]).catch(() => undefined);
  }
}

/**
 * The cursor's seq (0 before the first answer) and its revision, to write it back with.
 *
 * @example
 * const start = await readCursor(ctx)
 */
export async function readCursor(ctx: SyncWorkerContext): Promise<{ seq: number; rev: number | null }> {
  const record = await ctx.storage.get('meta', CURSOR);
  return { seq: (record?.value as { seq: number } | undefined)?.seq ?? 0, rev: record?.rev ?? null };
}

/**
 * The prepared call with its personal fields merged back in.
 *
 * @example
 * await platform.send(await withPii(ctx, record))
 */
export async function withPii(ctx: SyncWorkerContext, record: OutboxRecord): Promise<PreparedCall> {
  if (!record.pii) return record.prepared;
  const pii = await ctx.storage.get('outboxPii', record.prepared.msgid);
  if (!pii) return record.prepared;
  const input = record.prepared.input as Record<string, Record<string, unknown>>;
  const node = record.pii.node;
  return { ...record.prepared, input: { ...input, [node]: { ...input[node], ...pii.value } } } as PreparedCall;
}

/**
 * The write that ends a record's personal fields once it is answered for good: their deletion now, or with a
 * retention, a mark for when it runs out.
 *
 * @example
 * if (entry.value.pii) ops.push(piiEnd(ctx, entry.value.prepared.msgid, now))
 */
export function piiEnd(ctx: SyncWorkerContext, msgid: string, now: number): WriteOp<TerminalLayout> {
  if (ctx.retentionMs <= 0) return { op: 'delete', store: 'outboxPii', key: msgid };
  const due = String(now + ctx.retentionMs).padStart(15, '0');
  return { op: 'put', store: 'meta', key: `${PURGE}${due}/${msgid}`, value: {} };
}

/**
 * Deletes the personal fields whose retention has run out (with their `pii.purge/` marks), oldest first.
 *
 * @example
 * if (ctx.retentionMs > 0) await purgeDue(ctx)
 */
export async function purgeDue(ctx: SyncWorkerContext): Promise<void> {
  const { storage } = ctx;
  const due = String(ctx.clock.now()).padStart(15, '0');
  for (;;) {
    const marks = (await storage.list('meta', { prefix: PURGE, limit: 200 })).filter(
      (r) => r.key.slice(PURGE.length, PURGE.length + 15) <= due,
    );
    if (marks.length === 0) return;
    await storage.write(
      marks.flatMap((r) => [
        { op: 'delete' as const, store: 'meta' as const, key: r.key },
        { op: 'delete' as const, store: 'outboxPii' as const, key: r.key.slice(PURGE.length + 16) },
      ]),
    );
  }
}

/**
 * How many records wait (and since when the oldest), and how many dead letters are open.
 *
 * @example
 * const { pending, oldest, dead } = await pendingCount(ctx)
 */
export async function pendingCount(
  ctx: SyncWorkerContext,
): Promise<{ pending: number; oldest?: number; dead: number }> {
  const { storage } = ctx;
  const { seq } = await readCursor(ctx);
  const last = await storage.lastSeq('outbox');
  const [oldest] = last > seq ? await storage.read('outbox', { after: seq, limit: 1 }) : [];
  const dead = (await storage.list('deadLetters')).filter((d) => !d.value.resolved).length;
  return { pending: last - seq, ...(oldest ? { oldest: oldest.value.createdAt } : {}), dead };
}
