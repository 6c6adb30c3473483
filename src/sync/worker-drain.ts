import { isYibaoGuardError, PlatformRejectedError, YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { JournalEntry, WriteOp } from '../storage/contract.js';
import { deadKey } from './dead-letter-keys.js';
import type { DeadLetter, OutboxRecord } from './types.js';
import type { DrainResult } from './worker.js';
import type { SyncWorkerContext } from './worker-context.js';
import { progress } from './worker-status.js';
import { CURSOR, holdLease, piiEnd, purgeDue, readCursor, withPii } from './worker-storage.js';

/*
 * One drain: the outbox read window by window from the cursor, consecutive reports sent in YG07 batches and other
 * records one request each, and the cursor moved, in the same write as the dead letters, past every record
 * answered for good.
 */

/** An outbox entry as read. */
type Entry = JournalEntry<OutboxRecord>;

/** What a drain did so far. */
interface Tally {
  delivered: number;
  deadLettered: number;
}

/** Why a drain stops early, and the error of a transient failure. */
interface Stop {
  readonly stoppedBy: DrainResult['stoppedBy'];
  readonly error?: unknown;
}

/**
 * How sending a group went: each record's end (undefined when accepted, else its error), or a batch refused
 * whole (send its records alone), or a transient failure.
 */
type Sent = { readonly ends: unknown[] } | { readonly alone: true } | { readonly transient: unknown };

/**
 * Drains until nothing is pending, a transient failure, a stop or the loss of the lease (`SyncWorker.drain`).
 * One drain at a time per worker: a second caller waits for the same one.
 *
 * @example
 * const { delivered, stoppedBy } = await drain(ctx)
 */
export function drain(ctx: SyncWorkerContext): Promise<DrainResult> {
  // A cursor that moved under us means another tab or process took over the lease: stop and let it lead.
  ctx.draining ??= drainOnce(ctx)
    .catch((error: unknown): DrainResult => {
      if (!isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
      ctx.state = 'not-leader';
      return { delivered: 0, deadLettered: 0, stoppedBy: 'not-leader' };
    })
    .finally(() => {
      ctx.draining = undefined;
    });
  return ctx.draining;
}

async function drainOnce(ctx: SyncWorkerContext): Promise<DrainResult> {
  const tally: Tally = { delivered: 0, deadLettered: 0 };
  ctx.state = 'draining';
  const stop = (stoppedBy: DrainResult['stoppedBy'], error?: unknown): DrainResult => {
    if (stoppedBy === 'transient-failure') ctx.lastError = isYibaoGuardError(error) ? error.code : 'UNEXPECTED';
    const { delivered, deadLettered } = tally;
    return { delivered, deadLettered, stoppedBy, ...(isYibaoGuardError(error) ? { error } : {}) };
  };
  if (ctx.retentionMs > 0) await purgeDue(ctx);
  for (;;) {
    if (ctx.stopping) return stop('stopped');
    if (!(await holdLease(ctx))) {
      ctx.state = 'not-leader';
      return stop('not-leader');
    }
    const start = await readCursor(ctx);
    const window = await ctx.storage.read('outbox', { after: start.seq, limit: ctx.readAhead });
    if (window.length === 0) {
      ctx.state = 'idle';
      await progress(ctx, tally.delivered);
      return stop('empty');
    }
    const stopped = await drainWindow(ctx, window, start.rev, tally);
    if (stopped) return stop(stopped.stoppedBy, stopped.error);
  }
}

/** Sends one window of records in order; undefined when all of it was answered for good. */
async function drainWindow(
  ctx: SyncWorkerContext,
  window: readonly Entry[],
  startRev: number | null,
  tally: Tally,
): Promise<Stop | undefined> {
  let rev = startRev;
  // Records before `alone` go one request each.
  let alone = 0;
  for (let i = 0; i < window.length;) {
    if (ctx.stopping) return { stoppedBy: 'stopped' };
    let n = 1;
    const batched = i >= alone && batchable(ctx, window[i]!.value);
    if (batched) while (n < ctx.batch && i + n < window.length && batchable(ctx, window[i + n]!.value)) n++;
    const group = window.slice(i, i + n);
    const sent = await sendGroup(ctx, group, batched);
    if ('alone' in sent) {
      alone = i + n;
      continue;
    }
    if ('transient' in sent) return { stoppedBy: 'transient-failure', error: sent.transient };
    const { ends } = sent;
    // The cursor moves past the answered records up to the first whose outcome is not final.
    let done = ends.findIndex((e) => e !== undefined && !isRefusal(e));
    if (done < 0) done = ends.length;
    if (done > 0) rev = await recordAnswers(ctx, group.slice(0, done), ends, rev, tally);
    if (done < group.length) return { stoppedBy: 'transient-failure', error: ends[done] };
    i += n;
  }
  return undefined;
}

/** Sends a group: a YG07 batch of reports, or one record alone. */
async function sendGroup(ctx: SyncWorkerContext, group: readonly Entry[], batched: boolean): Promise<Sent> {
  const { platform } = ctx;
  try {
    if (batched) {
      const answers = await platform.sendReports!(await Promise.all(group.map((e) => withPii(ctx, e.value))));
      return { ends: answers.map((a) => ('error' in a ? a.error : undefined)) };
    }
    await platform.send(await withPii(ctx, group[0]!.value));
    return { ends: [undefined] };
  } catch (error) {
    // A batch refused whole (no YG07 in this province, a bad record, too large a request: HTTP 4xx): alone.
    if (batched && (isRefusal(error) || isYibaoGuardError(error, 'PLATFORM_PROTOCOL'))) return { alone: true };
    if (!isRefusal(error)) return { transient: error };
    return { ends: [error] };
  }
}

/**
 * Records the ends of `answered` (each answered for good: accepted, or refused into the dead letters) in one
 * write with the cursor past them, and resets the breaker; returns the cursor's new revision.
 */
async function recordAnswers(
  ctx: SyncWorkerContext,
  answered: readonly Entry[],
  ends: readonly unknown[],
  rev: number | null,
  tally: Tally,
): Promise<number | null> {
  const now = ctx.clock.now();
  const before = tally.delivered + tally.deadLettered;
  const cursor = { seq: answered.at(-1)!.seq };
  const ops: WriteOp<TerminalLayout>[] = [{ op: 'put', store: 'meta', key: CURSOR, value: cursor, expect: rev }];
  const letters: DeadLetter[] = [];
  for (const [k, entry] of answered.entries()) {
    // Answered for good: the personal fields go now, or are marked to go when their retention runs out.
    if (entry.value.pii) ops.push(piiEnd(ctx, entry.value.prepared.msgid, now));
    const error = ends[k] as (YibaoGuardError & { infcode?: number }) | undefined;
    if (error === undefined) continue;
    const letter = deadLetterOf(entry, error, now);
    letters.push(letter);
    ops.push({ op: 'put', store: 'deadLetters', key: deadKey(entry.seq), value: letter });
  }
  const [receipt] = await ctx.storage.write(ops);
  tally.deadLettered += letters.length;
  tally.delivered += answered.length - letters.length;
  if (answered.length > letters.length) ctx.lastSuccessAt = now;
  for (const letter of letters) ctx.emit({ type: 'sync:dead-letter', seq: letter.seq, reason: letter.reason });
  ctx.failures = 0;
  ctx.openings = 0;
  ctx.lastError = undefined;
  const count = tally.delivered + tally.deadLettered;
  if (ctx.listening() && Math.floor(count / 50) > Math.floor(before / 50)) await progress(ctx, tally.delivered);
  return receipt?.op === 'put' ? receipt.rev : rev;
}

/** A refused record's dead letter, with the platform's reason. */
function deadLetterOf(entry: Entry, error: YibaoGuardError & { infcode?: number }, now: number): DeadLetter {
  const reason = {
    code: error.code,
    ...(typeof error.infcode === 'number' ? { infcode: error.infcode } : {}),
    message: error.message,
    messageZh: error.messageZh,
  };
  return { seq: entry.seq, record: entry.value, at: now, reason, notes: [] };
}

/** Refusals are final for this msgid; everything else may succeed if sent again with the same msgid. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof PlatformRejectedError ||
    (isYibaoGuardError(error, 'PLATFORM_REJECTED') && !isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) ||
    isYibaoGuardError(error, 'INVALID_INPUT')
  );
}

/** A 进销存 report that may go in a YG07 batch. */
function batchable(ctx: SyncWorkerContext, record: OutboxRecord): boolean {
  return (
    ctx.batch > 1 &&
    ctx.platform.sendReports !== undefined &&
    record.kind === 'report' &&
    /^350[1-7]$/.test(record.prepared.infno)
  );
}
