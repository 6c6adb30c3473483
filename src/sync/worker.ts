import type { YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../storage/terminal-layout.js';
import type { PlatformClient } from '../platform/client.js';
import type { Storage } from '../storage/contract.js';
import type { Sleep } from '../timers.js';
import { deadKey, noteText } from './dead-letter-keys.js';
import type { DeadLetter, SyncEvent, SyncStatus } from './types.js';
import { createWorkerContext, type SyncWorkerContext } from './worker-context.js';
import { drain } from './worker-drain.js';
import { runLoop } from './worker-loop.js';
import { workerStatus } from './worker-status.js';
import { releaseLease } from './worker-storage.js';

export { deadKey, noteText } from './dead-letter-keys.js';

/** How delivery behaves under failure. Every option has a default that suits a pharmacy's link. */
export interface SyncWorkerOptions {
  readonly storage: Storage<TerminalLayout>;
  /** With `sendReports` (YG07), consecutive 进销存 reports go in batches; without it, one request per record. */
  readonly platform: Pick<PlatformClient, 'send'> & Partial<Pick<PlatformClient, 'sendReports'>>;
  readonly clock: { now(): number };
  /** Who drains (a tab or process id): only the lease holder sends. */
  readonly owner: string;
  /** How long a lease lasts without renewal. @default 30000 */
  readonly leaseMs?: number;
  /**
   * Backoff after a transient failure: base × 2^n, full jitter, at most `maxMs`. @default { baseMs: 500, maxMs: 60000 }
   */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** After `threshold` failures in a row the circuit opens for `cooldownMs` (doubling, at most `maxCooldownMs`). */
  readonly breaker?: { readonly threshold?: number; readonly cooldownMs?: number; readonly maxCooldownMs?: number };
  /** Records read from storage per step. @default `batch`, at least 100 */
  readonly readAhead?: number;
  /**
   * Consecutive 进销存 reports (3501–3507) sent in one YG07 request, at most (up to 500); 1 sends each alone.
   * 200 typical sale reports make a request of about 200 KB. @default 200
   */
  readonly batch?: number;
  readonly sleep?: Sleep;
  /**
   * How long (ms) the personal fields of a record (3505/3506 `certno`, `psn_name`, kept apart in `outboxPii`) stay
   * after the platform's final answer (accepted, or refused into the dead letters), e.g. for a dispute over the
   * sale; then the next drain deletes them. 0 deletes them in the same batch that records the answer. See
   * docs/PRIVACY.md.
   * @default 0
   */
  readonly personalRetentionMs?: number;
  /** Randomness for jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly onEvent?: (event: SyncEvent) => void;
}

/** What one drain did. */
export interface DrainResult {
  readonly delivered: number;
  readonly deadLettered: number;
  /** Why it stopped: nothing left, a transient failure (retry later), or another owner holds the lease. */
  readonly stoppedBy: 'empty' | 'transient-failure' | 'not-leader' | 'stopped';
  readonly error?: YibaoGuardError;
}

/**
 * Delivers the outbox to the platform exactly once and in order: each record is sent with the msgid fixed when
 * it was written, so after a crash, a lost answer or a retry the platform answers with its first answer and
 * counts it once; the cursor moves only after an answer. A refused record (infcode -2) goes to the dead letters
 * with the platform's reason, and delivery goes on; a transient failure (unreachable, 5xx, timeout, unknown
 * outcome, gateway auth) stops the drain, backs off with jitter, honours Retry-After, and after repeated
 * failures opens a circuit instead of hammering a dead platform. Only the lease holder drains. Consecutive
 * 进销存 reports go `batch` at a time in one YG07 request (each still its own message with its own msgid and
 * answer; the cursor moves after the answer, past the records answered for good); other records, and every
 * record when the platform refuses YG07 as a whole, go one request each.
 *
 * @example
 * const worker = createSyncWorker({ storage, platform, clock, owner: tabId, onEvent: updateBadge })
 * worker.start()          // runs until stop(); wakes on notify() after each sale
 * await worker.flush()    // or drain now, e.g. before closing the till
 */
export interface SyncWorker {
  /** Drains until nothing is pending or a transient failure; resolves with what it did. */
  drain(): Promise<DrainResult>;
  /** Starts the background loop. */
  start(): void;
  /** Wakes the loop (a new record was written). */
  notify(): void;
  /** Stops the loop and releases the lease. */
  stop(): Promise<void>;
  status(): Promise<SyncStatus>;
  deadLetters(options?: { readonly includeResolved?: boolean }): Promise<DeadLetter[]>;
  annotate(seq: number, note: { readonly by: string; readonly text: string }): Promise<void>;
  /** Closes a dead letter with a note (e.g. reported to the platform by hand); it stays on record. */
  close(seq: number, note: { readonly by: string; readonly text: string }): Promise<void>;
}

export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const ctx = createWorkerContext(options);
  const { storage, clock } = ctx;
  return {
    drain: () => drain(ctx),
    start() {
      if (ctx.running) return;
      ctx.running = true;
      ctx.stopping = false;
      ctx.loop = runLoop(ctx);
    },
    notify() {
      ctx.wake?.();
    },
    stop: () => stopWorker(ctx),
    status: () => workerStatus(ctx),
    async deadLetters(opts) {
      const all = (await storage.list('deadLetters')).map((r) => r.value);
      return opts?.includeResolved ? all : all.filter((d) => !d.resolved);
    },
    async annotate(seq, note) {
      await updateLetter(ctx, seq, (d) => ({
        ...d,
        notes: [...d.notes, { at: clock.now(), by: note.by, text: noteText(note.text) }],
      }));
    },
    async close(seq, note) {
      await updateLetter(ctx, seq, (d) => ({
        ...d,
        notes: [...d.notes, { at: clock.now(), by: note.by, text: noteText(note.text) }],
        resolved: { at: clock.now(), by: note.by, how: 'closed' },
      }));
    },
  };
}

/** Stops the loop, waits for it and for a drain in progress, and releases the lease. */
async function stopWorker(ctx: SyncWorkerContext): Promise<void> {
  ctx.stopping = true;
  ctx.wake?.();
  await ctx.loop;
  await ctx.draining;
  ctx.running = false;
  ctx.state = 'stopped';
  await releaseLease(ctx);
}

/** Rewrites a dead letter (nothing when there is none at `seq`). */
async function updateLetter(ctx: SyncWorkerContext, seq: number, change: (d: DeadLetter) => DeadLetter): Promise<void> {
  const current = await ctx.storage.get('deadLetters', deadKey(seq));
  if (!current) return;
  const value = change(current.value);
  await ctx.storage.write([{ op: 'put', store: 'deadLetters', key: deadKey(seq), value, expect: current.rev }]);
}
