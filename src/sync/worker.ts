import { maskPersonalData } from '../codes/index.js';
import { isYibaoGuardError, PlatformRejectedError, YibaoGuardError } from '../errors/index.js';
import type { TerminalLayout } from '../layout.js';
import type { PlatformClient, PreparedCall } from '../platform/client.js';
import type { Storage, WriteOp } from '../storage.js';
import { REPORT_BATCH_MAX } from '../platform/transactions.js';
import { realSleep, type Sleep } from '../timers.js';
import type { DeadLetter, OutboxRecord, SyncEvent, SyncStatus } from './types.js';

const CURSOR = 'outbox.cursor';
const LEASE = 'outbox.lease';
/** Meta keys `pii.purge/{due, 15 digits}/{msgid}`: personal fields kept past the answer, in the order they fall due. */
const PURGE = 'pii.purge/';

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
  /** Backoff after a transient failure: base × 2^n, full jitter, at most `maxMs`. @default { baseMs: 500, maxMs: 60000 } */
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
  const { storage, platform, clock, owner } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const baseMs = options.backoff?.baseMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 60_000;
  const threshold = options.breaker?.threshold ?? 5;
  const cooldownMs = options.breaker?.cooldownMs ?? 30_000;
  const maxCooldownMs = options.breaker?.maxCooldownMs ?? 5 * 60_000;
  const batch = Math.max(1, Math.min(options.batch ?? 200, REPORT_BATCH_MAX));
  const readAhead = options.readAhead ?? Math.max(100, batch);
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const emit = (event: SyncEvent) => options.onEvent?.(event);
  const retentionMs = options.personalRetentionMs ?? 0;
  if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new YibaoGuardError('INVALID_INPUT', {
      message: 'sync.personalRetentionMs must be a number of milliseconds from 0',
      messageZh: 'sync.personalRetentionMs 必须是不小于 0 的毫秒数',
      field: 'personalRetentionMs',
    });
  }

  let state: SyncStatus['state'] = 'idle';
  let failures = 0;
  let openings = 0;
  let nextAttemptAt: number | undefined;
  let lastSuccessAt: number | undefined;
  let lastError: string | undefined;
  let running = false;
  let stopping = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let draining: Promise<DrainResult> | undefined;

  async function holdLease(): Promise<boolean> {
    const now = clock.now();
    const current = await storage.get('meta', LEASE);
    const lease = current?.value as { owner: string; until: number } | undefined;
    if (lease && lease.owner !== owner && lease.until > now) return false;
    if (lease && lease.owner === owner && lease.until - now > leaseMs / 2) return true;
    try {
      await storage.write([{ op: 'put', store: 'meta', key: LEASE, value: { owner, until: now + leaseMs }, expect: current?.rev ?? null }]);
      return true;
    } catch (error) {
      if (isYibaoGuardError(error, 'STORAGE_CONFLICT')) return false;
      throw error;
    }
  }

  async function cursor(): Promise<{ seq: number; rev: number | null }> {
    const record = await storage.get('meta', CURSOR);
    return { seq: (record?.value as { seq: number } | undefined)?.seq ?? 0, rev: record?.rev ?? null };
  }

  /** The prepared call with its personal fields merged back in. */
  async function withPii(record: OutboxRecord): Promise<PreparedCall> {
    if (!record.pii) return record.prepared;
    const pii = await storage.get('outboxPii', record.prepared.msgid);
    if (!pii) return record.prepared;
    const input = record.prepared.input as Record<string, Record<string, unknown>>;
    return { ...record.prepared, input: { ...input, [record.pii.node]: { ...input[record.pii.node], ...pii.value } } } as PreparedCall;
  }

  /** Deletes the personal fields whose retention has run out (with their `pii.purge/` marks), oldest first. */
  async function purgeDue(): Promise<void> {
    const due = String(clock.now()).padStart(15, '0');
    for (;;) {
      const marks = (await storage.list('meta', { prefix: PURGE, limit: 200 })).filter((r) => r.key.slice(PURGE.length, PURGE.length + 15) <= due);
      if (marks.length === 0) return;
      await storage.write(marks.flatMap((r) => [
        { op: 'delete' as const, store: 'meta' as const, key: r.key },
        { op: 'delete' as const, store: 'outboxPii' as const, key: r.key.slice(PURGE.length + 16) },
      ]));
    }
  }

  async function pendingCount(): Promise<{ pending: number; oldest?: number; dead: number }> {
    const { seq } = await cursor();
    const last = await storage.lastSeq('outbox');
    const [oldest] = last > seq ? await storage.read('outbox', { after: seq, limit: 1 }) : [];
    const dead = (await storage.list('deadLetters')).filter((d) => !d.value.resolved).length;
    return { pending: last - seq, ...(oldest ? { oldest: oldest.value.createdAt } : {}), dead };
  }

  async function status(): Promise<SyncStatus> {
    const { pending, oldest, dead } = await pendingCount();
    return {
      state,
      pending,
      ...(oldest !== undefined ? { oldestPendingAt: oldest } : {}),
      ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
      deadLetters: dead,
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
    };
  }

  async function progress(delivered?: number) {
    if (options.onEvent) emit({ type: 'sync:progress', status: await status(), ...(delivered !== undefined ? { delivered } : {}) });
  }

  /** Refusals are final for this msgid; everything else may succeed if sent again with the same msgid. */
  function isRefusal(error: unknown): boolean {
    return error instanceof PlatformRejectedError || (isYibaoGuardError(error, 'PLATFORM_REJECTED') && !isYibaoGuardError(error, 'PLATFORM_OUTCOME_UNKNOWN')) || isYibaoGuardError(error, 'INVALID_INPUT');
  }

  /** A 进销存 report that may go in a YG07 batch. */
  const batchable = (record: OutboxRecord) => batch > 1 && platform.sendReports !== undefined && record.kind === 'report' && /^350[1-7]$/.test(record.prepared.infno);

  async function drainOnce(): Promise<DrainResult> {
    let delivered = 0;
    let deadLettered = 0;
    state = 'draining';
    const stop = (stoppedBy: DrainResult['stoppedBy'], error?: unknown): DrainResult => {
      if (stoppedBy === 'transient-failure') lastError = isYibaoGuardError(error) ? error.code : 'UNEXPECTED';
      return { delivered, deadLettered, stoppedBy, ...(isYibaoGuardError(error) ? { error } : {}) };
    };
    if (retentionMs > 0) await purgeDue();
    for (;;) {
      if (stopping) return stop('stopped');
      if (!(await holdLease())) {
        state = 'not-leader';
        return stop('not-leader');
      }
      const start = await cursor();
      const window = await storage.read('outbox', { after: start.seq, limit: readAhead });
      if (window.length === 0) {
        state = 'idle';
        await progress(delivered);
        return stop('empty');
      }
      let rev = start.rev;
      // Records before `alone` go one request each.
      let alone = 0;
      for (let i = 0; i < window.length; ) {
        if (stopping) return stop('stopped');
        let n = 1;
        const batched = i >= alone && batchable(window[i]!.value);
        if (batched) while (n < batch && i + n < window.length && batchable(window[i + n]!.value)) n++;
        const group = window.slice(i, i + n);
        // Each record's end: undefined when accepted, else the error (a refusal is final, anything else is not).
        let ends: unknown[];
        try {
          if (batched) {
            const answers = await platform.sendReports!(await Promise.all(group.map((e) => withPii(e.value))));
            ends = answers.map((a) => ('error' in a ? a.error : undefined));
          } else {
            await platform.send(await withPii(group[0]!.value));
            ends = [undefined];
          }
        } catch (error) {
          // A batch refused whole (no YG07 in this province, a bad record, too large a request: HTTP 4xx): alone.
          if (batched && (isRefusal(error) || isYibaoGuardError(error, 'PLATFORM_PROTOCOL'))) {
            alone = i + n;
            continue;
          }
          if (!isRefusal(error)) return stop('transient-failure', error);
          ends = [error];
        }
        // The cursor moves past the answered records up to the first whose outcome is not final.
        let done = ends.findIndex((e) => e !== undefined && !isRefusal(e));
        if (done < 0) done = ends.length;
        if (done > 0) {
          const now = clock.now();
          const before = delivered + deadLettered;
          const ops: WriteOp<TerminalLayout>[] = [{ op: 'put', store: 'meta', key: CURSOR, value: { seq: group[done - 1]!.seq }, expect: rev }];
          const letters: DeadLetter[] = [];
          for (const [k, entry] of group.slice(0, done).entries()) {
            // Answered for good: the personal fields go now, or are marked to go when their retention runs out.
            const msgid = entry.value.prepared.msgid;
            if (entry.value.pii) ops.push(retentionMs > 0 ? { op: 'put', store: 'meta', key: `${PURGE}${String(now + retentionMs).padStart(15, '0')}/${msgid}`, value: {} } : { op: 'delete', store: 'outboxPii', key: msgid });
            const error = ends[k] as (YibaoGuardError & { infcode?: number }) | undefined;
            if (error === undefined) continue;
            const reason = { code: error.code, ...(typeof error.infcode === 'number' ? { infcode: error.infcode } : {}), message: error.message, messageZh: error.messageZh };
            letters.push({ seq: entry.seq, record: entry.value, at: now, reason, notes: [] });
            ops.push({ op: 'put', store: 'deadLetters', key: deadKey(entry.seq), value: letters.at(-1)! });
          }
          const [receipt] = await storage.write(ops);
          rev = receipt?.op === 'put' ? receipt.rev : rev;
          deadLettered += letters.length;
          delivered += done - letters.length;
          if (done > letters.length) lastSuccessAt = now;
          for (const letter of letters) emit({ type: 'sync:dead-letter', seq: letter.seq, reason: letter.reason });
          failures = 0;
          openings = 0;
          lastError = undefined;
          if (options.onEvent && Math.floor((delivered + deadLettered) / 50) > Math.floor(before / 50)) await progress(delivered);
        }
        if (done < group.length) return stop('transient-failure', ends[done]);
        i += n;
      }
    }
  }

  function drain(): Promise<DrainResult> {
    // One drain at a time per worker: a second caller waits for the same one. A cursor that moved under us means
    // another tab or process took over the lease: stop and let it lead.
    draining ??= drainOnce()
      .catch((error: unknown): DrainResult => {
        if (!isYibaoGuardError(error, 'STORAGE_CONFLICT')) throw error;
        state = 'not-leader';
        return { delivered: 0, deadLettered: 0, stoppedBy: 'not-leader' };
      })
      .finally(() => {
      draining = undefined;
    });
    return draining;
  }

  async function runLoop(): Promise<void> {
    while (!stopping) {
      // A delivery resets the breaker inside the drain: remember whether it was open, to announce the way back.
      const wasOpen = openings > 0;
      const result = await drain();
      if (stopping) break;
      if (result.stoppedBy === 'transient-failure') {
        failures++;
        let wait = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20)) * random();
        if (failures >= threshold) {
          state = 'circuit-open';
          wait = Math.min(maxCooldownMs, cooldownMs * 2 ** openings);
          openings++;
          failures = threshold - 1; // half-open: one more failure re-opens it
          if (openings === 1) emit({ type: 'offline', status: await status() });
        } else {
          state = 'backoff';
        }
        const retryAfter = (result.error as { retryAfterMs?: number } | undefined)?.retryAfterMs;
        if (retryAfter !== undefined) wait = Math.max(wait, retryAfter);
        nextAttemptAt = clock.now() + wait;
        await progress();
        await pause(wait);
        nextAttemptAt = undefined;
        continue;
      }
      if (result.delivered > 0 && wasOpen) emit({ type: 'online', status: await status() });
      // Idle (or another tab leads): sleep until notified, re-checking now and then.
      await pause(result.stoppedBy === 'not-leader' ? leaseMs / 2 : 5_000);
    }
  }

  function pause(ms: number): Promise<void> {
    const controller = { aborted: false, listeners: [] as (() => void)[], addEventListener(_: 'abort', l: () => void) { this.listeners.push(l); } };
    wake = () => {
      controller.aborted = true;
      for (const l of controller.listeners) l();
    };
    return sleep(ms, controller);
  }

  return {
    drain,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loop = runLoop();
    },
    notify() {
      wake?.();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      await draining;
      running = false;
      state = 'stopped';
      const current = await storage.get('meta', LEASE);
      if ((current?.value as { owner?: string } | undefined)?.owner === owner) {
        await storage.write([{ op: 'put', store: 'meta', key: LEASE, value: { owner, until: 0 }, expect: current!.rev }]).catch(() => undefined);
      }
    },
    status,
    async deadLetters(opts) {
      const all = (await storage.list('deadLetters')).map((r) => r.value);
      return opts?.includeResolved ? all : all.filter((d) => !d.resolved);
    },
    async annotate(seq, note) {
      await updateLetter(seq, (d) => ({ ...d, notes: [...d.notes, { at: clock.now(), by: note.by, text: noteText(note.text) }] }));
    },
    async close(seq, note) {
      await updateLetter(seq, (d) => ({
        ...d,
        notes: [...d.notes, { at: clock.now(), by: note.by, text: noteText(note.text) }],
        resolved: { at: clock.now(), by: note.by, how: 'closed' },
      }));
    },
  };

  async function updateLetter(seq: number, change: (d: DeadLetter) => DeadLetter) {
    const current = await storage.get('deadLetters', deadKey(seq));
    if (!current) return;
    await storage.write([{ op: 'put', store: 'deadLetters', key: deadKey(seq), value: change(current.value), expect: current.rev }]);
  }
}

/** Dead letters are keyed by their outbox seq, zero-padded so that key order is delivery order. */
export function deadKey(seq: number): string {
  return String(seq).padStart(12, '0');
}

/** An operator's note as stored: any 身份证 or mobile number masked (staff type what the buyer says), at most 500 characters. */
export function noteText(text: string): string {
  return maskPersonalData(String(text)).slice(0, 500);
}
